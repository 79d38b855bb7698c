"""HubSpot contacts scored as prospects, end to end against the HubSpot sandbox over real HTTP,
on SQLite and PostgreSQL, with the seeds' model (decision authority from the job title): a
full and an incremental sync score and write every live contact once; a contact's own change
rewrites it alone; a company's change rescores its contacts and rewrites exactly those whose
score changed, by a sync or by a webhook through the worker; the sandbox's workflow routes
each tiered contact to an owner by its tier."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import IncomingEvent
from app.inbox.receive import enqueue
from app.inbox.worker import Worker
from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.store.tables import Account, Score
from app.sync.orchestrator import run_sync
from crm_sandbox.hubspot.workflows import DEFAULT_OWNERS
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connect

pytestmark = pytest.mark.slow  # whole syncs of a sandbox, each test its own

SEED_MODEL = Path(__file__).parents[3] / "examples" / "rubrics" / "seed-model.yaml"
TIER = "icp_tier"


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(SEED_MODEL)


def contact_writes(sandbox: RunningSandbox) -> Counter[str]:
    """Our writes of a score to each contact (the API's, not the workflow's)."""
    return Counter(
        w.object_id
        for w in sandbox.hubspot.writes("contacts")
        if TIER in w.properties and w.source == "API"
    )


def contact_scores(sessions: sessionmaker[Session]) -> dict[str, Score]:
    with sessions() as session:
        query = select(Account.crm_id, Score).join(Score, Score.account_id == Account.id)
        rows = session.execute(query.where(Account.object_type == "contact"))
        return {row[0]: row[1] for row in rows}


def sync(sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric) -> None:
    with connect(sandbox, rubric) as connector:
        run_sync(connector, sessions, compile_rubric(rubric))


def test_given_a_portal_with_contacts_when_synced_then_every_live_contact_is_tiered_once_and_routed(
    start_crm_sandbox: SandboxFactory, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sandbox = start_crm_sandbox(seed=19, companies=30, deals_per_company=1.0,
                                contacts_per_company=2.0)  # fmt: skip
    state = sandbox.hubspot
    live, archived = set(state.contact_ids()), set(state.contact_ids(archived=True))
    assert len(live) > 30

    sync(sandbox, sessions, rubric)

    assert contact_writes(sandbox) == Counter(dict.fromkeys(live, 1))
    tiers = {crm_id: state.contact(crm_id)[TIER] for crm_id in live}
    assert set(tiers.values()) <= {"tier_1", "tier_2", "tier_3", "disqualified"}
    assert len(set(tiers.values())) > 1  # titles and companies differ: so do tiers
    owners = {crm_id: state.contact(crm_id).get("hubspot_owner_id") for crm_id in live}
    assert {c: owners[c] for c in live if tiers[c] in DEFAULT_OWNERS} == {
        c: DEFAULT_OWNERS[tiers[c]] for c in live if tiers[c] in DEFAULT_OWNERS
    }  # the portal's workflow routed each tiered contact by its tier
    stored = contact_scores(sessions)
    assert set(stored) == live | archived
    assert {c: stored[c].tier for c in live} == tiers
    assert any(r.startswith("Decision authority") for s in stored.values() for r in s.reasons)

    state.clear_writes()
    sync(sandbox, sessions, rubric)  # nothing changed (the workflow's echoes included)
    assert contact_writes(sandbox) == Counter()


def test_given_contacts_changed_when_synced_incrementally_then_only_they_are_rewritten(
    start_crm_sandbox: SandboxFactory, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sandbox = start_crm_sandbox(seed=19, companies=10, deals_per_company=0,
                                contacts_per_company=1.0)  # fmt: skip
    state = sandbox.hubspot
    company = sorted(state.company_ids())[0]
    promoted = state.create_contact(company, email="ae@acme.example", jobtitle="Account Executive")
    renamed = state.create_contact(company, email="rn@acme.example", jobtitle="Account Executive")
    sync(sandbox, sessions, rubric)
    state.touch_contact(promoted, jobtitle="Chief Revenue Officer")
    state.touch_contact(renamed, firstname="Renamed")  # nothing the rubric reads
    new = state.create_contact(company, email="new@acme.example", jobtitle="Head of RevOps")
    sandbox.wait_search_indexed()
    state.clear_writes()

    sync(sandbox, sessions, rubric)

    assert contact_writes(sandbox) == Counter({promoted: 1, new: 1})
    assert 'Decision authority: "Chief Revenue Officer" (c_level) +15' in "\n".join(
        contact_scores(sessions)[promoted].reasons
    )


Path_ = Callable[[RunningSandbox, sessionmaker[Session], Rubric, str], None]


def by_sync(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric, _: str
) -> None:
    sync(sandbox, sessions, rubric)


def by_webhook(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric, company: str
) -> None:
    """The company's property change as HubSpot posts it, stored as the endpoint stores it,
    then one pass of the worker."""
    event = IncomingEvent(
        source="hubspot",
        event_id="91",
        event_type="company.propertyChange",
        object_type="company",
        object_id=company,
        payload={"propertyName": "industry", "changeSource": "CRM_UI", "objectId": company},
    )
    with sessions() as session:
        enqueue(session, [event], datetime.now(UTC))
        session.commit()
    with connect(sandbox, rubric) as connector:
        Worker(sessions, {"hubspot": connector}, compile_rubric(rubric)).run_once()


@pytest.mark.parametrize("path", [by_sync, by_webhook], ids=["sync", "webhook"])
def test_given_a_companys_industry_changes_then_exactly_its_contacts_whose_score_changed_are_rewritten(
    start_crm_sandbox: SandboxFactory,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    path: Path_,
) -> None:
    sandbox = start_crm_sandbox(seed=19, companies=3, deals_per_company=0, contacts_per_company=0)
    state = sandbox.hubspot
    company = state.create_company(name="Brightwave", domain="brightwave.example",
                                   industry="COMPUTER_SOFTWARE", numberofemployees=400)  # fmt: skip
    borrows = state.create_contact(company, email="ana@brightwave.example", jobtitle="VP Sales")
    own = state.create_contact(company, email="li@brightwave.example", jobtitle="CEO",
                               industry="COMPUTER_SOFTWARE")  # fmt: skip
    elsewhere = state.create_contact(sorted(state.company_ids())[0], email="x@other.example",
                                     jobtitle="CEO")  # fmt: skip
    sync(sandbox, sessions, rubric)
    before = state.contact(borrows)["icp_fit_score"]
    state.touch_company(company, industry="GAMBLING_CASINOS")
    sandbox.wait_search_indexed()
    state.clear_writes()

    path(sandbox, sessions, rubric, company)

    assert contact_writes(sandbox) == Counter({borrows: 1})
    assert state.contact(borrows)["icp_fit_score"] != before
    assert {own, elsewhere}.isdisjoint(contact_writes(sandbox))  # their own data, another company
