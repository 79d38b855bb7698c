"""Leads follow their account, on SQLite and PostgreSQL, against the Salesforce sandbox over
real HTTPS: a change to an Account — pulled by a sync or notified by an Outbound Message to the
worker — rescores the Leads that borrow company data from it, and rewrites exactly those whose
result changed (counted per record by the org's `updates`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import IncomingEvent
from app.inbox.receive import enqueue
from app.inbox.worker import Worker
from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.sync.orchestrator import run_sync
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.salesforce import rubric_connector

SCORE = "ICP_Fit_Score__c"
DOMAIN = "brightwave-software.example"
COMPANY = {
    "Industry": "Technology",
    "NumberOfEmployees": 800,
    "AnnualRevenue": 120_000_000,
}


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(seed=15, companies=5)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def lead(org: RunningSalesforce, last_name: str, domain: str, **company: Any) -> str:
    fields = {
        "LastName": last_name,
        "Company": "Brightwave Software",
        "Email": f"{last_name.lower()}@{domain}",
        "Website": f"https://{domain}",
        **company,
    }
    return str(org.salesforce.create("Lead", fields)["Id"])


def by_sync(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric, account: str
) -> None:
    with rubric_connector(org, rubric) as connector:
        run_sync(connector, sessions, compile_rubric(rubric))


def by_webhook(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric, account: str
) -> None:
    """The Outbound Message Salesforce sends for the Account, stored as the endpoint stores it,
    then one pass of the worker."""
    event = IncomingEvent(
        source="salesforce",
        event_id="04l5e00000AbCdEAAA",
        event_type="outbound_message",
        object_type="account",
        object_id=account,
        payload={"Id": account, "OrganizationId": org.org_id},
    )
    with sessions() as session:
        enqueue(session, [event], datetime.now(UTC))
        session.commit()
    with rubric_connector(org, rubric) as connector:
        Worker(sessions, {"salesforce": connector}, compile_rubric(rubric)).run_once()


Path = Callable[[RunningSalesforce, sessionmaker[Session], Rubric, str], None]


@pytest.mark.parametrize("path", [by_sync, by_webhook], ids=["sync", "webhook"])
def test_given_an_accounts_size_changes_then_exactly_its_leads_whose_result_changes_are_rewritten(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric, path: Path
) -> None:
    account = str(
        org.salesforce.create(
            "Account",
            {
                "Name": "Brightwave Software",
                "Website": f"https://{DOMAIN}",
                "BillingCountry": "United States",
                **COMPANY,
            },
        )["Id"]
    )
    own = {"Country": "United States"} | {k: v for k, v in COMPANY.items() if k != "Industry"}
    borrows_size = lead(org, "Okoro", DOMAIN, Industry="Technology")  # no size: the account's
    borrows_industry = lead(org, "Ito", DOMAIN, **own)  # its own size; the account's industry
    elsewhere = lead(org, "Diaz", "elsewhere.example")  # no account at its domain
    by_sync(org, sessions, rubric, account)
    before = {
        lid: org.salesforce.get("Lead", lid)[SCORE] for lid in (borrows_size, borrows_industry)
    }
    org.salesforce.update("Account", account, {"NumberOfEmployees": 3})  # now too small
    org.salesforce.updates.clear()

    path(org, sessions, rubric, account)

    assert org.salesforce.updates == Counter({account: 1, borrows_size: 1})
    assert org.salesforce.get("Lead", borrows_size)[SCORE] != before[borrows_size]
    assert org.salesforce.get("Lead", borrows_industry)[SCORE] == before[borrows_industry]
    assert org.salesforce.updates[elsewhere] == 0
