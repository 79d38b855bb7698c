"""The inbox worker through a CRM outage, on an injected clock, against the HubSpot sandbox
over real HTTP, on SQLite and PostgreSQL: events wait the outage out (no attempt spent, the
CRM probed at most once per back-off, not once per event and pass) and are processed exactly
once when it returns; an event the CRM refuses on its own still ends in the dead letter, and
does not take the other records of its batch with it. A write that failed is retried by the
idle worker within a minute of its back-off, without waiting for a sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.crm import hubspot_connector
from app.inbox.events import DEAD, DONE
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.store.tables import Account, WritebackState
from app.sync.orchestrator import run_sync
from app.sync.writeback import WRITTEN
from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import RetryPolicy
from crm_sandbox.sandbox import RunningSandbox
from tests.support.crm_checks import hubspot_writes
from tests.support.inbox import company_change, put, statuses

pytestmark = pytest.mark.slow  # a synced sandbox per test, then passes of the worker

DOWN_FOR = timedelta(minutes=10)
PASS_EVERY = timedelta(seconds=20)


@pytest.fixture
def synced(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> RunningSandbox:
    """The sandbox after a first sync (every company scored and written), writes cleared."""
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        run_sync(connector, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    return sandbox


@pytest.fixture
def single_try(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    """The worker's connector, trying each call once: an outage reaches the worker at once
    instead of after the client's own retries (seconds of real waiting each)."""
    once = RetryPolicy(max_attempts=1)
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric, retry=once) as (
        connector
    ):
        yield connector


def shrunk_companies(sandbox: RunningSandbox, count: int) -> list[str]:
    """The first `count` companies, changed in the CRM so that each is owed a new score."""
    companies = sandbox.hubspot.company_ids()[:count]
    for company in companies:
        sandbox.hubspot.touch_company(company, numberofemployees="3")  # now too small
    return companies


def clocked_worker(
    sessions: sessionmaker[Session],
    connector: HubSpotConnector,
    rubric: Rubric,
    now: list[datetime],
    **options: Any,
) -> Worker:
    """A worker whose clock reads `now[0]`, which the test moves."""
    return Worker(
        sessions, {"hubspot": connector}, compile_rubric(rubric), clock=lambda: now[0], **options
    )


def test_given_the_crm_down_for_ten_minutes_then_every_event_is_processed_once_when_it_returns(
    synced: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    single_try: HubSpotConnector,
) -> None:
    first, second, third = shrunk_companies(synced, 3)
    now = [datetime.now(UTC)]
    worker = clocked_worker(sessions, single_try, rubric, now)
    put(sessions, company_change("a1", first), company_change("b1", second), now=now[0])
    synced.hubspot_faults.fail_next(1_000_000, status=503)  # down: every call answers 503

    passes = 0
    while passes * PASS_EVERY < DOWN_FOR:  # a pass every 20 s for 10 minutes
        if passes == 10:  # more changes arrive during the outage, one about a waiting record
            put(sessions, company_change("a2", first), company_change("c1", third), now=now[0])
        report = worker.run_once()
        assert report.dead == 0
        now[0] += PASS_EVERY
        passes += 1

    assert set(statuses(sessions).values()) == {"pending"}
    probes = synced.hubspot_faults.injected().get("server_error", 0)
    assert 0 < probes <= 10 < passes  # the circuit: one probe per back-off, not one per pass
    assert hubspot_writes(synced) == {}

    synced.hubspot_faults.clear()  # the CRM is back
    for _ in range(12):  # no manual step: passes only, the back-off is at most 5 minutes
        now[0] += PASS_EVERY
        worker.run_once()

    assert statuses(sessions) == dict.fromkeys(("a1", "b1", "a2", "c1"), DONE)
    assert hubspot_writes(synced) == {first: 1, second: 1, third: 1}


def test_given_the_token_refused_for_an_hour_then_events_wait_and_are_processed_once_it_is_fixed(
    synced: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    single_try: HubSpotConnector,
) -> None:
    """An admin took the companies scope away from the private app: every event would fail
    alike, so they wait (as for an outage) instead of dying after their attempts, and the
    unavailability is shown by reason until the scope is back."""
    (company,) = shrunk_companies(synced, 1)
    now = [datetime.now(UTC)]
    worker = clocked_worker(sessions, single_try, rubric, now, max_attempts=3)
    put(sessions, company_change("a1", company), now=now[0])
    app = synced.hubspot_private_app
    granted = app.scopes
    app.scopes = frozenset(s for s in granted if not s.startswith("crm.objects.companies"))

    for _ in range(12):  # an hour of passes, 4 times max_attempts
        assert worker.run_once().dead == 0
        now[0] += timedelta(minutes=5)

    assert statuses(sessions) == {"a1": "pending"}
    assert unavailable("hubspot") == {"auth": 1.0, "rate_limited": 0.0,
                                      "server_error": 0.0, "unreachable": 0.0}  # fmt: skip
    app.scopes = granted  # the admin gave the scope back
    for _ in range(3):
        now[0] += timedelta(minutes=5)
        worker.run_once()

    assert statuses(sessions) == {"a1": DONE}
    assert hubspot_writes(synced) == {company: 1}
    assert set(unavailable("hubspot").values()) == {0.0}


def unavailable(source: str) -> dict[str, float]:
    """The `icp_sync_crm_unavailable` gauge of `source`, by reason."""
    return {
        sample.labels["reason"]: sample.value
        for metric in metrics.REGISTRY.collect()
        if metric.name == "icp_sync_crm_unavailable"
        for sample in metric.samples
        if sample.labels["source"] == source
    }


def test_given_a_record_the_crm_refuses_then_its_event_alone_is_dead_lettered(
    synced: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    single_try: HubSpotConnector,
) -> None:
    (company,) = shrunk_companies(synced, 1)
    now = [datetime.now(UTC)]
    worker = clocked_worker(sessions, single_try, rubric, now, max_attempts=3)
    refused = {"event_id": "d1", "event_type": "deal.propertyChange",
               "object_type": "deal", "object_id": "4242"}  # fmt: skip
    put(sessions, company_change("a1", company), refused, now=now[0])
    # HubSpot refuses every read of that deal (400 VALIDATION_ERROR): the event's own failure
    synced.hubspot_faults.fail_next(1_000, status=400, path="/objects/deals/batch/read")

    for _ in range(3):
        worker.run_once()
        now[0] += timedelta(minutes=31)

    assert statuses(sessions) == {"a1": DONE, "d1": DEAD}
    assert hubspot_writes(synced) == {company: 1}


def test_given_a_failed_write_then_an_idle_worker_retries_it_within_a_minute_of_its_backoff(
    synced: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    single_try: HubSpotConnector,
) -> None:
    (company,) = shrunk_companies(synced, 1)
    now = [datetime.now(UTC)]
    worker = clocked_worker(sessions, single_try, rubric, now)
    put(sessions, company_change("a1", company), now=now[0])
    synced.hubspot_faults.fail_next(1, status=503, path="/objects/companies/batch/update")

    assert worker.run_once().failed_writes == 1
    assert statuses(sessions) == {"a1": DONE}
    retry_at = writeback_of(sessions, company).next_attempt_at
    assert retry_at is not None

    while not hubspot_writes(synced) and now[0] < retry_at + timedelta(minutes=5):
        now[0] += timedelta(seconds=10)  # idle passes, no sync
        worker.run_once()

    assert retry_at <= now[0] <= retry_at + timedelta(minutes=1)
    assert hubspot_writes(synced) == {company: 1}
    assert writeback_of(sessions, company).status == WRITTEN


def writeback_of(sessions: sessionmaker[Session], crm_id: str) -> WritebackState:
    with sessions() as session:
        return session.scalars(
            select(WritebackState).join(Account).where(Account.crm_id == crm_id)
        ).one()
