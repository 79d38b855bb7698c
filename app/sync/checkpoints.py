"""Where each stream's pull stands between runs, so a run cut short anywhere is taken up again.

A stream (a CRM's accounts, leads or deals) is pulled one of three ways, decided per run:

* **the rest of a full pull cut short** (a kill, an error, the daily quota), whenever one is
  under way, whatever the run was asked for: it goes on after its last committed page with
  the connector's `resume` token, so nothing committed is read again;
* **a new full pull** when asked (`--full`) or when the stream has no cursor yet (the first
  sync);
* **incremental** from the stream's cursor otherwise.

Each page is committed with its checkpoint (`checkpoint`). An incremental pull's is the page's
cursor. A full pull's is its resume token and the start of its *first* run; its cursor is saved
only when it completes (`complete`, in the transaction that also marks what it did not return
as deleted, since its first run began, and clears the resume state). The connector caps that
cursor at what the CRM held when the first run began, so a record changed between runs behind
the point reached is read by the next incremental pull. A stream therefore has a cursor only
once a full pull of it has completed; a kill between the last page and `complete` leaves the
previous token, and the next run reads that last page again and completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.store.repo import load_cursor, save_cursor, sync_state
from app.store.tables import SyncState
from connectors.records import Cursor, Page, RecordT


@dataclass(frozen=True, slots=True)
class StreamPull:
    """How this run pulls one stream. `since`: the incremental pull's start (None: a full
    pull); `resume`: where a full pull cut short goes on (None: from the start);
    `started_at`: when the full pull's first run began; `resumed`: it is one cut short."""

    stream: str
    since: Cursor | None
    resume: str | None = None
    started_at: datetime | None = None
    resumed: bool = False

    @property
    def full(self) -> bool:
        return self.since is None


def plan_pull(
    session: Session, source: str, stream: str, *, full: bool, now: datetime
) -> StreamPull:
    state = session.get(SyncState, (source, stream))
    if state is not None and state.full_pull_started_at is not None:
        return StreamPull(
            stream, None, state.full_pull_resume, state.full_pull_started_at, resumed=True
        )
    cursor = None if full else load_cursor(session, source, stream)
    return StreamPull(stream, cursor, started_at=None if cursor else now)


def checkpoint(session: Session, source: str, pull: StreamPull, page: Page[RecordT]) -> None:
    """Records where `pull` stands once `page` is stored (in the caller's transaction)."""
    if not pull.full:
        if page.cursor is not None:
            save_cursor(session, source, pull.stream, page.cursor)
        return
    if page.resume is not None:
        state = sync_state(session, source, pull.stream)
        state.full_pull_started_at = pull.started_at
        state.full_pull_resume = page.resume


def complete(session: Session, source: str, pull: StreamPull, cursor: Cursor | None) -> None:
    """A full pull's end (in the caller's transaction): its cursor, and none under way."""
    if cursor is not None:
        save_cursor(session, source, pull.stream, cursor)
    state = sync_state(session, source, pull.stream)
    state.full_pull_started_at = None
    state.full_pull_resume = None
