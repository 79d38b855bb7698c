"""Time of the validation statistics alone: `summarise` on synthetic closed deals.

    .venv/bin/python bench/validation_stats.py [--accounts 100000] [--deals 500000]
        [--resamples 1000] [--seed 7] [--runs 3] [--json]

Outcomes are built as `app/validation/load.py` builds them: one score, tier, criteria mapping
and flags tuple per account, shared by all of its deals. Each account gets a score 0-100, the
default rubric's tier for it (or `disqualified`, for the 5 % holding a flag), points on eight
criteria and 1 + a geometric number of deals (mean deals / accounts), won with a probability
rising with the score. Generation is not timed; what is timed is `summarise` (converting the
list of outcomes to arrays included), the figure issue 17 budgets at 2 s on one core. Run it
with OPENBLAS_NUM_THREADS=1 (one core); on a busy machine the CPU seconds are the fairer
figure, the wall time being stretched by the other processes.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import date, timedelta

from app.validation.stats import Outcome, summarise

TIERS = ["tier_1", "tier_2", "tier_3", "tier_4", "disqualified"]
CRITERIA = [f"criterion_{i}" for i in range(8)]
FLAGS = ["personal_email", "competitor", "too_small"]


def tier_of(score: int) -> str:
    return (
        "tier_1"
        if score >= 75
        else "tier_2"
        if score >= 55
        else "tier_3"
        if score >= 35
        else "tier_4"
    )


def synthetic(accounts: int, deals: int, seed: int) -> list[Outcome]:
    rng = random.Random(seed)
    extra = max(0.0, deals / accounts - 1.0)
    stop = 1.0 / (1.0 + extra)  # geometric number of extra deals with mean `extra`
    first_day = date(2024, 1, 1)
    out: list[Outcome] = []
    for a in range(accounts):
        score = min(100, max(0, round(rng.gauss(50, 18))))
        flags = (rng.choice(FLAGS),) if rng.random() < 0.05 else ()
        criteria = {
            c: float(rng.choice((0, 25, 50, 75, 100))) for c in CRITERIA if rng.random() < 0.8
        }
        tier = "disqualified" if flags else tier_of(score)
        count = 1
        while rng.random() > stop:
            count += 1
        p_win = 0.15 + 0.5 * score / 100
        for _ in range(count):
            out.append(
                Outcome(
                    f"acc-{a}",
                    score,
                    tier,
                    rng.random() < p_win,
                    first_day + timedelta(days=rng.randrange(1000)),
                    criteria,
                    flags,
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=500_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    outcomes = synthetic(args.accounts, args.deals, args.seed)
    weights = dict.fromkeys(CRITERIA, 1.0)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = summarise(outcomes, TIERS, weights=weights, resamples=args.resamples)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    figures = {
        "deals": len(outcomes),
        "accounts": result.accounts,
        "resamples": args.resamples,
        "seconds_best": round(min(times), 3),
        "seconds_all": [round(t, 3) for t in times],
        "cpu_seconds_best": round(min(cpu), 3),
        "auc": result.auc,
        "auc_interval": result.auc_interval,
        "verdicts": [v.kind for v in result.verdicts],
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
