"""Throughput of the pure scorer: scores N synthetic accounts with the default rubric.

    .venv/bin/python bench/score_throughput.py [--records 1000000] [--seed 7] [--runs 1] [--json]
    .venv/bin/python bench/score_throughput.py --runs 5 --compare ../main-checkout [--json]

Accounts are generated in chunks (generation is not timed) with the value shapes HubSpot
delivers: every property a string, multi-select values `;`-joined in option order, dates as
ISO-8601. Distributions are skewed as CRM data is (a few industries dominate, headcounts are
log-normal, enriched revenue is rounded to two significant figures), and every domain is
unique. Reported: records/s of `score()` alone (reasons included; wall clock, and per CPU
second, which other processes on a shared machine disturb less), the whole run's wall time,
and the process's peak resident memory.

`--runs N` repeats the run N times (a freshly compiled rubric each time) and reports each run
and the median, min and max. `--compare DIR` measures another checkout's code (its `app/`)
with this same harness in the same sitting: N runs of each, each in its own process,
interleaved (this checkout, DIR, this, DIR, ...), with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.rubric import load_rubric
from app.scoring import AccountFacts, compile_rubric, score

NOW = datetime(2026, 11, 23, tzinfo=UTC)
INDUSTRIES = [
    "COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "INTERNET", "FINANCIAL_SERVICES",
    "MARKETING_AND_ADVERTISING", "HOSPITAL_HEALTH_CARE", "RETAIL", "MANAGEMENT_CONSULTING",
    "STAFFING_AND_RECRUITING", "TELECOMMUNICATIONS", "CONSTRUCTION", "REAL_ESTATE",
    "EDUCATION_MANAGEMENT", "GOVERNMENT_ADMINISTRATION", "AUTOMOTIVE", "FOOD_BEVERAGES",
    "BANKING", "INSURANCE", "LOGISTICS_AND_SUPPLY_CHAIN", "MACHINERY",
]  # fmt: skip
TECHNOLOGIES = [
    "Salesforce", "HubSpot", "Outreach", "Salesloft", "Gong", "ZoomInfo", "Segment",
    "Snowflake", "Slack", "Zendesk", "Jira", "Intercom",
]  # fmt: skip
SIGNALS = ["hiring", "funding", "leadership_change", "intent_surge", "expansion"]
COUNTRIES = ["United States", "United Kingdom", "Germany", "France", "Canada", "Australia"]


def _two_significant(value: float) -> int:
    if value < 1:
        return 0
    digits = math.floor(math.log10(value)) - 1
    return int(round(value, -digits))


def synthetic_accounts(count: int, seed: int) -> Iterator[AccountFacts]:
    rng = random.Random(seed)
    industry_weights = [1 / (rank + 1) for rank in range(len(INDUSTRIES))]
    for index in range(count):
        employees = max(1, int(rng.lognormvariate(4.5, 1.6)))
        revenue = _two_significant(employees * rng.uniform(60_000, 250_000))
        technologies = [t for t in TECHNOLOGIES if rng.random() < 0.25]
        signals = [s for s in SIGNALS if rng.random() < 0.2]
        values: dict[str, object] = {
            "name": f"Company {index}",
            "domain": f"company-{index}.example.com",
            "industry": rng.choices(INDUSTRIES, industry_weights)[0] if rng.random() > 0.05 else "",
            "employees": str(employees) if rng.random() > 0.08 else "",
            "annual_revenue": str(revenue) if rng.random() > 0.3 else "",
            "country": rng.choice(COUNTRIES),
            "technologies": ";".join(technologies),
            "buying_signals": ";".join(signals),
            "last_engagement_at": (
                (NOW - timedelta(days=rng.randint(0, 720), seconds=rng.randint(0, 86_399)))
                .isoformat()
                .replace("+00:00", "Z")
                if rng.random() > 0.25
                else ""
            ),
        }
        yield AccountFacts(id=str(index), values=values, object_type="company")


def run_once(records: int, seed: int, chunk_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    rubric = compile_rubric(load_rubric())
    accounts = synthetic_accounts(records, seed)
    scoring_seconds = scoring_cpu_seconds = 0.0
    tiers: Counter[str] = Counter()
    reasons = 0
    remaining = records
    while remaining:
        chunk = [next(accounts) for _ in range(min(chunk_size, remaining))]
        remaining -= len(chunk)
        chunk_started, chunk_cpu = time.perf_counter(), time.process_time()
        results = [score(facts, rubric, NOW) for facts in chunk]
        scoring_seconds += time.perf_counter() - chunk_started
        scoring_cpu_seconds += time.process_time() - chunk_cpu
        tiers.update(result.tier for result in results)
        reasons += sum(len(result.reasons) for result in results)
    return {
        "records": records,
        "records_per_second": round(records / scoring_seconds),
        "records_per_cpu_second": round(records / scoring_cpu_seconds),
        "scoring_seconds": round(scoring_seconds, 2),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "reasons_per_record": round(reasons / records, 2),
        "tiers": dict(sorted(tiers.items())),
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {"runs": len(runs)}
    for key in ("records_per_second", "records_per_cpu_second", "scoring_seconds"):
        values = [run[key] for run in runs]
        figures[key] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "each": values,
        }
    return figures


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """`args.runs` runs of this checkout's code and of `args.compare`'s, interleaved, each a
    process of this script with the other checkout first on PYTHONPATH."""
    here = Path(__file__).resolve().parent.parent
    codes = {"this": here, "compared": args.compare.resolve()}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
    load_before = os.getloadavg()
    for _ in range(args.runs):
        for name, code in codes.items():
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--json",
                f"--records={args.records}",
                f"--seed={args.seed}",
                f"--chunk={args.chunk}",
            ]
            environment = {**os.environ, "PYTHONPATH": str(code)}
            done = subprocess.run(  # noqa: S603 - our own command line
                command, cwd=code, env=environment, capture_output=True, text=True, check=True
            )
            runs[name].append(json.loads(done.stdout)["each"][0])
    return {
        "load_before": [round(load, 2) for load in load_before],
        "load_after": [round(load, 2) for load in os.getloadavg()],
        **{f"{name} ({code})": summary(runs[name]) for name, code in codes.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--compare", type=Path, help="another checkout whose app/ to measure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    machine = {
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'unknown cpu'}",
    }
    if args.compare is not None:
        report = compare(args) | machine
    else:
        each = [run_once(args.records, args.seed, args.chunk) for _ in range(args.runs)]
        report = (each[0] if args.runs == 1 else summary(each)) | {"each": each} | machine
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
