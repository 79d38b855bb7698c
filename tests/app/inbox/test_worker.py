"""The inbox worker against the HubSpot and Salesforce sandboxes over real HTTP, on SQLite and
PostgreSQL: events become fresh scores written back once; echoes of our own writes are
dropped; a killed worker's events come back; failures back off into the dead letter."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.crm import hubspot_connector, make_connector
from app.inbox import queue
from app.inbox.events import DEAD, DONE, PENDING, PROCESSING
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.settings import settings_from
from app.store.tables import Account, Score, WebhookEvent
from app.sync.orchestrator import run_sync
from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.pacing import pacer_for
from connectors.retry import RetryPolicy
from crm_sandbox.sandbox import RunningSandbox
from tests.support.inbox import put, statuses

pytestmark = pytest.mark.slow  # a synced sandbox per test, then events through the worker


@pytest.fixture
def hubspot(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        yield connector


def written(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(
        w.object_id for w in sandbox.hubspot.writes("companies") if "icp_tier" in w.properties
    )


def test_given_a_changed_company_event_then_it_alone_is_fetched_rescored_and_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[0]
    sandbox.hubspot.touch_company(company, numberofemployees="3")  # now too small
    put(
        sessions,
        *(
            {
                "event_id": f"e{i}",
                "event_type": "company.propertyChange",
                "object_type": "company",
                "object_id": company,
                "payload": {"propertyName": "numberofemployees", "propertyValue": "3"},
            }
            for i in range(3)  # three deliveries about one record: one fetch, one write
        ),
    )

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.claimed, report.fetched, report.written) == (3, 1, 1)
    assert written(sandbox) == Counter({company: 1})
    assert set(statuses(sessions).values()) == {DONE}
    with sessions() as session:
        score = session.scalars(select(Score).join(Account).where(Account.crm_id == company)).one()
    assert score.tier == "disqualified"
    assert all(latency >= 0 for latency in report.latencies)


def test_given_a_429_while_processing_then_it_is_absorbed_and_counted_in_the_metrics(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    company = sandbox.hubspot.company_ids()[1]
    sandbox.hubspot.touch_company(company, numberofemployees="3")
    put(
        sessions,
        {
            "event_id": "limited",
            "event_type": "company.propertyChange",
            "object_type": "company",
            "object_id": company,
        },
    )
    sample = ("icp_sync_crm_rate_limited_total", {"source": "hubspot"})
    before = metrics.REGISTRY.get_sample_value(*sample) or 0.0
    sandbox.hubspot_faults.fail_next(1, status=429, retry_after=1)

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert report.written == 1
    assert statuses(sessions) == {"limited": DONE}
    assert (metrics.REGISTRY.get_sample_value(*sample) or 0.0) - before == 1


def test_given_a_burst_just_spent_the_rate_limit_then_the_events_wait_and_go_together(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    pacer = pacer_for(sandbox.hubspot_token)  # the process's one pacer for this token
    while pacer.free_in(4) == 0.0:  # another caller's burst: a tenth of the window's budget
        pacer.reserve()
    companies = sandbox.hubspot.company_ids()[:3]
    put(sessions, *({"event_id": f"b{i}", "event_type": "company.creation",
                     "object_type": "company", "object_id": c} for i, c in enumerate(companies)))  # fmt: skip
    worker = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric))

    held = worker.run_once(gather=True)
    time.sleep(pacer.free_in(4) + 0.05)
    done = worker.run_once(gather=True)

    assert held.claimed == 0
    assert (done.claimed, done.fetched) == (3, 3)  # together, in one batch
    assert set(statuses(sessions).values()) == {DONE}


def test_given_changes_of_properties_no_score_reads_then_done_without_a_fetch(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    company = sandbox.hubspot.company_ids()[1]
    calls = hubspot.stats.calls
    unscored = [  # a workflow routing a contact, a note logged on a company
        ("contact", "10000000001", "hubspot_owner_id", "AUTOMATION_PLATFORM"),
        ("company", company, "notes_last_contacted", "CRM_UI"),
    ]
    put(
        sessions,
        *(
            {
                "event_id": f"u-{name}",
                "event_type": f"{kind}.propertyChange",
                "object_type": kind,
                "object_id": crm_id,
                "payload": {"propertyName": name, "propertyValue": "1", "changeSource": source},
            }
            for kind, crm_id, name, source in unscored
        ),
    )

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.unscored, report.fetched) == (2, 0)
    assert hubspot.stats.calls == calls
    read = {"propertyName": "icp_buying_signals"}  # a property the default rubric maps
    assert not hubspot.is_unscored_change("company.propertyChange", read)
    assert not hubspot.is_unscored_change("contact.propertyChange", {"propertyName": "jobtitle"})
    assert not hubspot.is_unscored_change("company.propertyChange", {"propertyName": "icp_tier"})
    assert not hubspot.is_unscored_change("contact.creation", {})


def test_given_an_echo_of_our_own_write_then_nothing_is_fetched_or_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[1]
    calls = hubspot.stats.calls
    put(
        sessions,
        *(
            {
                "event_id": f"echo-{name}",
                "event_type": "company.propertyChange",
                "object_type": "company",
                "object_id": company,
                "payload": {"propertyName": name, "propertyValue": "x"},
            }
            for name in ("icp_tier", "icp_fit_score", "icp_reasons")
        ),
    )

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert report.echoes == 3
    assert hubspot.stats.calls == calls
    assert not written(sandbox)
    assert set(statuses(sessions).values()) == {DONE}


def test_given_an_unchanged_company_event_then_it_is_fetched_but_not_rewritten(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[2]
    put(
        sessions,
        {
            "event_id": "same",
            "event_type": "company.propertyChange",
            "object_type": "company",
            "object_id": company,
            "payload": {"propertyName": "industry", "propertyValue": "unchanged in the CRM"},
        },
    )

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.fetched, report.scored, report.written) == (1, 0, 0)
    assert not written(sandbox)


def test_given_a_worker_killed_mid_event_then_another_takes_it_after_the_lease(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    company = sandbox.hubspot.company_ids()[3]
    sandbox.hubspot.touch_company(company, numberofemployees="4")
    put(sessions, {"event_id": "k1", "event_type": "company.creation",
                   "object_type": "company", "object_id": company})  # fmt: skip
    start = datetime.now(UTC)
    with sessions() as session:  # the first worker claims it, then its process is killed
        assert len(queue.claim(session, "killed", start)) == 1
        session.commit()
    assert statuses(sessions) == {"k1": PROCESSING}

    soon = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric),
                  clock=lambda: start + timedelta(seconds=30))  # fmt: skip
    later = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric),
                   clock=lambda: start + queue.DEFAULT_LEASE + timedelta(seconds=1))  # fmt: skip

    assert soon.run_once().claimed == 0  # still leased to the killed worker
    report = later.run_once()
    assert (report.claimed, report.written) == (1, 1)
    assert statuses(sessions) == {"k1": DONE}
    with sessions() as session:
        assert session.scalars(select(WebhookEvent)).one().attempts == 2


def test_given_a_crm_unreachable_for_longer_than_it_retries_then_events_dead_letter_then_replay(
    sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    with HubSpotConnector("http://127.0.0.1:9", "pat-x", retry=RetryPolicy(max_attempts=1)) as (
        unreachable
    ):
        now = [datetime.now(UTC)]
        put(sessions, {"event_id": "d1", "event_type": "company.creation",
                       "object_type": "company", "object_id": "1"}, now=now[0])  # fmt: skip
        worker = Worker(sessions, {"hubspot": unreachable}, compile_rubric(rubric),
                        max_attempts=3, clock=lambda: now[0])  # fmt: skip

        first = worker.run_once()
        assert (first.waiting, first.failed_events, first.dead) == (1, 0, 0)
        assert worker.run_once().claimed == 0  # the circuit is open: backing off
        for _ in range(5):  # more passes than max_attempts: an outage spends no attempt
            now[0] += timedelta(minutes=31)
            assert worker.run_once().dead == 0
        now[0] += queue.OUTAGE_WINDOW
        assert worker.run_once().dead == 1  # down for longer than HubSpot retries a delivery

    with sessions() as session:
        event = session.scalars(select(WebhookEvent)).one()
        assert (event.status, event.attempts) == (DEAD, 0)
        assert "CRM unavailable for over 1 day" in (event.last_error or "")
        assert "NetworkError" in (event.last_error or "")
        replayed = queue.replay(session, now[0], [event.id, 999_999])
        session.commit()
        assert (replayed.requeued, replayed.not_dead) == (1, [999_999])
        session.refresh(event)
        assert (event.status, event.attempts) == (PENDING, 0)


def test_given_two_workers_claiming_at_once_then_no_event_is_claimed_twice(
    sessions: sessionmaker[Session],
) -> None:
    put(sessions, *({"event_id": f"c{i}", "event_type": "company.creation",
                     "object_type": "company", "object_id": str(i)} for i in range(300)))  # fmt: skip
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(3)

    def claim_all(name: str) -> None:
        barrier.wait()
        got: list[int] = []
        while True:
            with sessions() as session:
                batch = queue.claim(session, name, datetime.now(UTC), limit=25)
                session.commit()
            if not batch:
                break
            got += [e.id for e in batch]
        claimed[name] = got

    threads = [threading.Thread(target=claim_all, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    everything = [i for ids in claimed.values() for i in ids]
    assert len(everything) == 300
    assert len(set(everything)) == 300


def test_given_a_new_salesforce_lead_event_then_it_is_scored_and_routed_once(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    org = sandbox.salesforce
    assert org is not None
    with closing(
        make_connector("salesforce", settings_from(sandbox.service_env()), rubric)
    ) as connector:
        run_sync(connector, sessions, compile_rubric(rubric))
        lead = org.create("Lead", {"LastName": "Ito", "Company": "Kumo Analytics",
                                   "Email": "ken@kumo-analytics.example",
                                   "Industry": "Technology", "NumberOfEmployees": 3},
                          auto_assign=True)  # fmt: skip
        put(sessions, {"source": "salesforce", "event_id": "04l1", "event_type":
                       "outbound_message", "object_type": "lead", "object_id": lead["Id"]})  # fmt: skip

        report = Worker(sessions, {"salesforce": connector}, compile_rubric(rubric)).run_once()

    routed = org.get("Lead", lead["Id"])
    assert report.written == 1
    assert routed["ICP_Tier__c"] == "disqualified"
    assert routed["OwnerId"] == org.queues["Nurture"]


def _contact_created_at_a_shrunk_company(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], index: int, event_id: str
) -> tuple[str, str]:
    """After a sync: the `index`-th company shrinks to 2 staff (changed, no event for it) and a
    contact is created at it, its creation event stored; (company id, contact id)."""
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[index]
    sandbox.hubspot.touch_company(company, numberofemployees="2")
    contact = sandbox.hubspot.create_contact(company, email=f"lead.{event_id}@example.com")
    put(sessions, {"event_id": event_id, "event_type": "contact.creation",
                   "object_type": "contact", "object_id": contact})  # fmt: skip
    return company, contact


def test_given_a_contact_creation_then_it_and_its_company_are_fetched_and_scored(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    company, contact = _contact_created_at_a_shrunk_company(sandbox, sessions, 4, "c1")

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.fetched, report.written) == (2, 2)  # the new contact and its company
    assert written(sandbox) == Counter({company: 1})
    assert sandbox.hubspot.contact(contact)["icp_tier"] == "disqualified"  # borrowed: too small
    with sessions() as session:
        score = session.scalars(select(Score).join(Account).where(Account.crm_id == company)).one()
    assert score.tier == "disqualified"


def test_given_contacts_not_scored_when_a_contact_is_created_then_only_its_company_is_rescored(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    with hubspot_connector(
        sandbox.hubspot_url, sandbox.hubspot_token, rubric, contacts=False
    ) as companies_only:
        companies_only.ensure_schema()
        run_sync(companies_only, sessions, compile_rubric(rubric))
        company, contact = _contact_created_at_a_shrunk_company(sandbox, sessions, 5, "c2")

        report = Worker(sessions, {"hubspot": companies_only}, compile_rubric(rubric)).run_once()

    assert (report.fetched, report.written) == (1, 1)  # its company, read through it
    assert written(sandbox) == Counter({company: 1})
    assert "icp_tier" not in sandbox.hubspot.contact(contact)
    with sessions() as session:
        assert not session.scalars(select(Account).where(Account.object_type == "contact")).all()
