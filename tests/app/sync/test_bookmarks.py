"""Where an incremental sync starts, against both sandboxes over real HTTP, on SQLite and
PostgreSQL: from the previous sync's start minus the overlap (`app.sync.checkpoints`), not
from the newest record seen, so a quiet CRM is not read again, and a record modified while a
sync runs is read by the next one.

The quiet CRM is the one from the issue: deals loaded in one burst an hour ago (dated so by the
sandbox: `set_modified`), then a sync. With the cursor at the newest record, every later sync
re-read the whole burst (it lies within the overlap before its newest deal)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.crm import make_connector
from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.settings import settings_from
from app.store.tables import Deal
from app.sync.checkpoints import instant
from app.sync.orchestrator import SyncReport, run_sync
from connectors.base import CrmConnector
from connectors.hubspot.connector import DEFAULT_OVERLAP, HubSpotConnector
from connectors.records import AccountType, CrmDeal, Page
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.core.times import epoch_ms
from crm_sandbox.hubspot.records import ObjectType
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connect
from tests.support.salesforce import rubric_connector

pytestmark = pytest.mark.slow  # several whole syncs of a sandbox per test

COMPANIES = 20
PAGE = 10
"""Records per page: the burst of deals takes several pages, so re-reading it shows in calls."""
CHANGED = "Changed while a sync ran"


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def an_hour_ago(ids: list[str]) -> dict[str, int]:
    """A load of these records an hour ago, one millisecond apart (epoch ms by id)."""
    start = epoch_ms(datetime.now(UTC) - timedelta(hours=1))
    return {record_id: start + number for number, record_id in enumerate(ids)}


def sync(connector: CrmConnector, sessions: sessionmaker[Session], rubric: Rubric) -> SyncReport:
    return run_sync(connector, sessions, compile_rubric(rubric), write_batch=PAGE)


def touching_after_deals(connector: CrmConnector, touch: Callable[[], object]) -> None:
    """Makes `touch` run as the connector's next deal pull ends: a change made while a sync
    runs, after that stream's pull has passed it, before the sync completes."""
    pull_deals = connector.pull_deals

    def pulled_then_touched(*args: Any, **kwargs: Any) -> Iterator[Page[CrmDeal]]:
        yield from pull_deals(*args, **kwargs)
        touch()
        connector.pull_deals = pull_deals  # type: ignore[method-assign]

    connector.pull_deals = pulled_then_touched  # type: ignore[method-assign]


def stored_deal_name(sessions: sessionmaker[Session], crm_id: str) -> str | None:
    with sessions() as session:
        return session.scalars(select(Deal.name).where(Deal.crm_id == crm_id)).one()


# -- HubSpot ----------------------------------------------------------------------------------


@pytest.fixture
def portal(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    sandbox = start_crm_sandbox(seed=17, companies=COMPANIES, deals_per_company=5.0)
    for deal_id, at_ms in an_hour_ago(sandbox.hubspot.deal_ids()).items():
        sandbox.hubspot.set_modified("deals", [deal_id], at_ms)
    # Search sees the redating only after its lag; until then it holds the seeded versions, and
    # a test that turns the lag off would still read them (a later change stays hidden too).
    assert sandbox.wait_search_indexed()
    return sandbox


def hubspot(sandbox: RunningSandbox, rubric: Rubric, overlap: timedelta) -> HubSpotConnector:
    return connect(sandbox, rubric, page_size=PAGE, overlap=overlap)


def hubspot_modified_since(sandbox: RunningSandbox, kind: ObjectType, since: datetime) -> int:
    state, floor = sandbox.hubspot, epoch_ms(since)
    ids = state.ids(kind) + state.ids(kind, archived=True)
    return sum(1 for record_id in ids if state.record(kind, record_id).updated_ms >= floor)


def test_given_two_hubspot_syncs_that_wrote_nothing_then_the_second_reads_only_the_overlap(
    portal: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    with hubspot(portal, rubric, DEFAULT_OVERLAP) as connector:
        assert sync(connector, sessions, rubric).written == COMPANIES - len(
            portal.hubspot.company_ids(archived=True)
        )
        assert portal.wait_search_indexed()  # our writes (the echo) reach search
        second_started = datetime.now(UTC)
        second = sync(connector, sessions, rubric)
        third = sync(connector, sessions, rubric)

    assert (second.written, third.written) == (0, 0)
    window = second_started - DEFAULT_OVERLAP
    assert third.pulled["deals"] == hubspot_modified_since(portal, "deals", window) == 0
    assert third.pulled["accounts"] == hubspot_modified_since(portal, "companies", window)
    archived_pages = max(1, math.ceil(len(portal.hubspot.deal_ids(archived=True)) / PAGE))
    # The newest deal, the archived ones (search never returns them), one empty search.
    assert third.phases["pull deals"][1] == 1 + archived_pages + 1


def test_given_a_hubspot_deal_modified_during_a_sync_then_the_next_sync_reads_it(
    portal: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    portal.hubspot.search_index.lag_s = 0.0  # so no overlap is needed: it would hide a miss
    target = portal.hubspot.deal_ids()[0]
    with hubspot(portal, rubric, timedelta(0)) as connector:
        sync(connector, sessions, rubric)
        touching_after_deals(connector, lambda: portal.hubspot.touch_deal(target, dealname=CHANGED))
        sync(connector, sessions, rubric)
        after = sync(connector, sessions, rubric)

    assert after.pulled["deals"] == 1
    assert stored_deal_name(sessions, target) == CHANGED


# -- Salesforce -------------------------------------------------------------------------------


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    org = start_crm_sandbox.salesforce_only(
        seed=17, companies=COMPANIES, deals_per_company=5.0, leads_per_company=1.0, page_size=PAGE
    )
    ids = [r["Id"] for r in org.salesforce.snapshot("Opportunity")]
    org.salesforce.set_modified("Opportunity", an_hour_ago(ids))
    return org


def salesforce(org: RunningSalesforce, rubric: Rubric, overlap: timedelta) -> SalesforceConnector:
    return rubric_connector(org, rubric, overlap=overlap)


def salesforce_modified_since(org: RunningSalesforce, object_name: str, since: datetime) -> int:
    records = org.salesforce.snapshot(object_name, include_deleted=True)
    return sum(1 for r in records if r["SystemModstamp"] >= epoch_ms(since))


def test_given_two_salesforce_syncs_that_wrote_nothing_then_the_second_reads_only_the_overlap(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    with salesforce(org, rubric, DEFAULT_OVERLAP) as connector:
        assert sync(connector, sessions, rubric).written > 0
        second_started = datetime.now(UTC)
        second = sync(connector, sessions, rubric)
        third = sync(connector, sessions, rubric)

    assert (second.written, third.written) == (0, 0)
    window = second_started - DEFAULT_OVERLAP
    assert third.pulled["deals"] == salesforce_modified_since(org, "Opportunity", window) == 0
    assert third.pulled["accounts"] == salesforce_modified_since(org, "Account", window)
    assert third.pulled["leads"] == salesforce_modified_since(org, "Lead", window)
    assert third.phases["pull deals"][1] == 1  # one query, no records


def test_given_a_salesforce_opportunity_modified_during_a_sync_then_the_next_sync_reads_it(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    target = str(org.salesforce.snapshot("Opportunity")[0]["Id"])
    with salesforce(org, rubric, timedelta(0)) as connector:
        sync(connector, sessions, rubric)
        touching_after_deals(
            connector, lambda: org.salesforce.update("Opportunity", target, {"Name": CHANGED})
        )
        sync(connector, sessions, rubric)
        after = sync(connector, sessions, rubric)

    assert after.pulled["deals"] == 1
    assert stored_deal_name(sessions, target) == CHANGED


# -- the setting -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["hubspot", "salesforce"])
def test_given_the_overlap_setting_when_pulling_incrementally_then_the_window_is_that_wide(
    start_crm_sandbox: SandboxFactory, rubric: Rubric, source: str
) -> None:
    sandbox = start_crm_sandbox(seed=17, companies=4, deals_per_company=0, salesforce_port=0)
    bookmark = datetime.now(UTC) - timedelta(minutes=10)
    inside, outside = bookmark - timedelta(seconds=20), bookmark - timedelta(seconds=40)
    if source == "hubspot":
        first, second = sandbox.hubspot.company_ids()[:2]
        sandbox.hubspot.set_modified("companies", [first], inside)
        sandbox.hubspot.set_modified("companies", [second], outside)
        assert sandbox.wait_search_indexed()
    else:
        org = sandbox.salesforce
        assert org is not None
        first, second = [str(r["Id"]) for r in org.snapshot("Account")[:2]]
        org.set_modified("Account", {first: epoch_ms(inside), second: epoch_ms(outside)})
    settings = settings_from(sandbox.service_env(), sync_overlap_seconds=30)
    kind: AccountType = "company" if source == "hubspot" else "account"

    connector = make_connector(source, settings, rubric)
    try:
        pages = connector.pull_accounts(instant(bookmark), kind)
        read = {record.crm_id for page in pages for record in page.records}
    finally:
        connector.close()

    assert first in read
    assert second not in read
