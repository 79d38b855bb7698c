"""The inbox queue on SQLite and PostgreSQL: events of one record are claimed in the order
received (a later one waits while an earlier one backs off or is being processed); a CRM
whose circuit is open is skipped; an outage gives the attempt back and dead-letters only
after the CRMs' own retry window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.inbox import queue
from app.inbox.events import DEAD, PENDING
from app.store.tables import WebhookEvent
from tests.support.inbox import company_change, put

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def claim_ids(
    sessions: sessionmaker[Session], now: datetime, worker: str = "w1", **options: object
) -> list[str]:
    with sessions() as session:
        claimed = queue.claim(session, worker, now, **options)  # type: ignore[arg-type]
        session.commit()
        return [event.event_id for event in claimed]


def test_given_an_earlier_event_of_a_record_backing_off_then_its_later_events_wait_for_it(
    sessions: sessionmaker[Session],
) -> None:
    put(sessions, company_change("a1", "1"), now=T0)
    assert claim_ids(sessions, T0) == ["a1"]
    put(sessions, company_change("a2", "1"), company_change("b1", "2"), now=T0)
    with sessions() as session:
        first = session.get(WebhookEvent, 1)
        assert first is not None
        other = queue.claim(session, "w2", T0)
        assert [e.event_id for e in other] == ["b1"]  # a1 is being processed: a2 waits
        queue.complete(other, T0)
        queue.wait_out([first], "HTTP 503", T0, until=T0 + timedelta(minutes=5))
        session.commit()

    assert claim_ids(sessions, T0 + timedelta(minutes=1)) == []  # a1 backs off: a2 waits
    assert claim_ids(sessions, T0 + timedelta(minutes=5)) == ["a1", "a2"]  # in order


def test_given_a_source_whose_circuit_is_open_then_its_events_are_not_claimed(
    sessions: sessionmaker[Session],
) -> None:
    put(sessions, company_change("h1", "1"), now=T0)
    put(sessions, {**company_change("s1", "001A"), "source": "salesforce",
                   "object_type": "account"}, now=T0)  # fmt: skip

    assert claim_ids(sessions, T0, skip_sources=["hubspot"]) == ["s1"]
    assert claim_ids(sessions, T0) == ["h1"]


def test_given_an_outage_then_the_attempt_is_given_back_until_the_retry_window_ends(
    sessions: sessionmaker[Session],
) -> None:
    put(sessions, company_change("a1", "1"), company_change("a2", "2"), now=T0)
    later = T0 + queue.OUTAGE_WINDOW
    with sessions() as session:
        fresh, old = queue.claim(session, "w1", later)
        fresh.received_at = later - timedelta(minutes=1)

        dead = queue.wait_out([fresh, old], "HTTP 503", later, until=later)

        assert dead == 1
        assert (fresh.status, fresh.attempts, fresh.next_attempt_at) == (PENDING, 0, later)
        assert (old.status, old.attempts) == (DEAD, 0)
        assert "CRM unavailable for over 1 day" in (old.last_error or "")
