"""Full sync + score + writeback against the Salesforce sandbox, then a no-change re-sync.

    .venv/bin/python bench/salesforce_sync.py [--companies 20000] [--leads-per-company 2]
        [--deals-per-company 2] [--quiet] [--database-url URL] [--json]

`--quiet` measures a quiet org (issue 16): every Opportunity is dated as loaded in one burst an
hour ago before the full sync, and a second no-change re-sync follows the first ("quiet
re-sync": two in a row that wrote nothing). It should read only what changed within the overlap
before the previous sync's start (here: our own write-back's echo), no Opportunity.

Everything runs on loopback: the sandbox serves the Salesforce REST API over HTTPS from this
process (in a thread), the connector talks to it through simple-salesforce, the store is a fresh
SQLite file (or the empty PostgreSQL database given). Reported per run: wall seconds,
records/s, API calls, and write calls against the minimum sObject Collections allow (200
records a call); for the pull, query pages against the minimum (2,000 records a page).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.crm import salesforce_connector
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.sync.orchestrator import SyncReport, run_sync
from crm_sandbox.core.times import epoch_ms
from crm_sandbox.salesforce.server import RunningSalesforce, start_salesforce_sandbox

COLLECTION = 200
QUERY_PAGE = 2000
WRITE_PHASE = "write back"


def live_counts(org: RunningSalesforce) -> dict[str, int]:
    state = org.salesforce
    leads = [r for r in state.snapshot("Lead") if not r["IsConverted"]]
    return {
        "accounts": len(state.snapshot("Account")),
        "leads": len(leads),
        "opportunities": len(state.snapshot("Opportunity")),
    }


def load_opportunities_an_hour_ago(org: RunningSalesforce) -> None:
    """Dates every Opportunity as if created in one burst an hour ago, one millisecond apart."""
    start = epoch_ms(datetime.now(UTC) - timedelta(hours=1))
    ids = [str(r["Id"]) for r in org.salesforce.snapshot("Opportunity")]
    org.salesforce.set_modified("Opportunity", {i: start + n for n, i in enumerate(ids)})


def figures(label: str, report: SyncReport, seconds: float) -> dict[str, Any]:
    records = sum(report.pulled.values())
    write_calls = report.phases.get(WRITE_PHASE, (0.0, 0))[1]
    row: dict[str, Any] = {
        "run": label,
        "seconds": round(seconds, 1),
        "pulled": dict(report.pulled),
        "records_per_second": round(records / seconds) if seconds else None,
        "scored": report.rescore.scored,
        "written": report.written,
        "failed": report.failed,
        "api_calls": report.api_calls,
        "write_calls": write_calls,
        "phases": {name: (round(s, 1), calls) for name, (s, calls) in report.phases.items()},
    }
    if report.written:
        minimum_writes = math.ceil(report.written / COLLECTION)
        row["minimum_write_calls"] = minimum_writes
        row["write_calls_over_minimum"] = round(write_calls / minimum_writes, 3)
        row["api_calls_per_written_record"] = round(report.api_calls / report.written, 5)
    pull_calls = sum(calls for name, (_, calls) in report.phases.items() if name != WRITE_PHASE)
    minimum_pages = sum(math.ceil(count / QUERY_PAGE) or 1 for count in report.pulled.values())
    row["pull_calls"] = pull_calls
    row["minimum_query_pages"] = minimum_pages
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--leads-per-company", type=float, default=2.0)
    parser.add_argument("--deals-per-company", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="Opportunities loaded an hour ago; then two no-change re-syncs in a row",
    )
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rubric = load_rubric()
    compiled = compile_rubric(rubric)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with start_salesforce_sandbox(
            seed=args.seed,
            companies=args.companies,
            deals_per_company=args.deals_per_company,
            leads_per_company=args.leads_per_company,
            daily_limit=10_000_000,
        ) as org:
            counts = live_counts(org)
            if args.quiet:
                load_opportunities_an_hour_ago(org)
            with salesforce_connector(
                org.url,
                rubric,
                client_id=org.client_id,
                client_secret=org.client_secret,
                ca_bundle=org.ca_bundle,
            ) as connector:
                started = time.perf_counter()
                full = run_sync(connector, sessions, compiled)
                rows.append(figures("full sync", full, time.perf_counter() - started))
                labels = ["no-change re-sync"] + (["quiet re-sync"] if args.quiet else [])
                for label in labels:
                    started = time.perf_counter()
                    again = run_sync(connector, sessions, compiled)
                    rows.append(figures(label, again, time.perf_counter() - started))
        engine.dispose()
    meta = {
        "org": counts,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "database": "sqlite" if args.database_url is None else args.database_url.split(":")[0],
    }
    if args.json:
        print(json.dumps({"runs": rows, **meta}))
    else:
        print("; ".join(f"{key}={value}" for key, value in meta.items()))
        for row in rows:
            print("; ".join(f"{key}={value}" for key, value in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
