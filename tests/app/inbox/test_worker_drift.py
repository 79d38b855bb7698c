"""The inbox worker and hand edits of our score properties, against the HubSpot sandbox on
SQLite and PostgreSQL: a person's edit (changeSource CRM_UI) is not taken for our echo and is
rewritten; our own write's echo (INTEGRATION) is dropped and writes nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.inbox.events import DONE
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.sync.drift import REPORT
from app.sync.orchestrator import run_sync
from connectors.hubspot.connector import HubSpotConnector
from crm_sandbox.sandbox import RunningSandbox
from tests.support.inbox import put, statuses

pytestmark = pytest.mark.slow  # a synced sandbox per test, then events through the worker


@pytest.fixture
def hubspot(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        yield connector


def our_writes(sandbox: RunningSandbox) -> Counter[str]:
    """Writes of a score through the API (a person's edit in the sandbox is not one)."""
    return Counter(
        w.object_id
        for w in sandbox.hubspot.writes("companies")
        if w.source == "API" and "icp_tier" in w.properties
    )


def tier_event(company: str, tier: str, change_source: str) -> dict[str, object]:
    return {
        "event_id": f"tier-{change_source}",
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": company,
        "payload": {
            "propertyName": "icp_tier",
            "propertyValue": tier,
            "changeSource": change_source,
        },
    }


@pytest.fixture
def synced(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> tuple[str, str, str]:
    """A synced store and a company whose tier a person then set to another one: (company,
    the tier we wrote, the tier set by hand)."""
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[0]
    ours = sandbox.hubspot.company(company)["icp_tier"]
    edited = "tier_1" if ours != "tier_1" else "tier_2"
    sandbox.hubspot.touch_company(company, icp_tier=edited)
    return company, ours, edited


def test_given_a_persons_edit_of_a_score_property_then_it_is_not_an_echo_and_is_rewritten(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
    synced: tuple[str, str, str],
) -> None:
    company, ours, edited = synced
    put(sessions, tier_event(company, edited, "CRM_UI"))

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.echoes, report.fetched, report.drifted, report.written) == (0, 1, 1, 1)
    assert our_writes(sandbox) == Counter({company: 1})
    assert sandbox.hubspot.company(company)["icp_tier"] == ours
    assert statuses(sessions) == {"tier-CRM_UI": DONE}


def test_given_a_persons_edit_in_report_mode_then_it_is_counted_and_not_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
    synced: tuple[str, str, str],
) -> None:
    company, _, edited = synced
    put(sessions, tier_event(company, edited, "CRM_UI"))
    worker = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric), drift=REPORT)

    report = worker.run_once()

    assert (report.drifted, report.written) == (1, 0)
    assert not our_writes(sandbox)
    assert sandbox.hubspot.company(company)["icp_tier"] == edited


def test_given_the_echo_of_our_own_write_then_it_is_dropped_and_nothing_is_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[0]
    put(sessions, tier_event(company, sandbox.hubspot.company(company)["icp_tier"], "INTEGRATION"))
    calls = hubspot.stats.calls

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.echoes, report.fetched, report.written) == (1, 0, 0)
    assert hubspot.stats.calls == calls
    assert not our_writes(sandbox)


def test_given_our_own_writes_read_back_by_the_worker_then_they_are_not_drift(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compile_rubric(rubric))
    sandbox.hubspot.clear_writes()
    companies = sandbox.hubspot.company_ids()[:3]
    put(
        sessions,
        *(
            {
                "event_id": f"other-{company}",
                "event_type": "company.propertyChange",
                "object_type": "company",
                "object_id": company,
                "payload": {"propertyName": "description", "changeSource": "CRM_UI"},
            }
            for company in companies
        ),
    )

    report = Worker(sessions, {"hubspot": hubspot}, compile_rubric(rubric)).run_once()

    assert (report.fetched, report.drifted, report.written) == (3, 0, 0)
    assert not our_writes(sandbox)
