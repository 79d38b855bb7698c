"""Checks shared by the fault and crash tests (imported by name: tests are not a package):
what the store holds, in a form two stores can be compared by, and what each CRM holds."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.store.tables import Account, Deal, DealAccount, Score
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.sandbox import RunningSandbox

HUBSPOT_SCORE, HUBSPOT_TIER = "icp_fit_score", "icp_tier"
SALESFORCE_SCORE, SALESFORCE_TIER = "ICP_Fit_Score__c", "ICP_Tier__c"


def store_contents(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Everything a sync stores that does not depend on when it ran: accounts with their CRM
    data, deals, deal links and scores (fetch and score times left out)."""
    with sessions() as session:
        accounts = {
            (a.source, a.object_type, a.crm_id): (
                a.name, a.domain, a.industry, a.employees, a.annual_revenue, a.country,
                a.state, sorted(a.technologies), a.properties, a.email, a.title, a.archived,
                a.deleted_at is not None,
            )
            for a in session.scalars(select(Account))
        }  # fmt: skip
        deals = {
            (d.source, d.crm_id): (
                d.name, d.stage, d.pipeline, d.is_closed, d.is_won, d.amount, d.close_date,
                d.properties, d.archived,
            )
            for d in session.scalars(select(Deal))
        }  # fmt: skip
        links = sorted(
            (deal.source, deal.crm_id, link.account_crm_id)
            for deal, link in session.execute(
                select(Deal, DealAccount).join(DealAccount, DealAccount.deal_id == Deal.id)
            )
        )
        scores = {
            (a.source, a.object_type, a.crm_id): (
                s.score, s.tier, s.disqualified, s.flags, s.reasons, s.rubric_version,
            )
            for a, s in session.execute(
                select(Account, Score).join(Score, Score.account_id == Account.id)
            )
        }  # fmt: skip
    return {"accounts": accounts, "deals": deals, "links": links, "scores": scores}


def stored_scores(sessions: sessionmaker[Session]) -> dict[str, Score]:
    with sessions() as session:
        return {
            account.crm_id: score
            for account, score in session.execute(
                select(Account, Score).join(Score, Score.account_id == Account.id)
            )
        }


def hubspot_writes(sandbox: RunningSandbox) -> Counter[str]:
    """Score writes per company id."""
    return Counter(
        write.object_id
        for write in sandbox.hubspot.writes("companies")
        if HUBSPOT_TIER in write.properties
    )


def assert_hubspot_matches_store(sandbox: RunningSandbox, sessions: sessionmaker[Session]) -> None:
    """Every live company is stored, scored, and carries its stored score, written once."""
    live = set(sandbox.hubspot.company_ids())
    scores = stored_scores(sessions)
    assert live <= set(scores)
    for crm_id in live:
        company = sandbox.hubspot.company(crm_id)
        assert company[HUBSPOT_SCORE] == str(scores[crm_id].score), crm_id
        assert company[HUBSPOT_TIER] == scores[crm_id].tier, crm_id
    writes = hubspot_writes(sandbox)
    assert set(writes) == live
    assert max(writes.values()) == 1


def salesforce_scored_records(org: RunningSalesforce) -> dict[str, dict[str, Any]]:
    """Live Accounts and unconverted Leads: the records icp-sync scores, by id."""
    accounts = org.salesforce.snapshot("Account")
    leads = [r for r in org.salesforce.snapshot("Lead") if not r["IsConverted"]]
    return {r["Id"]: r for r in [*accounts, *leads]}


def assert_salesforce_matches_store(
    org: RunningSalesforce, sessions: sessionmaker[Session]
) -> None:
    """Every live Account and Lead is stored, scored, and carries its stored score, saved
    once."""
    records = salesforce_scored_records(org)
    scores = stored_scores(sessions)
    assert set(records) <= set(scores)
    for crm_id, record in records.items():
        assert record[SALESFORCE_SCORE] == scores[crm_id].score, crm_id
        assert record[SALESFORCE_TIER] == scores[crm_id].tier, crm_id
    assert set(org.salesforce.updates) == set(records)
    assert max(org.salesforce.updates.values()) == 1
