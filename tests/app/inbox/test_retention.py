"""Inbox retention on SQLite and PostgreSQL: processed events (and the webhook bodies stored in
them) older than the retention are deleted in small batches; waiting and dead-lettered events
stay whatever their age; a redelivery inside the CRMs' window is still recognised."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.inbox import queue
from app.inbox.events import DEAD, DONE, PENDING, IncomingEvent
from app.inbox.receive import Enqueued, enqueue
from app.inbox.retention import MIN_RETENTION, PAUSE_S, prune_committing
from app.metrics import REGISTRY
from app.store.tables import WebhookEvent

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def change(event_id: str) -> IncomingEvent:
    """A person's change of a company (each event its own company, so claims do not wait)."""
    return IncomingEvent(
        source="hubspot",
        event_id=event_id,
        event_type="company.propertyChange",
        object_type="company",
        object_id=f"9{event_id}",
        payload={"propertyName": "industry", "changeSource": "CRM_UI", "portalId": 33},
    )


def deliver(sessions: sessionmaker[Session], at: datetime, *event_ids: str) -> Enqueued:
    with sessions() as session:
        result = enqueue(session, [change(e) for e in event_ids], at)
        session.commit()
    return result


def process(sessions: sessionmaker[Session], at: datetime, *, dead: Collection[str] = ()) -> None:
    """Claims every due event at `at`: those in `dead` fail for good, the others are done."""
    with sessions() as session:
        claimed = queue.claim(session, "w1", at)
        queue.fail([e for e in claimed if e.event_id in dead], "RejectedError", at, max_attempts=1)
        queue.complete([e for e in claimed if e.event_id not in dead], at + timedelta(seconds=1))
        session.commit()


def stored(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        return {e.event_id: e.status for e in session.scalars(select(WebhookEvent))}


def pruned_metric() -> float:
    labels = {"table": "webhook_events"}
    return REGISTRY.get_sample_value("icp_sync_retention_rows_pruned_total", labels) or 0.0


def test_given_old_and_recent_events_when_pruned_then_only_old_processed_ones_go_in_batches(
    sessions: sessionmaker[Session],
) -> None:
    old, recent = T0 - timedelta(days=10), T0 - timedelta(days=2)
    deliver(sessions, old, "o1", "o2", "o3", "o4", "o5", "dead")
    process(sessions, old, dead={"dead"})
    deliver(sessions, recent, "r1", "r2")
    process(sessions, recent)
    deliver(sessions, old, "waiting")  # received then, never processed (its CRM not configured)
    before = pruned_metric()
    pauses: list[float] = []

    with sessions() as session:
        pruned = prune_committing(session, T0, WEEK, batch=2, sleep=pauses.append)

    assert (pruned.events, pruned.before) == (5, T0 - WEEK)
    assert pauses == [PAUSE_S, PAUSE_S]  # batches of 2, 2 and 1, each committed on its own
    assert stored(sessions) == {"dead": DEAD, "waiting": PENDING, "r1": DONE, "r2": DONE}
    assert pruned_metric() == before + 5


def test_given_a_processed_event_when_redelivered_in_the_window_after_a_prune_then_a_duplicate(
    sessions: sessionmaker[Session],
) -> None:
    deliver(sessions, T0, "e1")
    process(sessions, T0)
    late = T0 + timedelta(hours=23)  # HubSpot's last retry comes within 24 h

    with sessions() as session:
        kept = prune_committing(session, late, MIN_RETENTION)
    redelivered = deliver(sessions, late, "e1")
    with sessions() as session:
        after_window = prune_committing(session, late + timedelta(hours=2), MIN_RETENTION)

    assert kept.events == 0
    assert redelivered == (0, 1, 0)
    assert after_window.events == 1
    assert stored(sessions) == {}


def test_given_a_retention_shorter_than_the_redelivery_window_when_pruning_then_refused(
    sessions: sessionmaker[Session],
) -> None:
    deliver(sessions, T0, "e1")
    process(sessions, T0)

    with sessions() as session, pytest.raises(ValueError, match="redelivery window"):
        prune_committing(session, T0 + timedelta(hours=13), timedelta(hours=12))

    assert stored(sessions) == {"e1": DONE}
