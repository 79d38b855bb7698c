"""Storing verified webhook events in the inbox (`webhook_events`), once per (source, identity).

`enqueue` runs inside the caller's transaction; the webhook is answered only after that
transaction commits. Deduplication is the database's: `INSERT … ON CONFLICT DO NOTHING` on the
(source, identity) unique constraint (`IncomingEvent.identity`: what makes an event distinct, not
the CRM's event id alone), so concurrent deliveries of the same event never raise, on SQLite and
PostgreSQL alike. Rows are inserted in (source, identity) order, so two concurrent
batches sharing events wait for each other instead of deadlocking on PostgreSQL.

Metrics: `EVENTS_RECEIVED` and `EVENTS_DUPLICATE` move when the transaction commits (a rolled
back insert counts nothing; the CRM's retry is counted then); `record_rejected` counts refused
requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.inbox.events import PENDING, IncomingEvent
from app.metrics import EVENTS_DUPLICATE, EVENTS_RECEIVED, REQUESTS_REJECTED
from app.store.insert import insert_ignoring_conflicts
from app.store.tables import WebhookEvent

_PENDING_COUNTS = "icp_sync.inbox.uncommitted_counts"


def enqueue(
    session: Session, events: Sequence[IncomingEvent], received_at: datetime
) -> tuple[int, int]:
    """Insert `events` as pending inbox rows; returns (stored, duplicates).

    A duplicate is an event whose (source, identity) is already in the inbox, or repeated
    earlier in `events`: each event is stored once, and `stored + duplicates == len(events)`.
    `received_at` (tz-aware) is also the first `next_attempt_at`. Nothing is committed here.
    """
    unique: dict[tuple[str, str], IncomingEvent] = {}
    for incoming in events:
        unique.setdefault((incoming.source, incoming.identity), incoming)
    if not unique:
        return 0, 0
    rows = [_row(unique[identity], received_at) for identity in sorted(unique)]
    statement = insert_ignoring_conflicts(session, WebhookEvent, ["source", "identity"]).values(
        rows
    )
    inserted = session.execute(statement.returning(WebhookEvent.source)).scalars().all()
    _count_on_commit(session, events, inserted)
    return len(inserted), len(events) - len(inserted)


def record_rejected(source: str, reason: str) -> None:
    """Count a refused webhook request (reason: signature, stale, org, malformed, …)."""
    REQUESTS_REJECTED.labels(source=source, reason=reason).inc()


def _row(incoming: IncomingEvent, received_at: datetime) -> dict[str, Any]:
    return {
        "source": incoming.source,
        "event_id": incoming.event_id,
        "identity": incoming.identity,
        "event_type": incoming.event_type,
        "object_type": incoming.object_type,
        "object_id": incoming.object_id,
        "payload": incoming.payload,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": received_at,
        "received_at": received_at,
    }


def _count_on_commit(
    session: Session, events: Sequence[IncomingEvent], inserted: Sequence[str]
) -> None:
    counts: dict[tuple[str, str], int] | None = session.info.get(_PENDING_COUNTS)
    if counts is None:
        counts = session.info[_PENDING_COUNTS] = {}
        event.listen(session, "after_commit", _publish_counts)
        event.listen(session, "after_rollback", _forget_counts)
    stored_by_source: dict[str, int] = {}
    for source in inserted:
        stored_by_source[source] = stored_by_source.get(source, 0) + 1
    seen_by_source: dict[str, int] = {}
    for incoming in events:
        seen_by_source[incoming.source] = seen_by_source.get(incoming.source, 0) + 1
    for source, seen in seen_by_source.items():
        stored = stored_by_source.get(source, 0)
        counts[("received", source)] = counts.get(("received", source), 0) + stored
        counts[("duplicate", source)] = counts.get(("duplicate", source), 0) + seen - stored


def _publish_counts(session: Session) -> None:
    counts: dict[tuple[str, str], int] = session.info.get(_PENDING_COUNTS) or {}
    for (kind, source), count in counts.items():
        if count:
            counter = EVENTS_RECEIVED if kind == "received" else EVENTS_DUPLICATE
            counter.labels(source=source).inc(count)
    counts.clear()


def _forget_counts(session: Session) -> None:
    counts: dict[tuple[str, str], int] = session.info.get(_PENDING_COUNTS) or {}
    counts.clear()
