"""A full pull that survives being cut short, and the cursor arithmetic both CRMs' pulls share.

A full pull reads every record in an order of its own (HubSpot's list endpoint by id, then the
archived ones; Salesforce by Id), not by modification time, so where it stands is a point in
that order (`FullPull.stage` and `after`), and the cursor it leaves for the next incremental
pull must not pass a record modified behind that point while it ran. Hence the *signpost*: the
newest modification the CRM held when the pull's first run began, read from the CRM itself so
local clock skew does not matter. The pull's final cursor is the newest record it read, capped
at the signpost: a record modified after the signpost (behind the point reached or not) is read
again by the next incremental pull. (The sync service does not keep that cursor: it bookmarks
the start of the pull's first run by its own clock, `app.sync.checkpoints`, which a quiet CRM's
newest record does not hold back. The cursor serves a caller without a clock of its own.)

Every page but the last carries `FullPull.token()`, which the service stores with the page. A
pull resumed from it goes on after that page with the *first* run's signpost, however many runs
it takes. A token is a small JSON object that only the connector which wrote it reads back; one
that cannot be read (another version's, damaged) reads as None and the pull starts afresh,
which is always safe, only slower.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Self

from connectors.records import Cursor, RecordT
from connectors.values import parse_datetime


def cursor_key(cursor: Cursor) -> tuple[datetime, str]:
    return (cursor.modified_at, cursor.crm_id)


def later(a: Cursor | None, b: Cursor | None) -> Cursor | None:
    if a is None:
        return b
    if b is None:
        return a
    return b if cursor_key(b) > cursor_key(a) else a


def capped(cursor: Cursor, signpost: Cursor | None) -> Cursor:
    if signpost is None or cursor_key(cursor) <= cursor_key(signpost):
        return cursor
    return signpost


def newest_of(records: Iterable[RecordT]) -> Cursor | None:
    best: Cursor | None = None
    for record in records:
        best = later(best, Cursor(record.modified_at, record.crm_id))
    return best


@dataclass(frozen=True, slots=True)
class FullPull:
    """Where a full pull stands after a page. `stage`: the pass it is in (a connector may read
    an object in several); `after`: the point in that pass past which the next page starts
    (None: its beginning); `signpost`: the first run's; `newest`: the newest record read by
    every run so far."""

    stage: str
    after: str | None = None
    signpost: Cursor | None = None
    newest: Cursor | None = None

    def past(self, records: Iterable[RecordT], *, stage: str, after: str | None) -> Self:
        """This pull once `records` are read and the next page starts at `stage`/`after`."""
        return replace(
            self, stage=stage, after=after, newest=later(self.newest, newest_of(records))
        )

    def final_cursor(self) -> Cursor | None:
        """The cursor the pull leaves for the next incremental one (None: nothing was read)."""
        return None if self.newest is None else capped(self.newest, self.signpost)

    def token(self) -> str:
        fields = {
            "stage": self.stage,
            "after": self.after,
            "signpost": _cursor_field(self.signpost),
            "newest": _cursor_field(self.newest),
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))

    @classmethod
    def read(cls, token: str | None) -> FullPull | None:
        """The pull a `token()` describes; None for None or a token that cannot be read."""
        fields = _json_object(token)
        if fields is None or not isinstance(fields.get("stage"), str):
            return None
        after = fields.get("after")
        return cls(
            stage=fields["stage"],
            after=after if isinstance(after, str) else None,
            signpost=_cursor_from(fields.get("signpost")),
            newest=_cursor_from(fields.get("newest")),
        )


def _json_object(token: str | None) -> dict[str, Any] | None:
    if token is None:
        return None
    try:
        fields = json.loads(token)
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


def _cursor_field(cursor: Cursor | None) -> list[str] | None:
    return None if cursor is None else [cursor.modified_at.isoformat(), cursor.crm_id]


def _cursor_from(value: object) -> Cursor | None:
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[1], str):
        return None
    moment = parse_datetime(value[0])
    return None if moment is None else Cursor(moment, value[1])
