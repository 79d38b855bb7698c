"""How each CRM's syncs have been going, per stream (accounts, leads, deals, writeback): the
last success, the failures in a row since, and the last error, kept in the store
(`sync_health`) so that `/metrics`, `/healthz/sync` and `icp-sync status` see what any process
recorded (the scheduler of `serve`, a replica, `icp-sync sync`).

A run that completes is a success of every stream it syncs; a run that raises is a success of
the streams it had finished and a failure of the others (those it did not reach are no fresher
than the one that failed). The error is kept as its type and a one-line message scrubbed of
the configured secrets and of anything shaped like a credential: a connector's errors are
scrubbed already, this also covers what else a run can raise (a driver, an HTTP library).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.settings import Settings
from app.store.tables import SyncHealth

WRITEBACK = "writeback"
REDACTED = "[redacted]"
MAX_MESSAGE = 300
MIN_SECRET = 6
"""Shorter configured values are not searched for: replacing `abc` everywhere scrubs nothing
worth hiding and mangles the message."""

_CREDENTIAL_SHAPES = (
    # an Authorization header's value
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s,;\"']+"), r"\1 " + REDACTED),
    # token=…, client_secret: …, "password": "…", api_key=…
    (
        re.compile(
            r"(?i)((?:access_|refresh_|id_)?token|secret|password|passwd|api[_-]?key|assertion"
            r"|authorization|signature)([\"']?\s*[=:]\s*[\"']?)[^\s&\"',;}]+"
        ),
        r"\1\2" + REDACTED,
    ),
    # a HubSpot private app token, a JWT
    (re.compile(r"\bpat-[a-z0-9]+-[0-9a-f-]{8,}", re.IGNORECASE), REDACTED),
    (re.compile(r"\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*"), REDACTED),
    # user:password@ in a URL
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://)[^/\s@:]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
)


@dataclass(frozen=True)
class ErrorSummary:
    type: str
    message: str


@dataclass(frozen=True)
class StreamHealth:
    source: str
    stream: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    last_error_type: str | None
    last_error: str | None

    def is_stale(self, now: datetime, max_age: timedelta | None) -> bool:
        """`max_age` None: never stale (the check is off)."""
        if max_age is None:
            return False
        return self.last_success_at is None or now - self.last_success_at > max_age

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "source": self.source,
            "stream": self.stream,
            "last_success_at": iso(self.last_success_at),
            "last_failure_at": iso(self.last_failure_at),
            "consecutive_failures": self.consecutive_failures,
            "last_error_type": self.last_error_type,
            "last_error": self.last_error,
        }


def secret_values(settings: Settings) -> list[str]:
    """Every secret setting's value (tokens, client secrets, the private key, webhook and
    admin secrets)."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _CREDENTIAL_SHAPES:
        text = pattern.sub(replacement, text)
    return text


def summarize_error(error: BaseException, secrets: Iterable[str] = ()) -> ErrorSummary:
    """The error's type and the first line of its message, scrubbed, at most 300 characters."""
    lines = str(error).strip().splitlines()
    message = scrub(lines[0] if lines else "", secrets)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return ErrorSummary(type(error).__name__, message)


def record_success(session: Session, source: str, streams: Iterable[str], now: datetime) -> None:
    for stream in streams:
        row = _row(session, source, stream)
        row.last_success_at = now
        row.consecutive_failures = 0


def record_failure(
    session: Session, source: str, streams: Iterable[str], error: ErrorSummary, now: datetime
) -> None:
    for stream in streams:
        row = _row(session, source, stream)
        row.last_failure_at = now
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        row.last_error_type, row.last_error = error.type, error.message


def read_health(session: Session) -> list[StreamHealth]:
    rows = session.scalars(select(SyncHealth).order_by(SyncHealth.source, SyncHealth.stream))
    return [
        StreamHealth(
            row.source,
            row.stream,
            row.last_success_at,
            row.last_failure_at,
            row.consecutive_failures,
            row.last_error_type,
            row.last_error,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    stale: bool
    last_success_at: datetime | None
    """The oldest of its streams' last successes: when all of it was last brought up to date
    (None: some stream never synced)."""
    consecutive_failures: int
    """The most failures in a row of any of its streams."""


def stale_after(minutes: int) -> timedelta | None:
    """The `sync_stale_minutes` setting as a maximum age (0: None, never stale)."""
    return timedelta(minutes=minutes) if minutes > 0 else None


def freshness(
    health: Sequence[StreamHealth],
    sources: Iterable[str],
    now: datetime,
    max_age: timedelta | None,
) -> list[SourceFreshness]:
    """Per CRM in `sources`: stale when one of its streams has not synced successfully within
    `max_age`, or it never synced; never stale when `max_age` is None."""
    result = []
    for source in sources:
        streams = [h for h in health if h.source == source]
        successes = [h.last_success_at for h in streams]
        oldest = None if not streams or None in successes else min(s for s in successes if s)
        result.append(
            SourceFreshness(
                source,
                stale=max_age is not None
                and (not streams or any(h.is_stale(now, max_age) for h in streams)),
                last_success_at=oldest,
                consecutive_failures=max((h.consecutive_failures for h in streams), default=0),
            )
        )
    return result


def _row(session: Session, source: str, stream: str) -> SyncHealth:
    row = session.get(SyncHealth, (source, stream))
    if row is None:
        row = SyncHealth(source=source, stream=stream, consecutive_failures=0)
        session.add(row)
    return row
