"""The HubSpot sandbox's first records, from the shared generator (`seed.generate`): a company
per seed company (its lifecycle stage from its deals' stages), a deal per seed deal associated
with its company, archived ones archived as of their last modification."""

from __future__ import annotations

from collections.abc import Iterable

from crm_sandbox.core.seed import SeedCompany, SeedData, SeedDeal
from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.backend import HubSpotBackend


def load_seed(backend: HubSpotBackend, data: SeedData) -> None:
    """Adds the seed's companies and deals (with their company associations)."""
    with backend.lock:
        company_ids: list[str] = []
        stage_by_company: dict[int, set[str]] = {}
        for deal in data.deals:
            stage_by_company.setdefault(deal.company_index, set()).add(deal.stage)
        for company in data.companies:
            stages = stage_by_company.get(company.index, set())
            record = backend.new_record(
                "companies",
                _company_properties(company, stages),
                created_ms=company.created_ms,
                updated_ms=company.modified_ms,
            )
            record.archived = company.archived
            if company.archived:
                record.archived_ms = company.modified_ms
            company_ids.append(record.id)
        for deal in data.deals:
            record = backend.new_record(
                "deals",
                _deal_properties(deal),
                created_ms=deal.created_ms,
                updated_ms=deal.modified_ms,
            )
            record.archived = deal.archived
            if deal.archived:
                record.archived_ms = deal.modified_ms
            backend.associate(record.id, company_ids[deal.company_index])


def _company_properties(company: SeedCompany, stages: Iterable[str]) -> dict[str, str]:
    stage_set = set(stages)
    if "closedwon" in stage_set:
        lifecycle = "customer"
    elif stage_set - {"closedlost"}:
        lifecycle = "opportunity"
    else:
        lifecycle = "lead"
    return {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry or "",
        "numberofemployees": "" if company.employees is None else str(company.employees),
        "annualrevenue": "" if company.annual_revenue is None else str(company.annual_revenue),
        "country": company.country or "",
        "state": company.state or "",
        "city": company.city or "",
        "web_technologies": ";".join(company.technologies),
        "icp_buying_signals": ";".join(company.buying_signals),
        "notes_last_updated": (
            "" if company.last_activity_ms is None else iso_ms(company.last_activity_ms)
        ),
        "lifecyclestage": lifecycle,
    }


def _deal_properties(deal: SeedDeal) -> dict[str, str]:
    return {
        "dealname": deal.name,
        "amount": "" if deal.amount is None else str(deal.amount),
        "dealstage": deal.stage,
        "pipeline": "default",
        "closedate": iso_ms(deal.close_ms),
        "dealtype": deal.deal_type,
    }
