"""Full sync + score + writeback against the HubSpot sandbox, then a no-change re-sync, with
the sandbox's defaults on: a real portal's limits (issue 14).

    .venv/bin/python bench/hubspot_sync.py [--companies 20000] [--deals-per-company 2]
        [--rate-limit 190] [--relaxed | --compare] [--quiet] [--database-url URL] [--json]

By default the sandbox answers as a Professional-tier portal does: 190 requests per rolling
10 s per token (`--rate-limit`, 0: none), 5 searches per second, search trailing changes by
3 s; the connector paces itself from the rate-limit headers, and the run reports the 429s it
still got (the connector's count and the sandbox's, which must both be 0) and the time.
`--relaxed` runs the same with every limit off (no burst or search limit, no search lag: the
connector's burst pacing switches itself off without the headers; its 4-per-second search
spacing stays), the reference showing what pacing costs; `--compare` runs relaxed, then
default, in one process, and adds to the default run what the limit allows.

`--quiet` measures a quiet portal (issue 16): every deal is dated as loaded in one burst an
hour ago before the full sync, each re-sync waits until our writes are searchable, and a
second no-change re-sync follows the first ("quiet re-sync": two in a row that wrote
nothing). It should read only what changed within the overlap before the previous sync's
start (here: our own write-back's echo), none of the deals.

Everything runs on loopback: the sandbox serves the HubSpot API from this process (in a thread),
the connector talks to it over real HTTP through hubspot-api-client, the store is a fresh SQLite
file (or the PostgreSQL database given). Reported per run: wall seconds, records/s, API calls,
and API calls against the minimum the batch limits allow (100 records a list page, 100 updates
a batch); for the rate-limited run, throughput as a fraction of what the limit allows.
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

from app.crm import hubspot_connector
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.sync.orchestrator import SyncReport, run_sync
from crm_sandbox.core.times import epoch_ms
from crm_sandbox.sandbox import RunningSandbox, start_sandbox

BATCH = 100


def minimum_calls(sandbox: RunningSandbox, written: int) -> int:
    """List pages for live and archived companies and deals, plus update batches."""
    state = sandbox.hubspot
    pages = sum(
        math.ceil(state.count(kind, archived=archived) / BATCH) or 1
        for kind in ("companies", "deals")
        for archived in (False, True)
    )
    return pages + math.ceil(written / BATCH)


def load_deals_an_hour_ago(sandbox: RunningSandbox) -> None:
    """Dates every deal as if created in one burst an hour ago, one millisecond apart."""
    start = epoch_ms(datetime.now(UTC) - timedelta(hours=1))
    for number, deal_id in enumerate(sandbox.hubspot.deal_ids()):
        sandbox.hubspot.set_modified("deals", [deal_id], start + number)


def figures(label: str, report: SyncReport, seconds: float, minimum: int | None) -> dict[str, Any]:
    records = report.pulled["accounts"] + report.pulled["deals"]
    row: dict[str, Any] = {
        "run": label,
        "seconds": round(seconds, 1),
        "pulled_companies": report.pulled["accounts"],
        "pulled_deals": report.pulled["deals"],
        "records_per_second": round(records / seconds) if seconds else None,
        "scored": report.rescore.scored,
        "written": report.written,
        "failed": report.failed,
        "api_calls": report.api_calls,
        "rate_limited_429s": report.rate_limited,
        "phases": {name: (round(s, 1), calls) for name, (s, calls) in report.phases.items()},
    }
    if minimum is not None:
        row["minimum_calls"] = minimum
        row["calls_over_minimum"] = round(report.api_calls / minimum, 3)
        if report.written:
            row["calls_per_written_company"] = round(report.api_calls / report.written, 4)
    return row


def one_run(
    args: argparse.Namespace,
    database_url: str,
    *,
    relaxed: bool,
    unlimited_phases: dict[str, tuple[float, int]] | None = None,
) -> list[dict[str, Any]]:
    """The full sync and the no-change re-sync, with the sandbox's defaults or (`relaxed`)
    every limit off."""
    rate_limit = None if relaxed else (args.rate_limit or None)
    rubric = load_rubric()
    compiled = compile_rubric(rubric)
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    rows = []
    with start_sandbox(
        seed=args.seed,
        companies=args.companies,
        deals_per_company=args.deals_per_company,
        rate_limit=rate_limit,
    ) as sandbox:
        if relaxed:  # no search limit, changes searchable at once
            sandbox.hubspot_limiter.search_per_second = None
            sandbox.hubspot.search_index.lag_s = 0.0
        if args.quiet:
            load_deals_an_hour_ago(sandbox)
        connector = hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric)
        connector.ensure_schema()
        started = time.perf_counter()
        full = run_sync(connector, sessions, compiled)
        seconds = time.perf_counter() - started
        mode = "relaxed" if relaxed else "defaults"
        row = figures(f"full sync ({mode})", full, seconds, minimum_calls(sandbox, full.written))
        row["rate_limit_per_10s"] = rate_limit
        if rate_limit is not None:
            # The limit allows api_calls / (limit / 10 s) seconds at best; our own processing
            # may be slower than that, so also compare with the same run unlimited.
            # The rolling window lets a burst of `rate_limit` calls through at once.
            allowed_seconds = max(0, full.api_calls - rate_limit) / (rate_limit / 10)
            row["seconds_the_limit_allows"] = round(allowed_seconds, 1)
            row["share_of_allowed_throughput"] = round(allowed_seconds / seconds, 3)
            if unlimited_phases is not None:
                # Phase by phase, the faster of what the limit allows and what the same phase
                # took unlimited (our own processing) is the best this run could do.
                achievable, burst = 0.0, rate_limit
                for name, (_, calls) in full.phases.items():
                    free = min(calls, burst)
                    burst -= free
                    limited = (calls - free) / (rate_limit / 10)
                    achievable += max(limited, unlimited_phases[name][0])
                row["seconds_achievable"] = round(achievable, 1)
                row["share_of_achievable_throughput"] = round(achievable / seconds, 3)
        rows.append(row)
        resyncs = ["no-change re-sync", "quiet re-sync"] if args.quiet else ["no-change re-sync"]
        for label in resyncs:
            if args.quiet:
                sandbox.wait_search_indexed(timeout=60)
            started = time.perf_counter()
            again = run_sync(connector, sessions, compiled)
            rows.append(figures(f"{label} ({mode})", again, time.perf_counter() - started, None))
        # The sandbox's own count of the 429s it answered (the rows' count is the connector's).
        rows[-1]["sandbox_429s_both_runs"] = sandbox.hubspot.stats.rate_limited
        connector.close()
    engine.dispose()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--deals-per-company", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rate-limit", type=int, default=190, help="requests per 10 s (default 190); 0: none"
    )
    relax = parser.add_mutually_exclusive_group()
    relax.add_argument(
        "--relaxed", action="store_true", help="every limit off: no burst/search limit, no lag"
    )
    relax.add_argument(
        "--compare", action="store_true", help="relaxed, then the defaults, in one process"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="deals loaded an hour ago; then two no-change re-syncs in a row",
    )
    parser.add_argument(
        "--database-url",
        help="an empty database (default: a fresh SQLite file); not with --compare",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.compare and args.database_url:
        parser.error("--compare needs two empty stores: give no --database-url")

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        phases = None
        if args.compare:
            rows += one_run(args, f"sqlite:///{Path(folder) / 'relaxed.db'}", relaxed=True)
            phases = rows[0]["phases"]
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        rows += one_run(args, url, relaxed=args.relaxed, unlimited_phases=phases)
    meta = {"python": platform.python_version(), "machine": platform.machine()}
    if args.json:
        print(json.dumps({"runs": rows, **meta}))
    else:
        for row in rows:
            print("; ".join(f"{key}={value}" for key, value in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
