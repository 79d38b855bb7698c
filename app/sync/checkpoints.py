"""Where each stream's pull stands between runs, so a run cut short anywhere is taken up again,
and where the next incremental pull of each stream starts.

A stream (a CRM's accounts, leads or deals) is pulled one of three ways, decided per run:

* **the rest of a full pull cut short** (a kill, an error, the daily quota), whenever one is
  under way, whatever the run was asked for: it goes on after its last committed page with
  the connector's `resume` token, so nothing committed is read again;
* **a new full pull** when asked (`--full`) or when the stream has no bookmark yet (the first
  sync);
* **incremental** from the stream's bookmark otherwise: the connector reads what was modified
  at or after the bookmark minus its overlap (a closed start; `ICP_SYNC_SYNC_OVERLAP_SECONDS`).

**The bookmark is the start of the last pull that completed** (a `Cursor` whose id is empty:
it names an instant, not a record), by the caller's clock (`now`). Once a pull has read
everything, every record modified before it began has been read (as far as the CRM showed it
then), so the next one need only go back from there, by the overlap, which covers what a
search index had not yet shown and the skew between our clock and the CRM's. A quiet CRM is
therefore not read again: the window moves with the runs, not with the newest record (the
newest record of a portal loaded in one burst an hour ago would make every run re-read the
whole burst).

Each page is committed with its checkpoint (`checkpoint`). An incremental pull's is the
page's cursor (the newest record it has read, never before its `since`), capped at this
pull's start: a pull cut short goes on from there, and a record modified while it ran is
read again. Its end (`complete`) moves the bookmark to its start. A full pull's checkpoint is
its resume token and the start of its *first* run; it has no bookmark until it completes,
and then its bookmark is that first run's start (in the transaction that also marks what it
did not return as deleted since then, and clears the resume state): a record changed between
its runs, behind the point reached, was changed after that start, so the next incremental
pull reads it. A kill between the last page and `complete` leaves the previous token, and the
next run reads that last page again and completes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.store.repo import load_cursor, save_cursor, sync_state
from app.store.tables import SyncState
from connectors.full_pull import capped
from connectors.records import Cursor, Page, RecordT

NO_RECORD = ""
"""A bookmark's id: it names an instant, and sorts before every record of that instant."""


@dataclass(frozen=True, slots=True)
class StreamPull:
    """How this run pulls one stream. `since`: the incremental pull's start (None: a full
    pull); `started_at`: when this pull began (a full pull cut short: its first run), the
    stream's bookmark once it completes; `resume`: where a full pull cut short goes on (None:
    from the start); `resumed`: it is one cut short."""

    stream: str
    since: Cursor | None
    started_at: datetime
    resume: str | None = None
    resumed: bool = False

    @property
    def full(self) -> bool:
        return self.since is None

    @property
    def bookmark(self) -> Cursor:
        return instant(self.started_at)


def instant(moment: datetime) -> Cursor:
    """A bookmark at `moment` (aware; SQLite hands stored datetimes back naive, read as UTC)."""
    return Cursor(moment if moment.tzinfo else moment.replace(tzinfo=UTC), NO_RECORD)


def plan_pull(
    session: Session, source: str, stream: str, *, full: bool, now: datetime
) -> StreamPull:
    """`now`: this pull's start, by the caller's clock. A bookmark later than it (our clock
    was set back since) is read as `now`."""
    state = session.get(SyncState, (source, stream))
    if state is not None and state.full_pull_started_at is not None:
        return StreamPull(
            stream, None, state.full_pull_started_at, state.full_pull_resume, resumed=True
        )
    bookmark = None if full else load_cursor(session, source, stream)
    if bookmark is None:
        return StreamPull(stream, None, now)
    return StreamPull(stream, capped(instant(bookmark.modified_at), instant(now)), now)


def checkpoint(session: Session, source: str, pull: StreamPull, page: Page[RecordT]) -> None:
    """Records where `pull` stands once `page` is stored (in the caller's transaction)."""
    if not pull.full:
        if page.cursor is not None:
            save_cursor(session, source, pull.stream, capped(page.cursor, pull.bookmark))
        return
    if page.resume is not None:
        state = sync_state(session, source, pull.stream)
        state.full_pull_started_at = pull.started_at
        state.full_pull_resume = page.resume


def complete(session: Session, source: str, pull: StreamPull) -> None:
    """A pull's end (in the caller's transaction): the stream's bookmark becomes the pull's
    start (a full pull's: its first run's), and no full pull is under way."""
    state = sync_state(session, source, pull.stream)
    state.cursor_updated_at = pull.started_at
    state.cursor_id = NO_RECORD
    state.full_pull_started_at = None
    state.full_pull_resume = None
