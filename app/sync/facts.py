"""From stored rows to what the scorer reads, and a digest of it to skip unchanged accounts."""

from __future__ import annotations

import hashlib
import json

from app.scoring import AccountFacts, CompiledRubric
from app.store.repo import DealCounts
from app.store.tables import Account

DEAL_FIELDS = frozenset({"deals_open", "deals_won", "deals_lost"})


def account_facts(account: Account, deals: DealCounts) -> AccountFacts:
    """Canonical columns, deal counts (`deals_open`, `deals_won`, `deals_lost`) and every raw
    CRM property, so a rubric can score any of them."""
    revenue = account.annual_revenue
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
            "deals_open": deals.open,
            "deals_won": deals.won,
            "deals_lost": deals.lost,
        },
        object_type=account.object_type,
        source=account.source,
        properties=account.properties or {},
    )


def input_hash(rubric: CompiledRubric, facts: AccountFacts) -> str:
    """Digest of exactly what the rubric reads from these facts, and of the rubric itself:
    properties the rubric never reads (hs_lastmodifieddate, our own icp_* echoes) do not count,
    so a record that comes back only because we wrote to it is not rescored."""
    payload = json.dumps(
        [rubric.fingerprint, facts.object_type, rubric.inputs(facts)],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
