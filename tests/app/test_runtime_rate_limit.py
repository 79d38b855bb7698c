"""`icp-sync serve` shares one HubSpot token between its inbox worker and its scheduled syncs
(issue 14): they pace themselves on one per-token pacer from the `X-HubSpot-RateLimit-*`
headers, so together they stay under the burst limit, and a 429 that still happens (another
process spent the window) is counted in /metrics as `icp_sync_crm_rate_limited_total`.

The service is wired as `serve` wires it (`create_app` served over HTTP, `Runtime` with its
worker thread; the scheduled job is `Runtime.sync`, called here rather than waited for), against
a sandbox with every default on but a burst limit low enough that the calls below would not fit
in one window unpaced."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.api.app import create_app
from app.crm import hubspot_connector
from app.rubric import load_rubric
from app.runtime import Runtime
from app.settings import settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox, serve_app
from tests.support.service import free_port

pytestmark = pytest.mark.slow  # 25 calls per 10 s: the calls below take two windows

RATE_LIMIT = 25
WAIT_S = 60.0
LEADS = 12


@dataclass
class Service:
    sandbox: RunningSandbox
    runtime: Runtime
    base_url: str

    def rate_limited(self) -> float:
        """`icp_sync_crm_rate_limited_total{source="hubspot"}` as /metrics serves it."""
        text = httpx.get(f"{self.base_url}/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if (
                    sample.name == "icp_sync_crm_rate_limited_total"
                    and sample.labels.get("source") == "hubspot"
                ):
                    return sample.value
        return 0.0


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the pacing is per process and token, whatever the store (the store's own
    tests run on both), and each test waits out rate-limit windows."""
    return f"sqlite:///{tmp_path / 'icp-sync.db'}"


@pytest.fixture
def service(database_url: str, start_crm_sandbox: SandboxFactory) -> Iterator[Service]:
    port = free_port()
    rubric = load_rubric()
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    with start_crm_sandbox(seed=23, companies=300, rate_limit=RATE_LIMIT,
                           webhook_target=f"http://127.0.0.1:{port}") as sandbox:  # fmt: skip
        settings = settings_from(sandbox.service_env(), database_url=database_url)
        base_url, stop = serve_app(create_app(settings), port, name="service-under-test")
        # The scheduled job (`Runtime.sync`) is called by the test rather than waited for.
        runtime = Runtime(
            settings, rubric, engine, make_session_factory(engine), run_schedules=False
        )
        try:
            with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as setup:
                setup.ensure_schema()  # as `icp-sync setup hubspot` leaves the portal
            runtime.start()
            yield Service(sandbox, runtime, base_url)
        finally:
            runtime.stop()
            stop()
    engine.dispose()


def wait_for(check: Callable[[], object]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_given_webhooks_and_a_full_sync_on_one_token_then_the_service_gets_no_429(
    service: Service,
) -> None:
    sandbox = service.sandbox
    before = service.rate_limited()

    inbound = sandbox.simulate_inbound(4.0, LEADS, crm="hubspot")
    sync = threading.Thread(target=service.runtime.sync, args=("hubspot", True))
    sync.start()
    assert inbound.wait(WAIT_S)
    sync.join(WAIT_S)
    companies = [str(lead.company_id) for lead in inbound.leads]
    tiered = wait_for(lambda: all(sandbox.hubspot.company(c).get("icp_tier") for c in companies))
    assert sandbox.wait_notifications_idle(WAIT_S)

    assert not sync.is_alive()
    assert tiered, "the worker did not tier every new company"
    # The token's calls in this test, the setup's included, are more than one window allows:
    # made as fast as the service can, the last of them would be refused.
    assert sandbox.hubspot.stats.total > RATE_LIMIT
    assert sandbox.hubspot.stats.rate_limited == 0
    assert service.rate_limited() == before


def test_given_another_process_spent_the_window_then_the_workers_429_is_counted_in_metrics(
    service: Service,
) -> None:
    sandbox = service.sandbox
    before = service.rate_limited()
    headers = {"Authorization": f"Bearer {sandbox.hubspot_token}"}
    with httpx.Client(base_url=sandbox.hubspot_url, headers=headers) as other:
        statuses = []
        for _ in range(2 * RATE_LIMIT):  # spends the token's window, as another integration may
            statuses.append(other.get("/crm/v3/objects/companies", params={"limit": 1}).status_code)
            if statuses[-1] == 429:
                break
    assert statuses[-1] == 429

    inbound = sandbox.simulate_inbound(10.0, 1, crm="hubspot")
    assert inbound.wait(WAIT_S)
    company = str(inbound.leads[0].company_id)

    assert wait_for(lambda: sandbox.hubspot.company(company).get("icp_tier"))
    assert wait_for(lambda: service.rate_limited() > before)
