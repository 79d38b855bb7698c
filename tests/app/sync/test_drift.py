"""Drift repair against the HubSpot sandbox over real HTTP, on SQLite and PostgreSQL: a score
property a person changed in the CRM is rewritten by the next sync (incremental or full); a
stale search copy older than our last write is not drift; report mode only counts it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.sync.drift import REPORT
from app.sync.orchestrator import run_sync
from connectors.hubspot.connector import HubSpotConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connected, edit_tier_by_hand, score_writes

pytestmark = pytest.mark.slow  # whole syncs of a sandbox, each test its own


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=17, companies=12, salesforce_port=0)


@pytest.fixture
def compiled() -> CompiledRubric:
    return compile_rubric(load_rubric())


@pytest.fixture
def hubspot(sandbox: RunningSandbox) -> Iterator[HubSpotConnector]:
    rubric: Rubric = load_rubric()
    yield from connected(sandbox, rubric)


def synced_then_edited(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    compiled: CompiledRubric,
    hubspot: HubSpotConnector,
) -> tuple[str, str, str]:
    """A synced store, then a company's tier set to another by hand, searchable: (company,
    the tier we wrote, the tier set by hand)."""
    run_sync(hubspot, sessions, compiled)
    sandbox.hubspot.clear_writes()
    company = sorted(sandbox.hubspot.company_ids())[0]
    ours, edited = edit_tier_by_hand(sandbox, company)
    assert sandbox.wait_search_indexed()  # an incremental sync finds the edit through search
    return company, ours, edited


def drift_count(mode: str) -> float:
    sample = ("icp_sync_drift_found_total", {"source": "hubspot", "mode": mode})
    return metrics.REGISTRY.get_sample_value(*sample) or 0.0


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_given_a_tier_edited_by_hand_when_synced_then_it_is_rewritten(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    compiled: CompiledRubric,
    hubspot: HubSpotConnector,
    full: bool,
) -> None:
    company, ours, _ = synced_then_edited(sandbox, sessions, compiled, hubspot)

    report = run_sync(hubspot, sessions, compiled, full=full)

    assert report.drifted == 1
    assert report.rescore.scored == 0  # nothing we score changed: only the property we own
    assert report.written == 1
    assert score_writes(sandbox) == Counter({company: 1})
    assert sandbox.hubspot.company(company)["icp_tier"] == ours
    again = run_sync(hubspot, sessions, compiled)  # the repair's echo is not drift
    assert (again.drifted, again.written) == (0, 0)


def test_given_a_tier_edited_by_hand_in_report_mode_when_synced_then_it_is_counted_not_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    compiled: CompiledRubric,
    hubspot: HubSpotConnector,
) -> None:
    company, _, edited = synced_then_edited(sandbox, sessions, compiled, hubspot)
    before = drift_count(REPORT)

    report = run_sync(hubspot, sessions, compiled, drift=REPORT)

    assert (report.drifted, report.written) == (1, 0)
    assert drift_count(REPORT) - before == 1
    assert not score_writes(sandbox)
    assert sandbox.hubspot.company(company)["icp_tier"] == edited


def test_given_a_stale_search_copy_older_than_our_last_write_when_synced_then_nothing_is_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    compiled: CompiledRubric,
    hubspot: HubSpotConnector,
) -> None:
    run_sync(hubspot, sessions, compiled, full=True)
    assert sandbox.wait_search_indexed()  # search holds the first sync's scores
    company = sorted(sandbox.hubspot.company_ids())[0]
    sandbox.hubspot.touch_company(company, industry="GOVERNMENT_ADMINISTRATION")
    rescored = run_sync(hubspot, sessions, compiled, full=True)  # the list reads it at once
    assert rescored.written == 1
    sandbox.hubspot.clear_writes()

    # Search still holds the company as it was before that write, scores included.
    report = run_sync(hubspot, sessions, compiled)

    assert (report.drifted, report.written) == (0, 0)
    assert not score_writes(sandbox)
    assert sandbox.hubspot.company(company)["icp_tier"] == "disqualified"
