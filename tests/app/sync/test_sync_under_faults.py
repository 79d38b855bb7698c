"""A full sync while the CRM misbehaves: one request in five delayed, refused with a 5xx,
rate-limited in bursts (with and without retry headers), cut off mid-answer, left hanging past
the client's timeout or, on Salesforce, met with an expired session. The store must end equal to
a clean sync's, every score written back exactly once, and the run must say what it retried."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.crm import rubric_properties
from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.sync.orchestrator import SyncReport, run_sync
from connectors.base import ApiStats
from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.core.faults import FaultPlan
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.sandbox import RunningSandbox
from tests.support.crm_checks import (
    assert_hubspot_matches_store,
    assert_salesforce_matches_store,
    store_contents,
)

pytestmark = pytest.mark.slow  # whole syncs with one request in five failing

FAULT_RATE = 0.2
# Hangs outlast the read timeout; waits are short so the test is quick, not the policy lax.
FAULTS = FaultPlan(rate=FAULT_RATE, seed=5, hang_s=1.5, latency_s=(0.01, 0.1), retry_after_s=1)
TIMEOUT = (2.0, 1.0)
RETRY = RetryPolicy(max_attempts=10, max_elapsed=120, backoff_initial=0.05, backoff_max=0.5)
SEED, COMPANIES = 23, 120

HTTP_FAULTS = ("server_error", "rate_limit", "rate_limit_bare", "dropped", "timeout")


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture
def reference(
    tmp_path: Path, open_store: Callable[[str], sessionmaker[Session]]
) -> sessionmaker[Session]:
    """A second store, for the same CRM synced without faults."""
    return open_store(f"sqlite:///{tmp_path / 'reference.db'}")


def hubspot(sandbox: RunningSandbox, rubric: Rubric) -> HubSpotConnector:
    return HubSpotConnector(
        sandbox.hubspot_url,
        sandbox.hubspot_token,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_properties=rubric_properties(rubric, "hubspot"),
        page_size=10,
        retry=RETRY,
        timeout=TIMEOUT,
    )


def salesforce(org: RunningSalesforce, rubric: Rubric) -> SalesforceConnector:
    return SalesforceConnector(
        org.url,
        client_id=org.client_id,
        client_secret=org.client_secret,
        ca_bundle=org.ca_bundle,
        tiers=[tier.name for tier in rubric.tiers],
        flags=[d.id for d in rubric.disqualifiers],
        extra_fields=rubric_properties(rubric, "salesforce"),
        retry=RETRY,
        timeout=TIMEOUT,
    )


def full_sync(
    connector: HubSpotConnector | SalesforceConnector,
    sessions: sessionmaker[Session],
    rubric: Rubric,
) -> tuple[SyncReport, ApiStats]:
    """Set-up and a sync, as `icp-sync setup` then `icp-sync sync` do; the sync's report and
    the connector's counters over both."""
    with connector:
        connector.ensure_schema()
        return run_sync(connector, sessions, compile_rubric(rubric)), connector.stats


def assert_retries_account_for(
    report: SyncReport, stats: ApiStats, injected: dict[str, int]
) -> None:
    """Each injected failure cost exactly one retry, reported under its cause; latency none.
    The sync's report says what it retried (set-up's retries are not the sync's)."""
    failures = sum(injected.get(kind, 0) for kind in HTTP_FAULTS)
    assert failures > 0
    assert stats.retries == failures
    assert 0 < report.retries <= failures
    assert sum(report.retry_causes.values()) == report.retries
    assert report.retry_causes <= stats.retry_causes
    causes = stats.retry_causes
    assert causes["timeout"] == injected.get("timeout", 0)
    assert causes["connection lost"] == injected.get("dropped", 0)
    assert causes["HTTP 429"] == injected.get("rate_limit", 0) + injected.get("rate_limit_bare", 0)
    server_errors = sum(n for cause, n in causes.items() if cause.startswith("HTTP 5"))
    assert server_errors == injected.get("server_error", 0)
    assert report.failed == 0


def test_given_a_hubspot_failing_one_request_in_five_when_synced_then_the_result_is_a_clean_sync(
    sessions: sessionmaker[Session],
    reference: sessionmaker[Session],
    rubric: Rubric,
    start_crm_sandbox: SandboxFactory,
) -> None:
    with start_crm_sandbox(seed=SEED, companies=COMPANIES) as clean:
        full_sync(hubspot(clean, rubric), reference, rubric)
    with start_crm_sandbox(seed=SEED, companies=COMPANIES, faults=FAULTS) as sandbox:
        report, stats = full_sync(hubspot(sandbox, rubric), sessions, rubric)
        injected = sandbox.faults_injected()["hubspot"]

        assert_hubspot_matches_store(sandbox, sessions)
    assert store_contents(sessions) == store_contents(reference)
    assert set(injected) >= {"latency", *HTTP_FAULTS}, injected
    assert_retries_account_for(report, stats, injected)


def test_given_a_salesforce_failing_one_request_in_five_when_synced_then_the_result_is_a_clean_sync(
    sessions: sessionmaker[Session],
    reference: sessionmaker[Session],
    rubric: Rubric,
    start_crm_sandbox: SandboxFactory,
) -> None:
    only_salesforce = start_crm_sandbox.salesforce_only
    with only_salesforce(seed=SEED, companies=COMPANIES, page_size=10) as clean:
        full_sync(salesforce(clean, rubric), reference, rubric)
    with only_salesforce(seed=SEED, companies=COMPANIES, page_size=10, faults=FAULTS) as org:
        report, stats = full_sync(salesforce(org, rubric), sessions, rubric)
        injected = org.faults.injected()

        assert_salesforce_matches_store(org, sessions)
    assert store_contents(sessions) == store_contents(reference)
    expected = {"latency", "server_error", "dropped", "timeout", "expired_session"}
    assert set(injected) >= expected, injected
    assert_retries_account_for(report, stats, injected)
    assert stats.reauthentications == injected["expired_session"]


def test_given_a_fault_plan_when_switched_off_then_no_request_is_faulted(
    rubric: Rubric, start_crm_sandbox: SandboxFactory
) -> None:
    plan = FaultPlan(rate=1.0, kinds=("server_error",))
    with start_crm_sandbox(seed=SEED, companies=10, faults=plan) as sandbox:
        sandbox.set_faults(None)
        connector = hubspot(sandbox, rubric)
        with connector:
            connector.ensure_schema()
        assert sandbox.faults_injected()["hubspot"] == {}
        assert connector.stats.retries == 0


def test_given_the_same_plan_and_requests_when_replayed_then_the_same_faults_are_injected() -> None:
    from crm_sandbox.core.faults import HUBSPOT_KINDS, FaultInjector

    decisions: list[list[str | None]] = []
    for _ in range(2):
        faults = FaultInjector(HUBSPOT_KINDS)
        faults.set_plan(FaultPlan(rate=0.3, seed=9))
        drawn = [faults.decide("/crm/v3/objects/companies") for _ in range(200)]
        decisions.append([None if fault is None else fault.kind for fault in drawn])
    assert decisions[0] == decisions[1]
    share = sum(1 for kind in decisions[0] if kind is not None) / 200
    assert 0.2 < share < 0.5  # bursts of 429 add to the drawn 30 %
    assert Counter(decisions[0])["expired_session"] == 0  # HubSpot tokens do not expire
