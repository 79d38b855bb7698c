"""The sandbox org's first records, rendered from the shared generator (`seed.generate`).

Companies become Accounts (archived ones sit in the recycle bin, `IsDeleted` true; the company's
free text in `Description`), deals become Opportunities, and Leads are made
(`leads_per_company`): two thirds whose e-mail domain matches an Account's website (no company
data of their own; a `Description` retelling the company's, same theme, its own words), one third
with their own company data, description and a domain matching no Account. Lead descriptions
come from their own random stream, so every other value is what it was without them. Every
record carries every field of its object.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from math import ceil, floor
from typing import Any

from crm_sandbox.core.descriptions import Describer, Subject
from crm_sandbox.core.seed import SeedData, generate
from crm_sandbox.core.times import DAY_MS
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.metadata import (
    INDUSTRY_MAP,
    LEAD_STATUSES,
    SF_INDUSTRIES,
    STAGE_MAP,
    FieldDef,
    icp_fields,
    standard_schema,
)
from crm_sandbox.salesforce.users import directory_records, setup_objects
from crm_sandbox.salesforce.values import sf_date

#: Job titles of seeded leads, from the C-suite to people who do not buy.
LEAD_TITLES: tuple[str, ...] = (
    "CEO", "CTO", "Chief Revenue Officer", "Founder", "VP Sales", "VP Marketing",
    "Head of Revenue Operations", "Director of Sales", "Sales Manager", "Marketing Manager",
    "Account Executive", "Sales Development Representative", "Analyst", "Software Engineer",
    "Office Manager", "Student",
)  # fmt: skip
_FIRST_NAMES = ("Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun")
_LAST_NAMES = ("Ng", "Park", "Okafor", "Silva", "Berg", "Khan", "Rossi", "Dubois")
_OWNER = make_id("005", 2)  # the sales rep owning seeded records
#: A Salesforce industry back to the seed's (the first seed industry that maps onto it).
_SEED_INDUSTRY: dict[str, str] = {sf: seed for seed, sf in reversed(INDUSTRY_MAP.items())}

Records = dict[str, dict[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class SeededOrg:
    """Records by object and id, the schema, and the newest modification time (epoch ms)."""

    records: Records
    schema: dict[str, dict[str, FieldDef]]
    newest_ms: int


def seed_org(
    seed: int,
    companies: int,
    deals_per_company: float,
    *,
    as_of: datetime | date | None,
    with_icp_fields: bool,
    leads_per_company: float,
    active_lead_rule: bool = True,
) -> SeededOrg:
    """The org's records for these seed arguments (see `SalesforceState.seeded`), its users,
    queues and lead assignment rule (`users`; `active_lead_rule=False`: the rule is inactive)."""
    if not 0 <= leads_per_company <= 50:
        raise ValueError(f"leads per company must be within 0-50, got {leads_per_company}")
    data = generate(seed, companies, deals_per_company, as_of=as_of)
    schema = standard_schema() | setup_objects()
    if with_icp_fields:
        for object_name in ("Account", "Lead"):
            schema[object_name].update({f.name: f for f in icp_fields()})
    records: Records = {name: {} for name in schema}
    account_ids, newest = _accounts(data, records)
    newest = max(newest, _opportunities(data, records, account_ids))
    newest = max(newest, _leads(data, records, seed, leads_per_company))
    org_created = min((r["CreatedDate"] for r in records["Account"].values()), default=newest)
    records.update(directory_records(org_created, active_lead_rule=active_lead_rule))
    for object_name, fields_ in schema.items():  # every record carries every field
        for record in records[object_name].values():
            for name, definition in fields_.items():
                record.setdefault(name, False if definition.type == "boolean" else None)
    return SeededOrg(records, schema, newest)


def _base(prefix: str, number: int, created: int, modified: int, deleted: bool) -> dict[str, Any]:
    return {
        "Id": make_id(prefix, number),
        "IsDeleted": deleted,
        "OwnerId": _OWNER,
        "CreatedDate": created,
        "CreatedById": _OWNER,
        "LastModifiedDate": modified,
        "LastModifiedById": _OWNER,
        "SystemModstamp": modified,
    }


def _accounts(data: SeedData, records: Records) -> tuple[list[str], int]:
    """Adds an Account per company; returns their ids (by company index) and the newest time."""
    account_ids: list[str] = []
    newest = data.as_of_ms
    for company in data.companies:
        record = _base("001", company.index + 1, company.created_ms, company.modified_ms,
                       company.archived)  # fmt: skip
        record.update(
            Name=company.name,
            Website=f"https://www.{company.domain}",
            Industry=INDUSTRY_MAP.get(company.industry) if company.industry else None,
            NumberOfEmployees=company.employees,
            AnnualRevenue=company.annual_revenue,
            BillingCountry=company.country,
            BillingState=company.state,
            BillingCity=company.city,
            LastActivityDate=(
                sf_date(company.last_activity_ms) if company.last_activity_ms else None
            ),
            Buying_Signals__c=";".join(company.buying_signals) or None,
            Description=company.description or None,
        )
        records["Account"][record["Id"]] = record
        account_ids.append(record["Id"])
        newest = max(newest, company.modified_ms)
    return account_ids, newest


def _opportunities(data: SeedData, records: Records, account_ids: list[str]) -> int:
    newest = data.as_of_ms
    for deal in data.deals:
        record = _base("006", deal.index + 1, deal.created_ms, deal.modified_ms, deal.archived)
        record.update(
            Name=deal.name,
            AccountId=account_ids[deal.company_index],
            StageName=STAGE_MAP[deal.stage],
            IsClosed=deal.is_closed,
            IsWon=deal.is_won,
            Amount=deal.amount,
            CloseDate=sf_date(deal.close_ms),
            Type="New Business" if deal.deal_type == "newbusiness" else "Existing Business",
        )
        records["Opportunity"][record["Id"]] = record
        newest = max(newest, deal.modified_ms)
    return newest


def _leads(data: SeedData, records: Records, seed: int, leads_per_company: float) -> int:
    """Adds the Leads: those at live companies' domains first, then those of their own."""
    rng = random.Random(seed * 7_919 + 1)  # noqa: S311 - reproducible fake data
    titles = random.Random(seed * 7_919 + 2)  # noqa: S311 - apart, so `rng` draws as before
    texts = Describer.for_seed(seed, "lead-descriptions")
    rate = Fraction(leads_per_company).limit_denominator(1000)
    matched_rate = rate * 2 / 3  # leads per company at the company's own domain
    newest = data.as_of_ms
    number = 0
    for company in data.companies:
        count = ceil((company.index + 1) * matched_rate) - ceil(company.index * matched_rate)
        if company.archived:
            continue
        for nth in range(count):
            number += 1
            first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
            created = company.created_ms + DAY_MS + nth * 60_000
            record = _base("00Q", number, created, created, False)
            mailbox = f"{first.lower()}.{last.lower()}" + (str(nth) if nth else "")
            record.update(
                FirstName=first,
                LastName=last,
                Company=company.name,
                Title=_title(titles),
                Email=f"{mailbox}@{company.domain}",
                Website=None,
                Industry=None,
                NumberOfEmployees=None,
                AnnualRevenue=None,
                Country=company.country,
                State=company.state,
                Description=texts.retell(Subject.of(company), company.text_theme) or None,
                Status=rng.choice(LEAD_STATUSES[:2]),
                IsConverted=False,
            )
            records["Lead"][record["Id"]] = record
            newest = max(newest, created)
    own = floor(len(data.companies) * rate / 3)
    for extra in range(max(1, own) if data.companies and rate else 0):
        number += 1
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        created = data.as_of_ms - (extra % 730 + 1) * DAY_MS - extra // 730 * 60_000
        record = _base("00Q", number, created, created, False)
        record.update(
            FirstName=first,
            LastName=last,
            Company=f"{last} Ventures {extra}",
            Title=_title(titles),
            Email=f"{first.lower()}@{last.lower()}-ventures-{extra}.example",
            Website=f"https://{last.lower()}-ventures-{extra}.example",
            Industry=SF_INDUSTRIES[rng.randrange(len(SF_INDUSTRIES))],
            NumberOfEmployees=rng.randrange(5, 5_000),
            AnnualRevenue=None,
            Country="United States",
            State=None,
            Status=LEAD_STATUSES[0],
            IsConverted=False,
        )
        subject = Subject(record["Company"], _SEED_INDUSTRY.get(record["Industry"]),
                          record["NumberOfEmployees"], None, "United States")  # fmt: skip
        record["Description"] = texts.new(subject)[1] or None
        records["Lead"][record["Id"]] = record
    return newest


def _title(rng: random.Random) -> str | None:
    """A job title; about one lead in ten has none."""
    return None if rng.random() < 0.1 else rng.choice(LEAD_TITLES)
