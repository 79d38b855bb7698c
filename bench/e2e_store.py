"""A HubSpot store as a finished pull of the sandbox leaves it, bulk-inserted: for
`bench/e2e_million.py --store-only`, so the roll-out and webhook figures run against a real
1,000,000-company store while the HTTP sync is measured in pieces.

The rows are the sandbox's own seed (`crm_sandbox.core.seed.generate`, the same seed, size and
`as_of` as the sandbox the benchmark starts, so ids match: companies from 20,000,000,001,
deals from 30,000,000,001 in generation order, as `crm_sandbox.hubspot.seeding` numbers them),
each rendered as the sandbox's API returns it and mapped by the HubSpot connector's own
mapping (`company_to_account`, `deal_to_deal`), with every deal and its company link. Not
written: scores, write-back state and sync cursors — the first roll-out scores and writes
every account (`e2e_million.py` labels it the initial one), and no incremental sync can run on
this store (it has no cursor).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, text
from store_seed import chunks

from app.store.engine import make_engine
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, Deal, DealAccount
from connectors.hubspot.mapping import company_to_account, deal_to_deal
from crm_sandbox.core.seed import SeedCompany, SeedData, SeedDeal
from crm_sandbox.hubspot.records import FIRST_ID
from crm_sandbox.hubspot.seeding import _company_properties, _deal_properties
from tests.support.store_rows import account_row, deal_row, hubspot_object


def company_id(company: SeedCompany) -> str:
    return str(FIRST_ID["companies"] + company.index)


def account_rows(data: SeedData, fetched_at: datetime) -> Iterator[dict[str, Any]]:
    stages: dict[int, set[str]] = {}
    for deal in data.deals:
        stages.setdefault(deal.company_index, set()).add(deal.stage)
    for company in data.companies:
        crm_id = company_id(company)
        properties = _company_properties(company, stages.get(company.index, set()))
        api = hubspot_object(crm_id, properties, company.created_ms, company.modified_ms,
                      company.archived)  # fmt: skip
        yield account_row(company.index + 1, company_to_account(api), fetched_at)


def deal_rows(
    data: SeedData, fetched_at: datetime
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for position, deal in enumerate(data.deals):
        yield _deal_row(position, deal, data, fetched_at)


def _deal_row(
    position: int, deal: SeedDeal, data: SeedData, fetched_at: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    crm_id = str(FIRST_ID["deals"] + position)
    api = hubspot_object(crm_id, _deal_properties(deal), deal.created_ms, deal.modified_ms,
                  deal.archived)  # fmt: skip
    record = deal_to_deal(api, [company_id(data.companies[deal.company_index])])
    return deal_row(position + 1, record, fetched_at)


def build_store(url: str, data: SeedData) -> dict[str, int]:
    """Inserts `data`'s companies, deals and links into the (migrated, empty) store at `url`."""
    upgrade_to_head(url)
    engine = make_engine(url)
    fetched_at = datetime.now(UTC)
    with engine.begin() as connection:
        for chunk in chunks(account_rows(data, fetched_at)):
            connection.execute(insert(Account), chunk)
        for pairs in chunks(deal_rows(data, fetched_at)):
            connection.execute(insert(Deal), [deal for deal, _ in pairs])
            connection.execute(insert(DealAccount), [link for _, link in pairs])
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    engine.dispose()
    return {"accounts": len(data.companies), "deals": len(data.deals)}
