"""app.inbox.receive.enqueue: pending rows, deduplicated on (source, event id) by the database,
safe under concurrent writers, counted in the metrics only once committed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import IncomingEvent, Source
from app.inbox.receive import Enqueued, enqueue, enqueue_many, record_rejected
from app.metrics import REGISTRY
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import WebhookEvent

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def incoming(event_id: str, *, source: Source = "hubspot", object_id: str = "42") -> IncomingEvent:
    return IncomingEvent(
        source=source,
        event_id=event_id,
        event_type="company.propertyChange",
        object_type="company",
        object_id=object_id,
        occurred_at=NOW,
        payload={"eventId": event_id, "propertyName": "industry"},
    )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    created = make_engine(database_url)
    yield created
    created.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def rows(sessions: sessionmaker[Session]) -> list[WebhookEvent]:
    with sessions() as session:
        return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def metric(name: str, source: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": source}) or 0.0


def test_given_new_events_when_enqueued_then_pending_rows_with_every_column(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        result = enqueue(session, [incoming("1"), incoming("2", object_id="43")], NOW)

    assert result == (2, 0, 0)
    stored = rows(sessions)
    assert [(r.source, r.event_id, r.object_type, r.object_id) for r in stored] == [
        ("hubspot", "1", "company", "42"),
        ("hubspot", "2", "company", "43"),
    ]
    first = stored[0]
    assert first.event_type == "company.propertyChange"
    assert first.payload == {"eventId": "1", "propertyName": "industry"}
    assert (first.status, first.attempts) == ("pending", 0)
    assert first.received_at == first.next_attempt_at == NOW
    assert (first.claimed_by, first.claimed_at, first.processed_at, first.last_error) == (
        None,
        None,
        None,
        None,
    )


def test_given_events_already_stored_when_enqueued_again_then_counted_as_duplicates(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        enqueue(session, [incoming("1"), incoming("2")], NOW)

    with sessions() as session, session.begin():
        result = enqueue(session, [incoming("2"), incoming("3"), incoming("1")], NOW)

    assert result == (1, 2, 0)
    assert sorted(r.event_id for r in rows(sessions)) == ["1", "2", "3"]


def test_given_repeated_event_in_one_batch_when_enqueued_then_stored_once(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        result = enqueue(session, [incoming("1"), incoming("1"), incoming("1")], NOW)

    assert result == (1, 2, 0)
    assert len(rows(sessions)) == 1


def test_given_same_event_id_from_two_sources_when_enqueued_then_both_stored(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        result = enqueue(session, [incoming("1"), incoming("1", source="salesforce")], NOW)

    assert result == (2, 0, 0)


def test_given_no_events_when_enqueued_then_nothing_happens(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        assert enqueue(session, [], NOW) == (0, 0, 0)

    assert rows(sessions) == []


def test_given_commit_when_enqueued_then_metrics_move_only_after_commit(
    sessions: sessionmaker[Session],
) -> None:
    received = metric("icp_sync_webhook_events_received_total", "hubspot")
    duplicate = metric("icp_sync_webhook_events_duplicate_total", "hubspot")

    with sessions() as session:
        enqueue(session, [incoming("1"), incoming("1")], NOW)
        assert metric("icp_sync_webhook_events_received_total", "hubspot") == received
        session.commit()

    assert metric("icp_sync_webhook_events_received_total", "hubspot") == received + 1
    assert metric("icp_sync_webhook_events_duplicate_total", "hubspot") == duplicate + 1


def test_given_rollback_when_enqueued_then_nothing_stored_and_nothing_counted(
    sessions: sessionmaker[Session],
) -> None:
    received = metric("icp_sync_webhook_events_received_total", "hubspot")

    with sessions() as session:
        enqueue(session, [incoming("1")], NOW)
        session.rollback()
        session.commit()  # an empty transaction: must not publish the rolled-back counts

    assert rows(sessions) == []
    assert metric("icp_sync_webhook_events_received_total", "hubspot") == received


def test_given_rejection_when_recorded_then_counted_by_source_and_reason() -> None:
    labels = {"source": "salesforce", "reason": "org"}
    before = REGISTRY.get_sample_value("icp_sync_webhook_requests_rejected_total", labels) or 0.0

    record_rejected("salesforce", "org")

    after = REGISTRY.get_sample_value("icp_sync_webhook_requests_rejected_total", labels)
    assert after == before + 1


def test_given_16_threads_enqueueing_overlapping_batches_when_run_then_no_error_and_each_once(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    # Every thread sends events 0..49 (in its own order) plus 10 of its own: the shared ones
    # collide on the unique constraint; ON CONFLICT DO NOTHING must absorb every collision, and
    # inserting in a fixed order keeps PostgreSQL from deadlocking.
    errors: list[BaseException] = []
    results: list[Enqueued] = []
    barrier = threading.Barrier(16)

    def deliver(worker: int) -> None:
        shared = [incoming(f"shared-{i}") for i in range(50)]
        if worker % 2:
            shared.reverse()
        own = [incoming(f"own-{worker}-{i}") for i in range(10)]
        try:
            barrier.wait()
            with sessions() as session, session.begin():
                results.append(enqueue(session, shared + own, NOW))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(worker,)) for worker in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(result.stored for result in results) == 50 + 16 * 10
    assert sum(result.duplicates for result in results) == 15 * 50
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 210


def score_change(event_id: str, change_source: str | None) -> IncomingEvent:
    """A change of `icp_tier` (a property our writeback owns) made by `change_source`."""
    payload = {"eventId": event_id, "propertyName": "icp_tier", "propertyValue": "tier_1"}
    if change_source is not None:
        payload["changeSource"] = change_source
    return IncomingEvent(
        source="hubspot",
        event_id=event_id,
        event_type="company.propertyChange",
        object_type="company",
        object_id="42",
        occurred_at=NOW,
        payload=payload,
    )


def test_given_echoes_of_our_writes_when_enqueued_then_not_stored_but_a_persons_edit_is_in_full(
    sessions: sessionmaker[Session],
) -> None:
    ours, unsaid, person = (
        score_change("1", "INTEGRATION"),
        score_change("2", None),
        score_change("3", "CRM_UI"),
    )
    echoes = metric("icp_sync_webhook_echoes_dropped_total", "hubspot")

    with sessions() as session:
        result = enqueue(session, [ours, unsaid, person, incoming("4")], NOW)
        assert metric("icp_sync_webhook_echoes_dropped_total", "hubspot") == echoes
        session.commit()
    with sessions() as session, session.begin():
        redelivered = enqueue(session, [ours], NOW)

    assert result == (2, 0, 2)
    assert redelivered == (0, 0, 1)  # recognised as an echo again, without being stored
    assert {r.event_id: r.payload for r in rows(sessions)} == {
        "3": person.payload,  # drift to repair: stored with its body
        "4": {"eventId": "4", "propertyName": "industry"},
    }
    assert metric("icp_sync_webhook_echoes_dropped_total", "hubspot") == echoes + 3


def test_given_deliveries_sharing_events_when_enqueued_in_one_batch_then_each_answered_as_if_alone(
    sessions: sessionmaker[Session],
) -> None:
    """The group commit stores a batch of deliveries in one INSERT: each delivery must still
    hear what its own `enqueue` would have said, the earlier one storing a shared event."""
    later = datetime(2026, 11, 23, 9, 31, tzinfo=UTC)
    with sessions() as session, session.begin():
        enqueue(session, [incoming("0")], NOW)
    received = metric("icp_sync_webhook_events_received_total", "hubspot")
    duplicates = metric("icp_sync_webhook_events_duplicate_total", "hubspot")

    with sessions() as session, session.begin():
        results = enqueue_many(
            session,
            [
                ([incoming("1"), incoming("2"), incoming("0")], NOW),
                ([], NOW),
                ([incoming("2"), score_change("9", "INTEGRATION"), incoming("3")], later),
                ([incoming("1"), incoming("1")], later),
            ],
        )

    assert results == [(2, 1, 0), (0, 0, 0), (1, 1, 1), (0, 2, 0)]
    assert {r.event_id: r.received_at for r in rows(sessions)} == {
        "0": NOW,
        "1": NOW,
        "2": NOW,
        "3": later,
    }
    assert metric("icp_sync_webhook_events_received_total", "hubspot") == received + 3
    assert metric("icp_sync_webhook_events_duplicate_total", "hubspot") == duplicates + 4
