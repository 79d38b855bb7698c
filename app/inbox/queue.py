"""The inbox as a work queue: claim, complete, fail with back-off, dead-letter, replay.

A claim is one atomic `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)
RETURNING id`: on PostgreSQL several workers (threads, processes, replicas) never claim the same
event; SQLite runs one writer at a time, so the statement is atomic there too. A claim is a
lease: an event a worker claimed and never finished (the process was killed) is claimable again
once the lease expires, so nothing accepted is ever lost. `attempts` counts claims, so an event
that kills its worker every time still ends in the dead letter.

Per record, events are processed in the order received: an event is not claimed while an
earlier event of the same record waits (backing off) or is being processed by another worker.
A CRM outage is waited out (`wait_out`): it gives the attempt back, so only an event that fails
on its own (`fail`) ends in the dead letter, or one the CRM stayed down for longer than it
keeps retrying its own deliveries (`OUTAGE_WINDOW`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.inbox.events import DEAD, DONE, PENDING, PROCESSING, STATUSES
from app.store.partial import excluding
from app.store.tables import WebhookEvent

DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=30)
OUTAGE_WINDOW = timedelta(hours=24)
"""How long an event waits out a CRM outage before the dead letter: as long as the CRMs keep
retrying their own deliveries (HubSpot webhooks: up to 10 retries over ~24 h; Salesforce
Outbound Messages: dropped after 24 h; /work/shared/docs/hubspot.md "Retries",
salesforce.md "Outbound Messages", crm_sandbox/core/delivery.py HUBSPOT_RETRY/SALESFORCE_RETRY)."""


def claim(
    session: Session,
    worker_id: str,
    now: datetime,
    *,
    limit: int = 200,
    lease: timedelta = DEFAULT_LEASE,
    skip_sources: Collection[str] = (),
) -> list[WebhookEvent]:
    """Claims up to `limit` due events (oldest first) for `worker_id`, none of `skip_sources`
    (CRMs whose circuit is open) and none behind an earlier event of its record that is not
    claimable now. The caller commits the claim before working on the events, so that rolling
    the work back keeps the claim."""
    claimable = or_(
        and_(WebhookEvent.status == PENDING, WebhookEvent.next_attempt_at <= now),
        and_(WebhookEvent.status == PROCESSING, WebhookEvent.claimed_at < now - lease),
    )
    earlier = aliased(WebhookEvent)
    held = (
        select(earlier.id)
        .where(
            earlier.source == WebhookEvent.source,
            earlier.object_type == WebhookEvent.object_type,
            earlier.object_id == WebhookEvent.object_id,
            earlier.id < WebhookEvent.id,
            or_(
                and_(earlier.status == PENDING, earlier.next_attempt_at > now),
                and_(earlier.status == PROCESSING, earlier.claimed_at >= now - lease),
            ),
        )
        .exists()
    )
    due = (
        select(WebhookEvent.id)
        .where(
            excluding(WebhookEvent.status, DONE),  # the index of the unprocessed serves it
            claimable,
            ~held,
            WebhookEvent.source.not_in(list(skip_sources)),
        )
        .order_by(WebhookEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # Two statements, not `UPDATE … WHERE id IN (subquery … LIMIT … SKIP LOCKED)`: PostgreSQL may
    # evaluate such a subquery more than once and so claim more than `limit` rows.
    picked = list(session.scalars(due))
    if not picked:
        return []
    ids = list(
        session.scalars(
            update(WebhookEvent)
            .where(WebhookEvent.id.in_(picked), claimable)
            .values(
                status=PROCESSING,
                claimed_by=worker_id,
                claimed_at=now,
                attempts=WebhookEvent.attempts + 1,
            )
            .returning(WebhookEvent.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not ids:
        return []
    return list(
        session.scalars(
            select(WebhookEvent).where(WebhookEvent.id.in_(ids)).order_by(WebhookEvent.id)
        )
    )


def complete(events: Sequence[WebhookEvent], now: datetime) -> None:
    for event in events:
        event.status = DONE
        event.processed_at = now
        event.last_error = None
        event.next_attempt_at = None


def fail(
    events: Sequence[WebhookEvent],
    error: str,
    now: datetime,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int:
    """Puts the events back with a delay that doubles per attempt (from 2 s, at most 30 min),
    or moves those out of attempts to the dead letter. Returns how many were dead-lettered."""
    dead = 0
    for event in events:
        event.last_error = error[:2000]
        event.claimed_by = None
        if event.attempts >= max_attempts:
            event.status = DEAD
            event.next_attempt_at = None
            dead += 1
        else:
            event.status = PENDING
            delay = min(timedelta(seconds=2**event.attempts), MAX_BACKOFF)
            event.next_attempt_at = now + delay
    return dead


def wait_out(
    events: Sequence[WebhookEvent],
    error: str,
    now: datetime,
    *,
    until: datetime,
    window: timedelta = OUTAGE_WINDOW,
) -> int:
    """Puts the events back until `until` after a CRM outage, giving their attempt back (the
    CRM failed, not the event); those received more than `window` ago go to the dead letter.
    Returns how many were dead-lettered."""
    dead = 0
    for event in events:
        event.last_error = error[:2000]
        event.claimed_by = None
        event.attempts = max(0, event.attempts - 1)
        if now - event.received_at >= window:
            event.status, event.next_attempt_at = DEAD, None
            event.last_error = f"CRM unavailable for over {window}: {error}"[:2000]
            dead += 1
        else:
            event.status, event.next_attempt_at = PENDING, until
    return dead


def depth(session: Session, statuses: Sequence[str] = STATUSES) -> dict[str, int]:
    """Events per status, one count per status: each reads its status's range of a
    (status, …) index, so pending, processing and dead (few, in a healthy inbox) cost what they
    hold, not the whole table as a GROUP BY did (~50 ms on SQLite, ~250 ms on PostgreSQL at 1M
    rows, nearly all of them processed)."""
    return {
        status: int(
            session.scalar(
                select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == status)
            )
            or 0
        )
        for status in statuses
    }


def oldest_pending_age(session: Session, now: datetime) -> timedelta | None:
    oldest = session.scalar(
        select(func.min(WebhookEvent.received_at)).where(
            WebhookEvent.status.in_((PENDING, PROCESSING))
        )
    )
    return None if oldest is None else now - oldest


def events(session: Session, *, status: str | None = None, limit: int = 50) -> list[WebhookEvent]:
    """The newest events, of one status when given."""
    query = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
    if status is not None:
        query = query.where(WebhookEvent.status == status)
    if status not in (None, DONE):  # few: the index of the unprocessed holds them
        query = query.where(excluding(WebhookEvent.status, DONE))
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class Replayed:
    requeued: int
    not_dead: list[int]
    """Ids asked for that are not dead-lettered (unknown, pending, done): left alone."""


def replay(session: Session, now: datetime, ids: Sequence[int] | None = None) -> Replayed:
    """Requeues dead-lettered events (these ids, or all of them) with fresh attempts."""
    query = update(WebhookEvent).where(WebhookEvent.status == DEAD)
    if ids is not None:
        query = query.where(WebhookEvent.id.in_(set(ids)))
    result = session.execute(
        query.values(status=PENDING, attempts=0, next_attempt_at=now, claimed_by=None)
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    )
    requeued = {int(i) for i in result.scalars()}
    return Replayed(len(requeued), sorted(set(ids or ()) - requeued))
