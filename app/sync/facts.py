"""From stored rows to what the scorer reads, and a digest of it to skip unchanged accounts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, Protocol

from app.scoring import AccountFacts, CompiledRubric
from app.store.repo import DealCounts

DEAL_FIELDS = frozenset({"deals_open", "deals_won", "deals_lost"})
LEAD = "lead"
CONTACT = "contact"
DONOR = "account"
"""The object type a lead falls back on (a Salesforce Account)."""
COMPANY = "company"
PROSPECTS: Mapping[str, str] = {LEAD: DONOR, CONTACT: COMPANY}
"""A prospect's object type → the type of the record it borrows its company data from: a
Salesforce Lead from the Account at its domain, a HubSpot contact from its primary company."""
DONORS: Mapping[str, str] = {donor: prospect for prospect, donor in PROSPECTS.items()}
PERSONAL_FIELDS = frozenset({"name", "domain", "email", "title"})
"""What a prospect never borrows from its company: they describe the person (or lead), not
its company."""


class AccountColumns(Protocol):
    """What `account_facts` reads of a stored account: an `Account`, or a row selecting just
    these columns (a bulk read skips building ORM objects)."""

    @property
    def crm_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def object_type(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def domain(self) -> str | None: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def employees(self) -> int | None: ...
    @property
    def annual_revenue(self) -> Decimal | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def state(self) -> str | None: ...
    @property
    def technologies(self) -> list[str]: ...
    @property
    def properties(self) -> Mapping[str, Any]: ...
    @property
    def email(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def company_crm_id(self) -> str | None: ...


def donor_key(account: AccountColumns) -> str | None:
    """What finds a prospect's donor: a lead's domain, a contact's company id (None: neither
    a prospect nor anything to look up by)."""
    if account.object_type == LEAD:
        return account.domain
    if account.object_type == CONTACT:
        return account.company_crm_id
    return None


def account_facts(account: AccountColumns, deals: DealCounts) -> AccountFacts:
    """Canonical columns, deal counts (`deals_open`, `deals_won`, `deals_lost`) and every raw
    CRM property, so a rubric can score any of them."""
    revenue = account.annual_revenue
    no_deals = account.object_type in PROSPECTS  # deals belong to companies: borrowed from them
    return AccountFacts(
        id=account.crm_id,
        values={
            "name": account.name,
            "domain": account.domain,
            "industry": account.industry,
            "employees": account.employees,
            "annual_revenue": float(revenue) if revenue is not None else None,
            "country": account.country,
            "state": account.state,
            "technologies": list(account.technologies or []),
            "email": account.email,
            "title": account.title,
            "deals_open": None if no_deals else deals.open,
            "deals_won": None if no_deals else deals.won,
            "deals_lost": None if no_deals else deals.lost,
        },
        object_type=account.object_type,
        source=account.source,
        properties=account.properties or {},
    )


def with_account_fallback(
    rubric: CompiledRubric,
    lead: AccountFacts,
    account: AccountColumns | None,
    deals: DealCounts,
    enrich: Callable[[AccountFacts], AccountFacts] = lambda facts: facts,
) -> tuple[AccountFacts, str]:
    """A prospect scored on its own company data, each field it lacks taken from its donor:
    for a lead, the account whose domain matches its own (website or email domain); for a
    contact, its primary company. Only company-level fields are borrowed, those the rubric
    also reads for the donor's type: a criterion that applies to prospects alone (decision
    authority, a person's own engagement) reads the person, and scores as missing when the
    person lacks it. Returns the facts and the reason line that says which data came from
    where."""
    kind = lead.object_type
    if account is None:
        why = "no company associated" if kind == CONTACT else "no account matches its domain"
        return lead, f"company data: the {kind}'s own ({why})"
    donor = enrich(account_facts(account, deals))
    values, properties = dict(lead.values), dict(lead.properties)
    borrowed: list[str] = []
    for key, from_properties in _borrowable(rubric, kind, account.object_type, lead.source):
        if key in borrowed:
            continue
        own, theirs = (properties, donor.properties) if from_properties else (values, donor.values)
        if _missing(own.get(key)) and not _missing(theirs.get(key)):
            own[key] = theirs[key]
            borrowed.append(key)
    label = f"{account.object_type} {account.name or account.crm_id} ({account.domain})"
    if not borrowed:
        how = "is its company" if kind == CONTACT else "matches its domain"
        return lead, f"company data: the {kind}'s own ({label} {how}, not needed)"
    merged = replace(lead, values=values, properties=properties)
    return merged, f"company data: {', '.join(borrowed)} from {label}; the rest the {kind}'s own"


_BORROWABLE: dict[tuple[str, str, str, str | None], tuple[tuple[str, bool], ...]] = {}
"""`_borrowable` by rubric fingerprint, prospect type, donor type and source."""


def _borrowable(
    rubric: CompiledRubric, kind: str, donor_type: str, source: str | None
) -> tuple[tuple[str, bool], ...]:
    """The (field, read from the properties) a prospect of `kind` may take from its donor:
    what its plan reads that describes a company, not the person, and that the rubric reads
    for the donor's type too; once per rubric, for every prospect it scores."""
    cache_key = (rubric.fingerprint, kind, donor_type, source)
    found = _BORROWABLE.get(cache_key)
    if found is None:
        plan = rubric.plan_for(kind, source)
        company_level = rubric.plan_for(donor_type, source)
        shared = {key for _, key, _ in (*company_level.criteria, *company_level.disqualifiers)}
        found = tuple(
            dict.fromkeys(
                (key, from_properties)
                for _, key, from_properties in (*plan.criteria, *plan.disqualifiers)
                if key not in PERSONAL_FIELDS and key in shared
            )
        )
        _BORROWABLE[cache_key] = found
    return found


def lead_inputs_hash(rubric: CompiledRubric, account: AccountFacts) -> str:
    """Digest of what a prospect's plan would read from this donor (an account's leads, a
    company's contacts): part of the donor's own input hash, so a donor is rescored (and its
    prospects re-checked) exactly when anything they could borrow from it changed, even a field
    only a prospect criterion reads."""
    return input_hash(rubric, replace(account, object_type=DONORS[account.object_type]))


def _missing(value: object) -> bool:
    return value is None or value == "" or value == []


_INPUTS_ENCODER = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)
"""What `json.dumps(..., sort_keys=True, default=str, ensure_ascii=False)` builds per call, built
once: the same bytes (a changed digest would rescore every stored account after an upgrade)."""


def input_hash(rubric: CompiledRubric, facts: AccountFacts, note: str | None = None) -> str:
    """Digest of exactly what the rubric reads from these facts, and of the rubric itself:
    properties the rubric never reads (hs_lastmodifieddate, our own icp_* echoes) do not count,
    so a record that comes back only because we wrote to it is not rescored. `note`: anything
    else that lands in the score's reasons (where a lead's company data came from)."""
    payload = _INPUTS_ENCODER.encode(
        [rubric.fingerprint, facts.object_type, rubric.inputs(facts), note]
    )
    return hashlib.sha256(payload.encode()).hexdigest()
