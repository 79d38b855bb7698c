"""The HubSpot sandbox's first records, from the shared generator (`seed.generate`): a company
per seed company (its lifecycle stage from its deals' stages, its free text in the built-in
`description`), a deal per seed deal associated
with its company, a contact per seed contact associated with its company (its primary one) and
with the deals the seed gives it (deal→contact type 3, contact→deal 4), archived ones archived
as of their last modification. Loading notifies nobody."""

from __future__ import annotations

from collections.abc import Iterable

from crm_sandbox.core.seed import SeedCompany, SeedData, SeedDeal
from crm_sandbox.core.seed_contacts import SeedContact
from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.association_types import DEFINED_TYPES
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.contacts import index_email


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
        _load_contacts(backend, data, company_ids)


def _load_contacts(backend: HubSpotBackend, data: SeedData, company_ids: list[str]) -> None:
    contact_ids: list[str] = []
    for contact in data.contacts:
        company_id = None if contact.company_index is None else company_ids[contact.company_index]
        properties = _contact_properties(contact)
        if company_id is not None:
            properties["associatedcompanyid"] = company_id
        record = backend.new_record(
            "contacts", properties, created_ms=contact.created_ms, updated_ms=contact.modified_ms
        )
        if contact.archived:
            record.archived, record.archived_ms = True, contact.modified_ms
            index_email(backend.contact_emails, record, record.properties.get("email"))
        if company_id is not None:
            backend.associations[("contacts", "companies")][record.id] = [company_id]
            backend.associations[("companies", "contacts")].setdefault(company_id, []).append(
                record.id
            )
        contact_ids.append(record.id)
    deal_ids = backend.store("deals").ordered
    to_contact = DEFINED_TYPES[("deals", "contacts")][-1]
    to_deal = DEFINED_TYPES[("contacts", "deals")][-1]
    for deal_index, contact_index in data.deal_contacts:
        deal_id, contact_id = deal_ids[deal_index].id, contact_ids[contact_index]
        backend.typed_links.add(("deals", "contacts"), deal_id, contact_id, to_contact)
        backend.typed_links.add(("contacts", "deals"), contact_id, deal_id, to_deal)


def _contact_properties(contact: SeedContact) -> dict[str, str]:
    def ms(value: int | None) -> str:
        return "" if value is None else iso_ms(value)

    return {
        "email": contact.email,
        "firstname": contact.first_name,
        "lastname": contact.last_name,
        "jobtitle": contact.job_title,
        "hs_seniority": contact.seniority,
        "company": contact.company_name,
        "website": contact.website,
        "phone": contact.phone,
        "city": contact.city,
        "state": contact.state,
        "country": contact.country,
        "lifecyclestage": contact.lifecycle_stage,
        "hs_lead_status": contact.lead_status,
        "hubspot_owner_id": contact.owner_id,
        "notes_last_updated": ms(contact.last_activity_ms),
        "notes_last_contacted": ms(contact.last_contacted_ms),
        "num_contacted_notes": ""
        if contact.times_contacted is None
        else str(contact.times_contacted),
    }


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
        "description": company.description,
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
