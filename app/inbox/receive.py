"""Storing verified webhook events in the inbox (`webhook_events`), once per (source, identity).

`enqueue` runs inside the caller's transaction; the webhook is answered only after that
transaction commits. HubSpot's echoes of our own score writes (`connectors.hubspot.echo`: the
`changeSource` of an API write) are not stored at all: they need no work, and a redelivered
echo is recognised as one again, without its identity stored. A person's edit of a score
property is not an echo: it is stored in full (drift).

Deduplication is the database's: `INSERT … ON CONFLICT DO NOTHING` on the (source, identity)
unique constraint (`IncomingEvent.identity`: what makes an event distinct, not the CRM's event
id alone), so concurrent deliveries of the same event never raise, on SQLite and PostgreSQL
alike. Rows are inserted in (source, identity) order, so two concurrent batches sharing events
wait for each other instead of deadlocking on PostgreSQL.

Metrics: `EVENTS_RECEIVED`, `EVENTS_DUPLICATE` and `ECHOES_DROPPED` move when the transaction
commits (a rolled back insert counts nothing; the CRM's retry is counted then);
`record_rejected` counts refused requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.inbox.events import PENDING, IncomingEvent
from app.metrics import ECHOES_DROPPED, EVENTS_DUPLICATE, EVENTS_RECEIVED, REQUESTS_REJECTED
from app.store.insert import insert_ignoring_conflicts
from app.store.tables import WebhookEvent
from connectors.hubspot import echo as hubspot_echo

_PENDING_COUNTS = "icp_sync.inbox.uncommitted_counts"
_INSERTS: dict[str, Any] = {}


class Enqueued(NamedTuple):
    """What `enqueue` made of its events: `stored + duplicates + echoes` of them."""

    stored: int
    duplicates: int
    echoes: int
    """Echoes of our own writes: not stored."""


def enqueue(session: Session, events: Sequence[IncomingEvent], received_at: datetime) -> Enqueued:
    """Insert `events` as pending inbox rows, but for the echoes of our own writes.

    A duplicate is an event whose (source, identity) is already in the inbox, or repeated
    earlier in `events`: each event is stored once. `received_at` (tz-aware) is also the first
    `next_attempt_at`. Nothing is committed here.
    """
    return enqueue_many(session, [(events, received_at)])[0]


def enqueue_many(
    session: Session, deliveries: Sequence[tuple[Sequence[IncomingEvent], datetime]]
) -> list[Enqueued]:
    """`enqueue` for several deliveries (events, received at) in one INSERT: what each one's
    own `enqueue`, called in turn, would have returned. An event in two of them is stored by
    the first and a duplicate in the later ones."""
    owners: dict[tuple[str, str], int] = {}  # (source, identity) -> the first delivery with it
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    work: list[IncomingEvent] = []
    echoes: list[IncomingEvent] = []
    counts: list[tuple[int, int]] = []  # per delivery: (events to store, echoes)
    for index, (events, received_at) in enumerate(deliveries):
        mine = theirs = 0
        for incoming in events:
            if _is_echo(incoming):
                echoes.append(incoming)
                theirs += 1
                continue
            work.append(incoming)
            mine += 1
            identity = incoming.identity
            if (incoming.source, identity) not in owners:
                owners[(incoming.source, identity)] = index
                rows[(incoming.source, identity)] = _row(incoming, identity, received_at)
        counts.append((mine, theirs))
    inserted: Sequence[Any] = []
    if rows:
        statement = _insert_statement(session)
        # One executemany of a statement compiled once (SQLAlchemy's "insertmanyvalues" sends
        # it as multi-row INSERTs): `.values(rows)` would compile anew for every row count.
        inserted = session.connection().execute(statement, [rows[k] for k in sorted(rows)]).all()
    stored = [0] * len(deliveries)
    for source, identity in inserted:
        stored[owners[(source, identity)]] += 1
    if work or echoes:
        _count_on_commit(session, work, echoes, [source for source, _ in inserted])
    return [
        Enqueued(new, mine - new, theirs)
        for new, (mine, theirs) in zip(stored, counts, strict=True)
    ]


def _insert_statement(session: Session) -> Any:
    """The INSERT for the session's database, built once per dialect (building it costs as much
    as running it for one delivery)."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        table = WebhookEvent.metadata.tables[WebhookEvent.__tablename__]
        statement = _INSERTS[dialect] = insert_ignoring_conflicts(
            session, table, ["source", "identity"]
        ).returning(table.c.source, table.c.identity)
    return statement


def _is_echo(incoming: IncomingEvent) -> bool:
    """A Salesforce notification says who changed the record (`LastModifiedById`), but only
    the worker's connector knows the integration user: those echoes are stored and dropped by
    the worker without a fetch."""
    return incoming.source == "hubspot" and hubspot_echo.is_own_change(
        incoming.event_type, incoming.payload
    )


def record_rejected(source: str, reason: str) -> None:
    """Count a refused webhook request (reason: signature, stale, org, malformed, …)."""
    REQUESTS_REJECTED.labels(source=source, reason=reason).inc()


def _row(incoming: IncomingEvent, identity: str, received_at: datetime) -> dict[str, Any]:
    return {
        "source": incoming.source,
        "event_id": incoming.event_id,
        "identity": identity,
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
    session: Session,
    work: Sequence[IncomingEvent],
    echoes: Sequence[IncomingEvent],
    inserted: Sequence[str],
) -> None:
    counts: dict[tuple[str, str], int] = session.info.setdefault(_PENDING_COUNTS, {})

    def add(kind: str, source: str, count: int) -> None:
        counts[(kind, source)] = counts.get((kind, source), 0) + count

    for source in inserted:
        add("received", source, 1)
    for incoming in work:
        add("duplicate", incoming.source, 1)
    for source in inserted:
        add("duplicate", source, -1)
    for incoming in echoes:
        add("echo", incoming.source, 1)


def _publish_counts(session: Session) -> None:
    counts: dict[tuple[str, str], int] = session.info.get(_PENDING_COUNTS) or {}
    counters = {"received": EVENTS_RECEIVED, "duplicate": EVENTS_DUPLICATE, "echo": ECHOES_DROPPED}
    for (kind, source), count in counts.items():
        if count:
            counters[kind].labels(source=source).inc(count)
    counts.clear()


def _forget_counts(session: Session) -> None:
    counts: dict[tuple[str, str], int] = session.info.get(_PENDING_COUNTS) or {}
    counts.clear()


# Listening on the class, once: listening on each session costs as much as the INSERT of a
# one-event delivery. A session that enqueued nothing has no counts and publishes nothing.
event.listen(Session, "after_commit", _publish_counts)
event.listen(Session, "after_rollback", _forget_counts)
