"""The seed rendered as the Salesforce org: Accounts carry their company's description, Leads a
retelling of it (same theme, own words), and simple-salesforce reads both back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from crm_sandbox.core.description_themes import PLACEHOLDERS, TRIGGER_TEMPLATES
from crm_sandbox.core.seed import SeedCompany, generate
from crm_sandbox.core.vocabulary import PERSONAL_EMAIL_DOMAINS
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.state import SalesforceState
from tests.support.simple_salesforce_typed import TypedSalesforce, connect, sandbox_session

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
_TRIGGER = re.compile(
    "|".join(re.sub(r"\\\{\w+\\\}", ".+?", re.escape(t)) for t in TRIGGER_TEMPLATES)
)


@pytest.fixture(scope="module")
def org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    with start_shared_crm_sandbox.salesforce_only(
        seed=8, companies=60, as_of=AS_OF, leads_per_company=1.5
    ) as running:
        yield running


@pytest.fixture
def sf(org: RunningSalesforce) -> Iterator[TypedSalesforce]:
    with sandbox_session(org) as http:
        yield connect(org, http)


def test_given_a_seeded_org_then_accounts_hold_their_company_descriptions() -> None:
    state = SalesforceState.seeded(8, 60, as_of=AS_OF)
    companies = generate(8, 60, as_of=AS_OF).companies

    accounts = sorted(state.snapshot("Account", include_deleted=True), key=lambda a: a["Id"])

    assert [a["Description"] for a in accounts] == [c.description or None for c in companies]


def test_given_seeded_leads_then_each_retells_its_company_and_own_company_leads_have_text() -> None:
    state = SalesforceState.seeded(8, 300, as_of=AS_OF, leads_per_company=1.5)
    by_domain: dict[str, SeedCompany] = {
        c.domain: c
        for c in generate(8, 300, as_of=AS_OF).companies
        if c.domain not in PERSONAL_EMAIL_DOMAINS
    }

    leads = state.snapshot("Lead")
    matched = [(lead, by_domain.get(lead["Email"].rsplit("@", 1)[1])) for lead in leads]
    at_companies = [(lead, company) for lead, company in matched if company is not None]
    own = [lead for lead, company in matched if company is None and lead["Website"]]

    assert len(at_companies) > 250
    for lead, company in at_companies:
        text = lead["Description"] or ""
        assert text != company.description or not text
        if text not in PLACEHOLDERS:
            assert bool(_TRIGGER.search(text)) == (company.text_theme == "trigger"), text
    assert len(own) > 100
    assert sum(bool(lead["Description"]) for lead in own) > 0.9 * len(own)
    assert any(_TRIGGER.search(lead["Description"] or "") for lead in own)


def test_given_simple_salesforce_when_description_is_selected_then_accounts_and_leads_return_it(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    account_fields = {f["name"]: f for f in sf.Account.describe()["fields"]}
    lead_fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}

    accounts = sf.query_all("SELECT Id, Name, Description FROM Account")["records"]
    leads = sf.query_all("SELECT Id, Email, Description FROM Lead")["records"]

    assert account_fields["Description"]["type"] == lead_fields["Description"]["type"] == "textarea"
    assert {a["Id"]: a["Description"] for a in accounts} == {
        a["Id"]: org.salesforce.get("Account", a["Id"])["Description"] for a in accounts
    }
    assert sum(bool(a["Description"]) for a in accounts) > 0.85 * len(accounts)
    assert sum(bool(lead["Description"]) for lead in leads) > 0.85 * len(leads)
