"""CRM records built by hand and put in the store, for the pipeline's own tests (rescore,
writeback, pipeline): each test says exactly what the CRM holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.store.repo import upsert_accounts
from app.store.tables import Account, Score, ScoreHistory, WritebackState
from connectors.records import CrmAccount

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def company(crm_id: str, **fields: Any) -> CrmAccount:
    """A HubSpot company that fits the default rubric well (tier 1) unless `fields` say
    otherwise."""
    base = CrmAccount(
        source="hubspot",
        object_type="company",
        crm_id=crm_id,
        modified_at=T0,
        name=f"Company {crm_id}",
        domain=f"c{crm_id}.example.com",
        industry="COMPUTER_SOFTWARE",
        employees=500,
        annual_revenue=Decimal("50000000"),
        technologies=("Salesforce", "HubSpot", "Gong"),
        properties={"icp_buying_signals": "hiring;funding;intent_surge"},
    )
    return replace(base, **fields)


def sf_account(crm_id: str, domain: str, **fields: Any) -> CrmAccount:
    """A Salesforce Account: what a lead at its domain falls back on."""
    base = CrmAccount(
        source="salesforce",
        object_type="account",
        crm_id=crm_id,
        modified_at=T0,
        name=f"Account {crm_id}",
        domain=domain,
        industry="Technology",
        employees=800,
        annual_revenue=Decimal("90000000"),
    )
    return replace(base, **fields)


def sf_lead(crm_id: str, domain: str, **fields: Any) -> CrmAccount:
    """A Salesforce Lead with no company data of its own."""
    base = CrmAccount(
        source="salesforce",
        object_type="lead",
        crm_id=crm_id,
        modified_at=T0,
        name=f"Lead {crm_id}",
        domain=domain,
        email=f"someone@{domain}",
    )
    return replace(base, **fields)


def contact(crm_id: str, company_id: str | None, **fields: Any) -> CrmAccount:
    """A HubSpot contact at `company_id` (its primary company) with no company data of its
    own: what it is scored on comes from its company."""
    base = CrmAccount(
        source="hubspot",
        object_type="contact",
        crm_id=crm_id,
        modified_at=T0,
        name=f"Person {crm_id}",
        email=f"p{crm_id}@c{company_id}.example.com",
        domain=f"c{company_id}.example.com",
        title="VP Sales",
        company_id=company_id,
    )
    return replace(base, **fields)


def store(session: Session, *records: CrmAccount) -> list[Account]:
    """Upserts the records (all of one source) as a pull would."""
    return upsert_accounts(session, records, fetched_at=T0)


def score_of(sessions: sessionmaker[Session], crm_id: str) -> Score:
    with sessions() as session:
        return session.scalars(
            select(Score)
            .join(Account, Account.id == Score.account_id)
            .where(Account.crm_id == crm_id)
        ).one()


def state_of(sessions: sessionmaker[Session], crm_id: str) -> WritebackState:
    with sessions() as session:
        return session.scalars(
            select(WritebackState)
            .join(Account, Account.id == WritebackState.account_id)
            .where(Account.crm_id == crm_id)
        ).one()


def history_of(sessions: sessionmaker[Session], crm_id: str) -> list[ScoreHistory]:
    with sessions() as session:
        return list(
            session.scalars(
                select(ScoreHistory)
                .join(Account, Account.id == ScoreHistory.account_id)
                .where(Account.crm_id == crm_id)
                .order_by(ScoreHistory.id)
            )
        )
