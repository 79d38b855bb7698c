"""The whole job against the Salesforce sandbox over real HTTPS, through simple-salesforce, on
SQLite and PostgreSQL: Accounts, Leads and Opportunities pulled, scored, written back through
sObject Collections, and new leads routed by tier exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.store.repo import load_cursor
from app.store.tables import Account, Score, SyncState, WritebackState
from app.sync.orchestrator import LEADS, SyncReport, run_sync
from connectors.errors import QuotaExhaustedError
from connectors.records import PropertyUpdate, WriteOutcome
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.salesforce import new_lead, rubric_connector

pytestmark = pytest.mark.slow  # each test starts a TLS org and syncs it whole

COMPANIES = 60
TIER = "ICP_Tier__c"
SCORE = "ICP_Fit_Score__c"
HOSTILE = "Acme' OR Name != 'x"


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(seed=11, companies=COMPANIES, deals_per_company=2.0)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def sync(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric, **kwargs: Any
) -> SyncReport:
    with rubric_connector(org, rubric) as connector:
        return run_sync(connector, sessions, compile_rubric(rubric), **kwargs)


def live(org: RunningSalesforce, object_name: str) -> dict[str, dict[str, Any]]:
    records = org.salesforce.snapshot(object_name)
    if object_name == "Lead":
        records = [r for r in records if not r["IsConverted"]]
    return {r["Id"]: r for r in records}


def modstamps(org: RunningSalesforce) -> dict[str, int]:
    return {
        r["Id"]: r["SystemModstamp"]
        for name in ("Account", "Lead")
        for r in org.salesforce.snapshot(name, include_deleted=True)
    }


def stored_scores(sessions: sessionmaker[Session]) -> dict[str, tuple[Account, Score]]:
    with sessions() as session:
        return {
            account.crm_id: (account, score)
            for account, score in session.execute(
                select(Account, Score).join(Score, Score.account_id == Account.id)
            )
        }


def test_given_a_fresh_store_when_synced_then_accounts_and_leads_are_scored_and_written(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    report = sync(org, sessions, rubric)

    accounts, leads = live(org, "Account"), live(org, "Lead")
    assert report.pulled["accounts"] == len(accounts)
    assert report.pulled["leads"] == len(leads)
    assert report.pulled["deals"] == len(org.salesforce.snapshot("Opportunity"))
    assert report.written == len(accounts) + len(leads)
    assert report.failed == 0
    stored = stored_scores(sessions)
    for crm_id, record in {**accounts, **leads}.items():
        _, score = stored[crm_id]
        assert record[TIER] == score.tier
        assert record[SCORE] == score.score
        assert record["ICP_Disqualified__c"] is score.disqualified
    collection_calls = -(-report.written // 200)  # accounts and leads share collections
    assert report.phases["write back"][1] == collection_calls


def test_given_a_synced_store_when_synced_again_without_changes_then_nothing_is_written(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    before = modstamps(org)

    report = sync(org, sessions, rubric)

    assert report.written == 0
    assert report.rescore.scored == 0
    assert modstamps(org) == before
    assert report.pulled["accounts"] > 0  # the overlap re-reads our own writes; they change nothing


def test_given_a_changed_lead_when_synced_then_it_alone_is_rescored_and_rewritten(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    lead_id = next(r["Id"] for r in live(org, "Lead").values() if r["NumberOfEmployees"])
    org.salesforce.update("Lead", lead_id, {"NumberOfEmployees": 3, "Industry": "Retail"})
    before = modstamps(org)

    report = sync(org, sessions, rubric)

    after = modstamps(org)
    assert report.written == 1
    assert {i for i in after if after[i] != before[i]} == {lead_id}
    _, score = stored_scores(sessions)[lead_id]
    assert org.salesforce.get("Lead", lead_id)[SCORE] == score.score


def test_given_a_lead_without_company_data_then_it_is_scored_on_its_account_and_says_so(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)

    stored = stored_scores(sessions)
    by_domain = {a.domain: a for a, _ in stored.values() if a.object_type == "account"}
    leads = [(a, s) for a, s in stored.values() if a.object_type == "lead"]
    borrowing = [(a, s) for a, s in leads if a.employees is None and a.domain in by_domain]
    own = [(a, s) for a, s in leads if a.employees is not None]
    assert borrowing
    assert own
    for lead, score in borrowing:
        donor = by_domain[lead.domain]
        donor_score = stored[donor.crm_id][1]
        assert score.reasons[0].startswith("company data: ")
        assert f"from account {donor.name} ({donor.domain})" in score.reasons[0]
        assert "employees" in score.reasons[0]
        assert score.criteria["employees"] == donor_score.criteria["employees"]
        assert score.criteria["buying_signals"] == donor_score.criteria["buying_signals"]
    for _lead, score in own:
        assert score.reasons[0].startswith("company data: the lead's own")
    for account, score in stored.values():
        if account.object_type == "account":  # reasons are the rubric's, nothing prepended
            assert score.reasons[0].startswith("Industry"), score.reasons[0]


def test_given_an_account_whose_industry_changes_then_its_borrowing_leads_are_rescored(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    stored = stored_scores(sessions)
    accounts = {a.domain: a for a, _ in stored.values() if a.object_type == "account"}
    lead = next(
        a
        for a, _ in stored.values()
        if a.object_type == "lead" and a.employees is None and a.domain in accounts
    )
    account = accounts[lead.domain]
    before = stored[lead.crm_id][1].criteria["employees"]
    new_size = 3 if account.employees != 3 else 5000
    org.salesforce.update("Account", account.crm_id, {"NumberOfEmployees": new_size})

    sync(org, sessions, rubric)

    after = stored_scores(sessions)
    _, rescored = after[lead.crm_id]
    assert rescored.criteria["employees"] == after[account.crm_id][1].criteria["employees"]
    assert rescored.criteria["employees"] != before
    assert org.salesforce.get("Lead", lead.crm_id)[SCORE] == rescored.score


def test_given_a_converted_lead_when_synced_then_it_is_no_longer_a_lead_and_never_written(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    lead_id = next(iter(live(org, "Lead")))
    org.salesforce.convert_lead(lead_id)

    sync(org, sessions, rubric)
    full = sync(org, sessions, load_rubric_with_other_version(rubric), full=True)

    with sessions() as session:
        row = session.scalars(select(Account).where(Account.crm_id == lead_id)).one()
        assert row.archived or row.deleted_at is not None
    assert lead_id not in live(org, "Lead")
    assert full.pulled["leads"] == len(live(org, "Lead"))
    assert org.salesforce.get("Lead", lead_id)["ICP_Rubric_Version__c"] != "changed"


def load_rubric_with_other_version(rubric: Rubric) -> Rubric:
    return rubric.model_copy(update={"version": "changed"})


def test_given_a_deleted_account_when_synced_then_it_is_archived_and_never_written_again(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    account_id = next(iter(live(org, "Account")))
    org.salesforce.delete("Account", account_id)

    sync(org, sessions, rubric)
    report = sync(org, sessions, load_rubric_with_other_version(rubric))

    with sessions() as session:
        row = session.scalars(select(Account).where(Account.crm_id == account_id)).one()
        assert row.archived
    assert report.written == len(live(org, "Account")) + len(live(org, "Lead"))
    deleted = org.salesforce.snapshot("Account", include_deleted=True)
    assert next(r for r in deleted if r["Id"] == account_id)["ICP_Rubric_Version__c"] != "changed"


class DeletingOneRecordMidWrite:
    """Wraps the real connector: just before the first collection is sent, one of its records
    is deleted in the org (a user deleting it while the sync runs), so the CRM refuses that
    record alone."""

    def __init__(self, connector: SalesforceConnector, org: RunningSalesforce) -> None:
        self._connector = connector
        self._org = org
        self.victim: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connector, name)

    def write(self, updates: list[PropertyUpdate]) -> list[WriteOutcome]:
        if self.victim is None:
            self.victim = updates[100].crm_id
            kind = "Lead" if self.victim.startswith("00Q") else "Account"
            self._org.salesforce.delete(kind, self.victim)
        return self._connector.write(updates)


def test_given_one_invalid_record_in_a_collection_then_the_other_199_land_and_it_is_recorded(
    sessions: sessionmaker[Session], rubric: Rubric, start_crm_sandbox: SandboxFactory
) -> None:
    with (
        start_crm_sandbox.salesforce_only(seed=3, companies=300, deals_per_company=0.5) as big,
        rubric_connector(big, rubric) as connector,
    ):
        wrapped = DeletingOneRecordMidWrite(connector, big)
        report = run_sync(wrapped, sessions, compile_rubric(rubric))  # type: ignore[arg-type]

        assert report.failed == 1
        assert report.written == len(live(big, "Account")) + len(live(big, "Lead"))
        with sessions() as session:
            state = session.scalars(
                select(WritebackState)
                .join(Account, Account.id == WritebackState.account_id)
                .where(Account.crm_id == wrapped.victim)
            ).one()
        assert state.status == "failed"
        assert "ENTITY_IS_DELETED" in (state.last_error or "")
        assert report.phases["write back"][1] == -(-(report.written + 1) // 200)


def test_given_an_expired_session_when_syncing_then_it_reauthenticates_once_and_continues(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    lead_id = next(iter(live(org, "Lead")))
    org.salesforce.update("Lead", lead_id, {"NumberOfEmployees": 4})
    with rubric_connector(org, rubric) as connector:
        connector.pull_accounts(None).__next__()  # authenticated
        tokens_before = len(org.auth.tokens)
        org.auth.expire_all()

        report = run_sync(connector, sessions, compile_rubric(rubric))

    assert len(org.auth.tokens) == 1  # one new token after the expiry, not one per call
    assert tokens_before >= 1
    assert report.written == 1
    assert org.salesforce.get("Lead", lead_id)[SCORE] == stored_scores(sessions)[lead_id][1].score


def test_given_the_daily_limit_reached_mid_sync_then_it_stops_clearly_and_the_next_run_resumes(
    sessions: sessionmaker[Session], rubric: Rubric, start_crm_sandbox: SandboxFactory
) -> None:
    with start_crm_sandbox.salesforce_only(seed=5, companies=120, page_size=20) as small:
        small.usage.daily_limit = small.usage.used + 6
        with (
            rubric_connector(small, rubric) as connector,
            pytest.raises(QuotaExhaustedError) as stopped,
        ):
            run_sync(connector, sessions, compile_rubric(rubric))
        message = str(stopped.value)
        assert "REQUEST_LIMIT_EXCEEDED" in message or "request limit" in message.lower()
        assert small.client_secret not in message
        with sessions() as session:
            state = session.get(SyncState, ("salesforce", "accounts"))
            assert state is not None
            assert state.full_pull_resume is not None  # resumable
            assert load_cursor(session, "salesforce", "accounts") is None  # not complete yet

        small.usage.daily_limit = 1_000_000
        report = sync(small, sessions, rubric)

        assert report.pulled["accounts"] < len(live(small, "Account"))  # resumed, not restarted
        stored = stored_scores(sessions)
        for crm_id, record in {**live(small, "Account"), **live(small, "Lead")}.items():
            assert record[TIER] == stored[crm_id][1].tier


def test_given_a_new_tier1_lead_then_assignment_routes_it_once_and_rescoring_leaves_its_owner(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)  # the first full sync: existing leads are never re-routed
    owners_before = {i: r["OwnerId"] for i, r in live(org, "Lead").items()}
    best = max(
        (pair for pair in stored_scores(sessions).values() if pair[0].object_type == "account"),
        key=lambda pair: pair[1].score,
    )[0]
    lead_id = new_lead(
        org,
        Company=best.name,
        Email=f"ana@{best.domain}",
        Website=None,
        Industry=None,
        NumberOfEmployees=None,
        AnnualRevenue=None,
    )
    assert org.salesforce.get("Lead", lead_id)["OwnerId"] == org.salesforce.queues["Unscored"]

    sync(org, sessions, rubric)

    enterprise = org.salesforce.queues["Enterprise"]
    routed = org.salesforce.get("Lead", lead_id)
    assert routed[TIER] == "tier_1"
    assert routed["OwnerId"] == enterprise
    assert {i: r["OwnerId"] for i, r in live(org, "Lead").items() if i != lead_id} == owners_before

    org.salesforce.update("Lead", lead_id, {"NumberOfEmployees": 3})  # now too small
    sync(org, sessions, rubric)

    rescored = org.salesforce.get("Lead", lead_id)
    assert rescored[TIER] == "disqualified"  # a rule routes these to Nurture …
    assert rescored["OwnerId"] == enterprise  # … but a rescore never re-runs assignment


def test_given_the_first_full_sync_then_no_existing_lead_is_routed(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    owners_before = {i: r["OwnerId"] for i, r in live(org, "Lead").items()}

    sync(org, sessions, rubric)

    assert {i: r["OwnerId"] for i, r in live(org, "Lead").items()} == owners_before


def test_given_soql_injection_in_a_record_and_an_id_then_nothing_else_changes(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    sync(org, sessions, rubric)
    lead_id = new_lead(org, Company=HOSTILE, LastName="O'Brien\\'); DELETE")
    before = {
        name: {i: dict(r) for i, r in live(org, name).items() if i != lead_id}
        for name in ("Account", "Lead")
    }

    report = sync(org, sessions, rubric)
    with rubric_connector(org, rubric) as connector:
        fetched = connector.fetch_accounts([f"001' OR Name != '{HOSTILE}", lead_id])

    assert report.written == 1
    assert [a.crm_id for a in fetched] == [lead_id]
    assert fetched[0].name == HOSTILE
    after = {
        name: {i: dict(r) for i, r in live(org, name).items() if i != lead_id}
        for name in ("Account", "Lead")
    }
    assert after == before
    with sessions() as session:
        assert load_cursor(session, "salesforce", LEADS) is not None
