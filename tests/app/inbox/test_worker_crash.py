"""`icp-sync serve` (endpoints + inbox worker) killed with SIGKILL mid-event, then started again,
on SQLite and PostgreSQL: the event a killed worker had claimed comes back once its lease ends,
its record is scored and written exactly once, and nothing the endpoint accepted is lost.

The HubSpot sandbox posts a real signed webhook for a new inbound lead; the kill comes while the
worker waits on the CRM, either before its write reached HubSpot or after HubSpot applied it
and before the answer arrived (`slow_answer`): the write is then in doubt, and must be checked,
not repeated."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import DONE, PROCESSING
from app.store.tables import Account, Score, WebhookEvent
from crm_sandbox.core.delivery import RetryPolicy
from crm_sandbox.core.faults import FaultPlan
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.processes import stop_process
from tests.support.service import free_port, is_ready

pytestmark = pytest.mark.slow  # kills a serving icp-sync mid-event and starts it again

CLI = [sys.executable, "-c", "from app.cli.main import run; run()"]
WAIT_S = 60.0
LEASE_S = 2
APP_SECRET = "crash-test-app-secret-0123456789"
FAST_REDELIVERY = RetryPolicy(first_delay_s=0.1, factor=2.0, max_delay_s=1.0, max_attempts=40)
HELD_BACK = FaultPlan(rate=1.0, kinds=("slow_answer",), latency_s=(1.0, 1.0))
DELAYED = FaultPlan(rate=1.0, kinds=("latency",), latency_s=(1.0, 1.0))


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def sandbox(port: int, start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=41, companies=25, webhook_target=f"http://127.0.0.1:{port}",
                             hubspot_app_secret=APP_SECRET, webhook_retry=FAST_REDELIVERY)  # fmt: skip


@pytest.fixture
def env(sandbox: RunningSandbox, cli_env: Callable[..., dict[str, str]]) -> dict[str, str]:
    return cli_env(
        sandbox,
        ICP_SYNC_INBOX_LEASE_SECONDS=str(LEASE_S),
        ICP_SYNC_SYNC_INTERVAL_MINUTES="0",
        ICP_SYNC_FULL_SYNC_HOUR="-1",
    )


def run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: is_ready(f"http://127.0.0.1:{port}"), "the service to be ready")
    return process


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def events(sessions: sessionmaker[Session], status: str | None = None) -> int:
    query = select(func.count()).select_from(WebhookEvent)
    if status is not None:
        query = query.where(WebhookEvent.status == status)
    with sessions() as session:
        return int(session.scalar(query) or 0)


def score_writes(sandbox: RunningSandbox, company: str) -> int:
    return sum(
        1
        for write in sandbox.hubspot.writes("companies")
        if write.object_id == company and "icp_tier" in write.properties
    )


def stored_tier(sessions: sessionmaker[Session], company: str) -> str | None:
    with sessions() as session:
        return session.scalar(
            select(Score.tier)
            .join(Account, Account.id == Score.account_id)
            .where(Account.source == "hubspot", Account.crm_id == company)
        )


@pytest.mark.parametrize(
    ("faults", "moment"),
    [
        pytest.param(DELAYED, "before_write", id="before-its-write"),
        pytest.param(HELD_BACK, "write_in_doubt", id="write-landed-answer-lost"),
    ],
)
def test_given_a_worker_killed_mid_event_when_started_again_then_the_lead_is_written_once(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    env: dict[str, str],
    port: int,
    faults: FaultPlan,
    moment: str,
) -> None:
    run(env, "setup", "hubspot")
    run(env, "sync", "--source", "hubspot")
    sandbox.hubspot.clear_writes()
    first = serve(env, port)
    try:
        sandbox.set_faults(faults)
        inbound = sandbox.simulate_inbound(5.0, 1, crm="hubspot")
        assert inbound.wait(WAIT_S)
        company = str(inbound.leads[0].company_id)
        if moment == "before_write":
            wait_for(lambda: events(sessions, PROCESSING) > 0, "the worker to claim the event")
        else:
            wait_for(lambda: score_writes(sandbox, company) == 1, "the write to reach HubSpot")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL
    assert events(sessions, PROCESSING) > 0  # killed holding a claim
    assert score_writes(sandbox, company) == (0 if moment == "before_write" else 1)
    sandbox.set_faults(None)

    second = serve(env, port)
    try:
        wait_for(lambda: events(sessions) > 0 and events(sessions) == events(sessions, DONE),
                 "every event to be done")  # fmt: skip
        assert sandbox.wait_notifications_idle(WAIT_S)  # our write's echo, delivered and handled
        wait_for(lambda: events(sessions) == events(sessions, DONE), "the echoes to be done")
    finally:
        stop_process(second)

    assert score_writes(sandbox, company) == 1
    assert stored_tier(sessions, company) == sandbox.hubspot.company(company)["icp_tier"]
