"""Two writers at once, as OS processes, on SQLite and PostgreSQL: no record is ever written
twice. Two overlapping `icp-sync sync` runs: the second exits 3 and says which sync runs since
when. A sync beside `icp-sync serve`'s inbox worker, the worker told of every record while the
sync writes them back: each record is claimed by one of them (app.sync.writeback.claim) and
written once.

The sandbox slows its answers (`slow_answer`) so the runs overlap; the writes are counted by
the sandbox itself, over its control plane (`GET /_sandbox/writes`), as another process would."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.store.tables import Account, WebhookEvent, WritebackState
from crm_sandbox.core.faults import FaultPlan
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.processes import stop_process
from tests.support.service import (
    free_port,
    hubspot_event,
    post_hubspot_delivery,
    wait_for,
    wait_ready,
)

pytestmark = pytest.mark.slow  # runs icp-sync processes side by side against the sandbox

CLI = [sys.executable, "-c", "from app.cli.main import run; run()"]
SLOW = FaultPlan(rate=1.0, kinds=("slow_answer",), latency_s=(0.15, 0.15))
OVERLAP = FaultPlan(rate=1.0, kinds=("slow_answer",), latency_s=(0.3, 0.3))
"""Slow enough that a sync outlasts the start-up of another started beside it."""
COMPANIES = 250
DELIVERY = 100


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=41, companies=COMPANIES)


@pytest.fixture
def env(sandbox: RunningSandbox, cli_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return cli_env(sandbox)


def start(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def sandbox_writes(sandbox: RunningSandbox) -> dict[str, int]:
    """Updates per record id, as the sandbox answers another process."""
    answer = httpx.get(f"{sandbox.control_url}/writes", trust_env=False)
    assert answer.status_code == 200, answer.text
    counts: dict[str, int] = answer.json()
    return counts


def stored_accounts(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def sending(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).where(WritebackState.status == "sending")
        return int(session.scalar(query) or 0)


def inbox_open(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).where(WebhookEvent.status.in_(("pending", "processing")))
        return int(session.scalar(query) or 0)


def assert_each_company_written_once(sandbox: RunningSandbox) -> None:
    writes = sandbox_writes(sandbox)
    assert set(writes) == set(sandbox.hubspot.company_ids())
    twice = {crm_id: n for crm_id, n in writes.items() if n > 1}
    assert not twice, f"{len(twice)} companies written more than once"


def test_given_two_overlapping_syncs_then_one_runs_and_the_other_exits_3_naming_it(
    sandbox: RunningSandbox, env: dict[str, str]
) -> None:
    subprocess.run([*CLI, "setup", "hubspot"], env=env, check=True, capture_output=True)
    sandbox.set_faults(OVERLAP)

    syncs = [start(env, "sync", "--source", "hubspot", "--full", "--json") for _ in range(2)]
    ends = [(sync.pid, *sync.communicate(timeout=120), sync.returncode) for sync in syncs]

    assert sorted(code for *_, code in ends) == [0, 3], ends
    (ran_pid, _, ran_err, _), (_, out, err, _) = sorted(ends, key=lambda end: end[3])
    assert "Traceback" not in ran_err
    assert "error: hubspot: a sync is already running" in err
    assert f"(icp-sync sync --full pid {ran_pid} since 20" in err  # which one, since when
    busy = json.loads(out)  # --json: the refusal too, for a script reading stdout
    assert (busy["source"], busy["exit_code"]) == ("hubspot", 3)
    assert busy["error"].startswith(
        f"a sync is already running (icp-sync sync --full pid {ran_pid}"
    )
    assert_each_company_written_once(sandbox)


def test_given_a_sync_and_the_inbox_worker_owing_the_same_records_then_each_is_written_once(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    subprocess.run([*CLI, "setup", "hubspot"], env=env, check=True, capture_output=True)
    port = free_port()
    serve = start(env, "serve", "--port", str(port), "--no-schedules", cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(base, serve), "icp-sync serve did not become ready"
        sandbox.set_faults(SLOW)
        sync = start(env, "sync", "--source", "hubspot", "--json")
        wait_for(lambda: sending(sessions) > 0 or sync.poll() is not None, "the sync's write-back")
        ids = [int(crm_id) for crm_id in sandbox.hubspot.company_ids()]
        for first in range(0, len(ids), DELIVERY):  # as HubSpot sends them: batches of 100
            events = [hubspot_event(first + n, i) for n, i in enumerate(ids[first:][:DELIVERY])]
            delivered = post_hubspot_delivery(base, sandbox.hubspot_app_secret, events)
            assert delivered.status_code == 200, delivered.text
        _, sync_err = sync.communicate(timeout=120)
        wait_for(lambda: inbox_open(sessions) == 0, "the worker drained the inbox")
    finally:
        _, serve_err = stop_process(serve)

    assert sync.returncode == 0, sync_err
    assert serve.returncode in (0, -signal.SIGTERM), serve_err
    assert_each_company_written_once(sandbox)
