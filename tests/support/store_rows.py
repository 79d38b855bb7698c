"""Store rows for bulk-built stores (the dashboard's test store, the benchmarks' stores): the
`accounts` and `deals` rows a sync stores for a mapped CRM record, and a HubSpot object as the
API (and the sandbox) returns it, for the HubSpot connector's own mapping to read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.records import CrmAccount, CrmDeal
from crm_sandbox.core.times import iso_ms


def hubspot_object(
    crm_id: str, properties: dict[str, str], created: int, modified: int, archived: bool
) -> dict[str, Any]:
    """A HubSpot object as the API returns it: empty properties left out, `hs_object_id` and
    the creation and modification times (epoch ms) added."""
    values = {key: value for key, value in properties.items() if value != ""}
    values |= {"hs_object_id": crm_id, "createdate": iso_ms(created),
               "hs_lastmodifieddate": iso_ms(modified)}  # fmt: skip
    return {"id": crm_id, "properties": values, "createdAt": iso_ms(created),
            "updatedAt": iso_ms(modified), "archived": archived}  # fmt: skip


def account_row(row_id: int | None, record: CrmAccount, fetched_at: datetime) -> dict[str, Any]:
    """The `accounts` row a sync stores for `record` (`row_id` None: the database numbers it)."""
    row = {
        "source": record.source,
        "object_type": record.object_type,
        "crm_id": record.crm_id,
        "name": record.name,
        "domain": record.domain,
        "industry": record.industry,
        "employees": record.employees,
        "annual_revenue": record.annual_revenue,
        "country": record.country,
        "state": record.state,
        "technologies": list(record.technologies),
        "properties": dict(record.properties),
        "email": record.email,
        "title": record.title,
        "company_crm_id": record.company_id,
        "crm_created_at": record.created_at,
        "crm_updated_at": record.modified_at,
        "archived": record.archived,
        "deleted_at": None,
        "fetched_at": fetched_at,
    }
    return row if row_id is None else {"id": row_id, **row}


def deal_row(
    row_id: int, record: CrmDeal, fetched_at: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `deals` row a sync stores for `record`, and its link to its first account."""
    row = {
        "id": row_id,
        "source": record.source,
        "crm_id": record.crm_id,
        "name": record.name,
        "stage": record.stage,
        "pipeline": record.pipeline,
        "is_closed": record.is_closed,
        "is_won": record.is_won,
        "amount": record.amount,
        "close_date": record.close_date,
        "crm_created_at": record.created_at,
        "crm_updated_at": record.modified_at,
        "properties": dict(record.properties),
        "archived": record.archived,
        "fetched_at": fetched_at,
    }
    return row, {"deal_id": row_id, "account_crm_id": record.account_ids[0]}
