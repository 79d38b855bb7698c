"""The dashboard's accounts list and account page on a large store (issue 21: each page's p95
under 300 ms at 100,000 accounts).

    PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/dashboard_accounts.py \\
        --url sqlite:////tmp/ui.db [--seed-accounts 100000 --deals 20000] [--runs 20]
    ... --url postgresql+psycopg://postgres@127.0.0.1:5432/ui_bench

With --seed-accounts the (empty) store is filled by bench/store_seed.py and scored twice by
the roll-out's rescoring phase (bench/bulk_rescore.py: the default rubric, then one weight
changed, so every record has a history with a change), then analysed (PostgreSQL: VACUUM
ANALYZE, autovacuum being off on these hosts). Then each view is requested `--runs` times
after one warm-up, through the app (Starlette's TestClient, the admin bearer token): median
and p95 of the whole request in ms; the CSV export's first 1,000 rows and all of them.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time

from sqlalchemy import create_engine, text

TOKEN = secrets.token_hex(20)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def prepare(url: str, accounts: int, deals: int) -> None:
    from bulk_rescore import changed_rubric, in_fresh_process
    from store_seed import seed_store

    from app.rubric import load_rubric

    seed_store(url, accounts, deals)
    for rubric in (load_rubric(), changed_rubric()):
        in_fresh_process(url, rubric)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        connection.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    engine.dispose()


def views(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        account = connection.scalar(
            text("SELECT a.id FROM accounts a JOIN deal_accounts d ON d.account_crm_id = a.crm_id "
                 "JOIN scores s ON s.account_id = a.id LIMIT 1")
        )  # fmt: skip
        tier = connection.scalar(
            text("SELECT tier FROM scores GROUP BY tier ORDER BY count(*) LIMIT 1")
        )
    engine.dispose()
    return {
        "first page": "/ui/accounts",
        "page 1,000": "/ui/accounts?page=1000",
        "search q=tech": "/ui/accounts?q=tech",
        "source=hubspot": "/ui/accounts?source=hubspot",
        "kind=company": "/ui/accounts?kind=company",
        f"tier={tier}": f"/ui/accounts?tier={tier}",
        "flag=too_small": "/ui/accounts?flag=too_small",
        "score 60-80": "/ui/accounts?min_score=60&max_score=80",
        "changed since 2000-01-01": "/ui/accounts?changed_since=2000-01-01",
        "changed since 2100-01-01": "/ui/accounts?changed_since=2100-01-01",
        "sort score desc": "/ui/accounts?sort=score&dir=desc",
        "sort tier": "/ui/accounts?sort=tier",
        "sort updated desc": "/ui/accounts?sort=updated&dir=desc",
        f"tier={tier} by score": f"/ui/accounts?tier={tier}&sort=score&dir=desc",
        "account page": f"/ui/accounts/{account}",
    }


def measure(url: str, runs: int) -> None:
    import warnings

    from app.api.app import create_app
    from app.settings import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    print(f"load average before: {os.getloadavg()}")
    with TestClient(create_app(Settings(database_url=url, admin_token=TOKEN))) as client:
        for name, path in views(url).items():
            client.get(path, headers=AUTH)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                assert client.get(path, headers=AUTH).status_code == 200, path
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[max(0, round(len(times) * 0.95) - 1)]
            print(f"{name:28s} median {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms")
        for name, limit in (("csv first 1,000 rows", 1000), ("csv all rows", None)):
            started = time.perf_counter()
            rows = 0
            with client.stream("GET", "/ui/accounts.csv", headers=AUTH) as response:
                for chunk in response.iter_text():
                    rows += chunk.count("\n")
                    if limit is not None and rows > limit:
                        break
            print(f"{name:28s} {(time.perf_counter() - started) * 1000:7.1f} ms  ({rows} lines)")
    print(f"load average after: {os.getloadavg()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed-accounts", type=int, default=0, help="fill the empty store first")
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    if options.seed_accounts:
        prepare(options.url, options.seed_accounts, options.deals)
    measure(options.url, options.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
