"""`icp-sync sync` killed with SIGKILL, mid-pull and mid-writeback, then run again: the store
and each CRM end up matching, with no record lost and none written twice, on SQLite and
PostgreSQL.

The sandbox slows its answers (`slow_answer`: the CRM applies a write at once, its answer comes
later) so the kill lands while a page is in flight or while a written batch's answer is still
on its way: the worst moment, when the CRM holds the values and the store does not know."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.tables import Account, Deal
from crm_sandbox.core.faults import FaultPlan
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.crm_checks import (
    assert_hubspot_matches_store,
    assert_salesforce_matches_store,
    hubspot_writes,
    salesforce_scored_records,
)

pytestmark = pytest.mark.slow  # each test SIGKILLs icp-sync mid-run, then runs it again

CLI = [sys.executable, "-c", "from app.cli.main import run; run()"]
WAIT_S = 60.0
SLOW = FaultPlan(rate=1.0, kinds=("slow_answer",), latency_s=(0.15, 0.15))
COMPANIES = 250


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=31, companies=COMPANIES, salesforce_port=0, leads_per_company=0.6)


@pytest.fixture
def env(sandbox: RunningSandbox, cli_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return cli_env(sandbox)


def icp_sync(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Runs the command to completion; its `--json` summary."""
    done = subprocess.run(
        [*CLI, *args, "--json"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def kill_when(env: dict[str, str], source: str, moment: Callable[[], bool]) -> None:
    """Starts `icp-sync sync --source SOURCE` and SIGKILLs it as soon as `moment()` holds."""
    process = subprocess.Popen(
        [*CLI, "sync", "--source", source, "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        while not moment():
            assert process.poll() is None, f"the sync ended before the moment: {process.stderr}"
            assert time.monotonic() < deadline, "the moment to kill never came"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(30)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def count(sessions: sessionmaker[Session], table: type[Account] | type[Deal]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def salesforce_updates(sandbox: RunningSandbox) -> int:
    assert sandbox.salesforce is not None
    return sum(sandbox.salesforce.updates.values())


def assert_store_holds_hubspot(sandbox: RunningSandbox, sessions: sessionmaker[Session]) -> None:
    """One stored row per CRM record: every company and deal, none twice."""
    companies = len(sandbox.hubspot.company_ids()) + len(sandbox.hubspot.company_ids(archived=True))
    deals = len(sandbox.hubspot.deal_ids()) + len(sandbox.hubspot.deal_ids(archived=True))
    assert count(sessions, Account) == companies
    assert count(sessions, Deal) == deals


def assert_store_holds_salesforce(sandbox: RunningSandbox, sessions: sessionmaker[Session]) -> None:
    assert sandbox.salesforce is not None
    assert sandbox.salesforce_sandbox is not None
    records = salesforce_scored_records(sandbox.salesforce_sandbox)
    with sessions() as session:
        stored = set(session.scalars(select(Account.crm_id).where(Account.source == "salesforce")))
        deals = set(session.scalars(select(Deal.crm_id).where(Deal.source == "salesforce")))
    assert set(records) <= stored
    assert deals == {r["Id"] for r in sandbox.salesforce.snapshot("Opportunity")}


def test_given_a_hubspot_sync_killed_mid_pull_when_run_again_then_nothing_is_lost_or_doubled(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    icp_sync(env, "setup", "hubspot")
    sandbox.set_faults(SLOW)
    kill_when(env, "hubspot", lambda: count(sessions, Account) > 0)
    pulled = count(sessions, Account)
    assert 0 < pulled < COMPANIES  # the kill did land mid-pull
    assert not hubspot_writes(sandbox)
    sandbox.set_faults(None)

    summary = icp_sync(env, "sync", "--source", "hubspot")

    assert summary["failed"] == 0
    assert summary["resumed_full_pulls"] == ["accounts"]
    companies = len(sandbox.hubspot.company_ids()) + len(sandbox.hubspot.company_ids(archived=True))
    assert summary["pulled"]["accounts"] == companies - pulled  # none committed read again
    assert summary["completed_full_sync"]
    assert_store_holds_hubspot(sandbox, sessions)
    assert_hubspot_matches_store(sandbox, sessions)


def test_given_a_hubspot_sync_killed_mid_writeback_when_run_again_then_each_score_lands_once(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    icp_sync(env, "setup", "hubspot")
    sandbox.set_faults(SLOW)
    kill_when(env, "hubspot", lambda: 0 < len(hubspot_writes(sandbox)) < COMPANIES)
    landed = len(hubspot_writes(sandbox))
    sandbox.set_faults(None)

    summary = icp_sync(env, "sync", "--source", "hubspot")

    assert summary["confirmed_in_crm"] == landed  # the killed batch landed: checked, not resent
    assert summary["written"] == len(sandbox.hubspot.company_ids()) - landed
    assert_store_holds_hubspot(sandbox, sessions)
    assert_hubspot_matches_store(sandbox, sessions)


def test_given_a_salesforce_sync_killed_mid_pull_when_run_again_then_nothing_is_lost_or_doubled(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    assert sandbox.salesforce_sandbox is not None
    scored = len(salesforce_scored_records(sandbox.salesforce_sandbox))
    sandbox.set_faults(SLOW)
    kill_when(env, "salesforce", lambda: count(sessions, Account) > 0)
    assert 0 < count(sessions, Account) < scored  # the kill did land mid-pull
    assert salesforce_updates(sandbox) == 0
    sandbox.set_faults(None)

    summary = icp_sync(env, "sync", "--source", "salesforce")

    assert summary["failed"] == 0
    assert summary["completed_full_sync"]  # new leads are routed from now on
    assert_store_holds_salesforce(sandbox, sessions)
    assert_salesforce_matches_store(sandbox.salesforce_sandbox, sessions)


def test_given_a_salesforce_sync_killed_mid_writeback_when_run_again_then_each_score_lands_once(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], env: dict[str, str]
) -> None:
    assert sandbox.salesforce_sandbox is not None
    scored = len(salesforce_scored_records(sandbox.salesforce_sandbox))
    sandbox.set_faults(SLOW)
    kill_when(env, "salesforce", lambda: 0 < salesforce_updates(sandbox) < scored)
    landed = salesforce_updates(sandbox)
    sandbox.set_faults(None)

    summary = icp_sync(env, "sync", "--source", "salesforce")

    assert summary["confirmed_in_crm"] == landed
    assert summary["written"] == scored - landed
    assert_store_holds_salesforce(sandbox, sessions)
    assert_salesforce_matches_store(sandbox.salesforce_sandbox, sessions)
