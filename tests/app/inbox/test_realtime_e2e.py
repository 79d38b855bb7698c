"""Real time, end to end, on SQLite and PostgreSQL: the sandbox CRMs post signed webhooks to
icp-sync's service (endpoints + inbox worker) over real HTTP; a new inbound lead is tiered in
its CRM, and our own write, echoed back, never triggers another one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from app.api.app import create_app
from app.crm import hubspot_connector, make_connector
from app.rubric import load_rubric
from app.runtime import Runtime
from app.scoring import compile_rubric
from app.settings import settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.sync.orchestrator import run_sync
from crm_sandbox.hubspot.workflows import DEFAULT_OWNERS
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox, serve_app
from tests.support.service import free_port

pytestmark = pytest.mark.slow  # the service live with both sandboxes and their webhooks

WAIT_S = 30.0


@pytest.fixture
def live(database_url: str, start_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    """Both sandboxes posting to a running service, after a first full sync of each."""
    port = free_port()
    rubric = load_rubric()
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with start_crm_sandbox(
        seed=21,
        companies=40,
        contacts_per_company=1.0,
        salesforce_port=0,
        webhook_target=f"http://127.0.0.1:{port}",
    ) as sandbox:
        settings = settings_from(sandbox.service_env(), database_url=database_url)
        _, stop = serve_app(create_app(settings), port, name="service-under-test")
        runtime = Runtime(settings, rubric, engine, sessions, run_schedules=False)
        runtime.start()
        try:
            with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as hs:
                hs.ensure_schema()
                run_sync(hs, sessions, compile_rubric(rubric))
            with closing(make_connector("salesforce", settings, rubric)) as sf:
                run_sync(sf, sessions, compile_rubric(rubric))
            quiesce(sandbox)
            yield sandbox
        finally:
            runtime.stop()
            stop()
    engine.dispose()


def quiesce(sandbox: RunningSandbox) -> None:
    """Until every webhook is delivered and the worker has had time to drain them."""
    for _ in range(3):
        assert sandbox.wait_notifications_idle(WAIT_S)
        time.sleep(0.5)


def wait_for(check: Any) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    return check()


def test_given_a_new_hubspot_contact_then_it_and_its_company_are_tiered_once_and_it_is_routed(
    live: RunningSandbox,
) -> None:
    live.hubspot.clear_writes()
    run = live.simulate_inbound(5.0, 1, crm="hubspot")
    assert run.wait(WAIT_S)
    lead = run.leads[0]
    company = str(lead.company_id)

    tier = wait_for(lambda: live.hubspot.contact(lead.object_id).get("icp_tier"))
    quiesce(live)  # the echoes of our writes and of the workflow's have come back and been handled

    assert tier in {"tier_1", "tier_2", "tier_3", "disqualified"}
    assert live.hubspot.company(company).get("icp_tier")
    assert live.hubspot.contact(lead.object_id).get("hubspot_owner_id") == (
        DEFAULT_OWNERS.get(tier)
    )  # the portal's workflow routed the new contact by the tier we wrote
    ours = [w for w in live.hubspot.writes() if w.source == "API"]
    assert sorted(w.object_id for w in ours) == sorted([company, lead.object_id])  # no loop


def test_given_a_new_salesforce_lead_then_it_is_tiered_and_routed_once(
    live: RunningSandbox,
) -> None:
    org = live.salesforce
    assert org is not None
    updates: list[str] = []
    org.subscribe(
        lambda change: (
            updates.append(change.record_id)
            if change.kind == "updated" and change.modified_by == org.integration_user_id
            else None
        )
    )
    run = live.simulate_inbound(5.0, 1, crm="salesforce")
    assert run.wait(WAIT_S)
    lead = run.leads[0].object_id

    tier = wait_for(lambda: org.get("Lead", lead).get("ICP_Tier__c"))
    quiesce(live)

    routed_to = org.get("Lead", lead)["OwnerId"]
    expected = org.assignment_rules.get(tier, org.default_queue)
    assert routed_to == expected
    assert updates.count(lead) == 1  # one write: the echoed Outbound Message changed nothing
