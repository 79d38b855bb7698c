"""From stored rows to what the scorer reads, and a digest of it to skip unchanged accounts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, Protocol

from app.scoring import AccountFacts, CompiledRubric
from app.store.repo import DealCounts

DEAL_FIELDS = frozenset({"deals_open", "deals_won", "deals_lost"})
LEAD = "lead"
DONOR = "account"
"""The object type a lead falls back on (a Salesforce Account)."""
PERSONAL_FIELDS = frozenset({"name", "domain", "email", "title"})
"""What a lead never borrows from its account: they describe the lead, not its company."""


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


def account_facts(account: AccountColumns, deals: DealCounts) -> AccountFacts:
    """Canonical columns, deal counts (`deals_open`, `deals_won`, `deals_lost`) and every raw
    CRM property, so a rubric can score any of them."""
    revenue = account.annual_revenue
    no_deals = account.object_type == LEAD  # deals belong to accounts; a lead borrows its account's
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
    rubric: CompiledRubric, lead: AccountFacts, account: AccountColumns | None, deals: DealCounts
) -> tuple[AccountFacts, str]:
    """A lead scored on its own company data, each field it lacks taken from the account whose
    domain matches its own (website or email domain). Returns the facts and the reason line
    that says which data came from where."""
    if account is None:
        return lead, "company data: the lead's own (no account matches its domain)"
    donor = account_facts(account, deals)
    plan = rubric.plan_for(lead.object_type, lead.source)
    values, properties = dict(lead.values), dict(lead.properties)
    borrowed: list[str] = []
    for _, key, from_properties in (*plan.criteria, *plan.disqualifiers):
        if key in PERSONAL_FIELDS or key in borrowed:
            continue
        own, theirs = (properties, donor.properties) if from_properties else (values, donor.values)
        if _missing(own.get(key)) and not _missing(theirs.get(key)):
            own[key] = theirs[key]
            borrowed.append(key)
    label = f"account {account.name or account.crm_id} ({account.domain})"
    if not borrowed:
        return lead, f"company data: the lead's own ({label} matches its domain, not needed)"
    merged = replace(lead, values=values, properties=properties)
    return merged, f"company data: {', '.join(borrowed)} from {label}; the rest the lead's own"


def lead_inputs_hash(rubric: CompiledRubric, account: AccountFacts) -> str:
    """Digest of what a lead's plan would read from this account: part of the account's own
    input hash, so an account is rescored (and its leads re-checked) exactly when anything a
    lead could borrow from it changed, even a field only a lead criterion reads."""
    return input_hash(rubric, replace(account, object_type=LEAD))


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
