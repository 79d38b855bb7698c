"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a tz-aware UTC `datetime`.

    SQLite has no time zones: its DATETIME drops the offset on write and returns naive values,
    so an aware value is converted to UTC first and the zone is put back on read. A naive value
    is refused rather than guessed, because it would silently shift by the host's offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime expects a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: pass a tz-aware datetime "
                "(e.g. datetime.now(UTC))"
            )
        return value.astimezone(UTC)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime


# JSONB on PostgreSQL (indexable, compact, containment operators); plain JSON text elsewhere.
# In-place mutation of a loaded value is not tracked: assign a new list/dict to change it.
JSONDocument: JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")

__all__ = ["JSONDocument", "UTCDateTime"]
