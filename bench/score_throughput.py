"""Throughput of the pure scorer: scores N synthetic accounts with the default rubric.

    .venv/bin/python bench/score_throughput.py [--records 1000000] [--seed 7] [--json]

Accounts are generated in chunks (generation is not timed) with the value shapes HubSpot
delivers: every property a string, multi-select values `;`-joined in option order, dates as
ISO-8601. Distributions are skewed as CRM data is (a few industries dominate, headcounts are
log-normal, enriched revenue is rounded to two significant figures), and every domain is
unique. Reported: records/s of `score()` alone (reasons included), the whole run's wall time,
and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    started = time.perf_counter()
    rubric = compile_rubric(load_rubric())
    accounts = synthetic_accounts(args.records, args.seed)
    scoring_seconds = 0.0
    tiers: Counter[str] = Counter()
    reasons = 0
    remaining = args.records
    while remaining:
        chunk = [next(accounts) for _ in range(min(args.chunk, remaining))]
        remaining -= len(chunk)
        chunk_started = time.perf_counter()
        results = [score(facts, rubric, NOW) for facts in chunk]
        scoring_seconds += time.perf_counter() - chunk_started
        tiers.update(result.tier for result in results)
        reasons += sum(len(result.reasons) for result in results)
    wall_seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    report = {
        "records": args.records,
        "records_per_second": round(args.records / scoring_seconds),
        "scoring_seconds": round(scoring_seconds, 2),
        "wall_seconds": round(wall_seconds, 2),
        "peak_rss_mib": round(peak_mib, 1),
        "reasons_per_record": round(reasons / args.records, 2),
        "tiers": dict(sorted(tiers.items())),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or 'unknown cpu'}",
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
