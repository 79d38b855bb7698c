"""The CRM records of the dashboard's test store, as each CRM's pull would bring them: the CRM
sandbox's own seed (`crm_sandbox.core.seed` for HubSpot; the sandbox org's records,
`crm_sandbox.salesforce.seeding`, for Salesforce), rendered as each API returns it and mapped
by the connectors' own mappings. HubSpot gives companies, contacts (most at a company) and
deals; Salesforce accounts, leads (two thirds at an account's domain) and opportunities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.hubspot.mapping import company_to_account, contact_to_account, deal_to_deal
from connectors.records import CrmAccount, CrmDeal
from connectors.salesforce.mapping import account_to_account, lead_to_account, opportunity_to_deal
from crm_sandbox.core.seed import generate
from crm_sandbox.hubspot.records import FIRST_ID
from crm_sandbox.hubspot.seeding import _company_properties, _contact_properties, _deal_properties
from crm_sandbox.salesforce.seeding import seed_org
from crm_sandbox.salesforce.values import render_record
from tests.support.store_rows import hubspot_object

DEALS_PER_COMPANY = 1.2
API_VERSION = "v60.0"
_DATED = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")
ACCOUNT_FIELDS = ("Id", "Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue",
                  "BillingCountry", "BillingState", "BillingCity", "LastActivityDate",
                  "Buying_Signals__c", "Description", *_DATED)  # fmt: skip
LEAD_FIELDS = ("Id", "FirstName", "LastName", "Company", "Title", "Email", "Website", "Industry",
               "NumberOfEmployees", "AnnualRevenue", "Country", "State", "Description",
               "Buying_Signals__c", "Status", "IsConverted", *_DATED)  # fmt: skip
OPPORTUNITY_FIELDS = ("Id", "Name", "AccountId", "StageName", "IsClosed", "IsWon", "Amount",
                      "CloseDate", "Type", *_DATED)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CrmRecords:
    """One CRM's records: its account-like records (companies first) and its deals."""

    accounts: Sequence[CrmAccount]
    deals: Sequence[CrmDeal]


def hubspot_records(seed: int, companies: int, contacts: int, as_of: datetime) -> CrmRecords:
    """`companies` companies, their deals, and `contacts` contacts (the seed's first ones)."""
    rate = min(50.0, 1.2 * contacts / companies) if companies else 0.0
    data = generate(seed, companies, DEALS_PER_COMPANY, as_of=as_of, contacts_per_company=rate)
    if len(data.contacts) < contacts:
        raise ValueError(f"the seed made {len(data.contacts)} contacts, {contacts} were asked")
    stages: dict[int, set[str]] = {}
    for deal in data.deals:
        stages.setdefault(deal.company_index, set()).add(deal.stage)
    company_ids = [str(FIRST_ID["companies"] + c.index) for c in data.companies]
    accounts = [
        company_to_account(
            hubspot_object(
                company_ids[c.index],
                _company_properties(c, stages.get(c.index, ())),
                c.created_ms,
                c.modified_ms,
                c.archived,
            )
        )
        for c in data.companies
    ]
    for contact in data.contacts[:contacts]:
        properties = _contact_properties(contact)
        if contact.company_index is not None:
            properties["associatedcompanyid"] = company_ids[contact.company_index]
        crm_id = str(FIRST_ID["contacts"] + contact.index)
        accounts.append(
            contact_to_account(
                hubspot_object(
                    crm_id, properties, contact.created_ms, contact.modified_ms, contact.archived
                )
            )
        )
    deals = [
        deal_to_deal(
            hubspot_object(
                str(FIRST_ID["deals"] + d.index),
                _deal_properties(d)
                | {
                    "hs_is_closed": str(
                        d.is_closed
                    ).lower(),  # calculated by HubSpot from the stage
                    "hs_is_closed_won": str(d.is_won).lower(),
                },
                d.created_ms,
                d.modified_ms,
                d.archived,
            ),
            [company_ids[d.company_index]],
        )
        for d in data.deals
    ]
    return CrmRecords(accounts, deals)


def salesforce_records(seed: int, accounts: int, leads: int, as_of: datetime) -> CrmRecords:
    """`accounts` accounts, their opportunities, and `leads` leads (the org's first ones)."""
    rate = min(50.0, 1.2 * leads / accounts) if accounts else 0.0
    org = seed_org(seed, accounts, DEALS_PER_COMPANY, as_of=as_of, with_icp_fields=True,
                   leads_per_company=rate)  # fmt: skip
    made = list(org.records["Lead"].values())
    if len(made) < leads:
        raise ValueError(f"the sandbox org has {len(made)} leads, {leads} were asked")

    def api(record: dict[str, Any], fields: Sequence[str], name: str) -> dict[str, Any]:
        return render_record(record, fields, name, API_VERSION, org.schema[name])

    return CrmRecords(
        [
            *(
                account_to_account(api(r, ACCOUNT_FIELDS, "Account"))
                for r in org.records["Account"].values()
            ),
            *(lead_to_account(api(r, LEAD_FIELDS, "Lead")) for r in made[:leads]),
        ],
        [
            opportunity_to_deal(api(r, OPPORTUNITY_FIELDS, "Opportunity"))
            for r in org.records["Opportunity"].values()
        ],
    )
