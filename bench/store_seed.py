"""A store as a finished HubSpot sync leaves it, at any size, on SQLite or PostgreSQL: for the
benchmarks that measure the store (look-ups, rescoring, roll-outs) without pulling a million
companies over HTTP first.

    .venv/bin/python bench/store_seed.py --url sqlite:///big.db --accounts 1000000 [--deals N]

The companies and deals come from the CRM sandbox's seed generator and are mapped by the
HubSpot connector's own mapping (the rows of `validate_scale.account_rows` and `deal_rows`),
then bulk-inserted in chunks; the migrations run first and the tables are analysed last, as a
production store's would be (PostgreSQL's autovacuum is off on these hosts). Nothing is scored:
a benchmark scores the store itself, which is part of what it measures.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from sqlalchemy import insert, text
from validate_scale import AS_OF, CLOSED_SHARE, account_rows, deal_rows

from app.store.engine import make_engine
from app.store.migrate import upgrade_to_head
from app.store.statistics import analyse
from app.store.tables import Account, Deal, DealAccount
from crm_sandbox.core.seed import SeedDeal, generate

CHUNK = 10_000


def chunks(rows: Iterator[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def seed_store(
    url: str,
    accounts: int,
    closed_deals: int = 0,
    seed: int = 7,
    extra_properties: Callable[[int], Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """Migrates the (empty) store at `url` and fills it; returns the seconds each part took.
    `extra_properties(i)`: CRM properties added to the i-th company's (from 0), for a bench
    that scores properties the sandbox's seed does not fill (a `description`)."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    per_company = min(50.0, closed_deals / max(1, accounts) / CLOSED_SHARE * 1.05)
    data = generate(seed, companies=accounts, deals_per_company=per_company, as_of=AS_OF)
    deals = _deals_up_to(data.deals, closed_deals)
    timings["generate_s"] = time.perf_counter() - started
    upgrade_to_head(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        for chunk in chunks(account_rows(data.companies)):
            if extra_properties is not None:
                for row in chunk:
                    row["properties"] |= extra_properties(row["id"] - 1)
            connection.execute(insert(Account), chunk)
        for pairs in chunks(deal_rows(deals)):
            connection.execute(insert(Deal), [deal for deal, _ in pairs])
            connection.execute(insert(DealAccount), [link for _, link in pairs])
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for table in ("accounts", "deals"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
    timings["insert_s"] = time.perf_counter() - started
    analyse(engine)
    engine.dispose()
    return timings


def _deals_up_to(deals: tuple[SeedDeal, ...], closed_deals: int) -> list[SeedDeal]:
    kept: list[SeedDeal] = []
    closed = 0
    for deal in deals:
        if closed == closed_deals:
            break
        closed += deal.is_closed
        kept.append(deal)
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url", required=True, help="An empty store: sqlite:///… or postgresql+psycopg://…"
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--deals", type=int, default=0, help="closed deals (open ones come with them)"
    )
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    timings = seed_store(options.url, options.accounts, options.deals, options.seed)
    print(json.dumps({"accounts": options.accounts, "closed_deals": options.deals} | timings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
