"""Where the scorer's time goes: the default rubric, then without one part at a time.

    .venv/bin/python bench/score_breakdown.py [--records 30000] [--passes 7]

Scores the same synthetic accounts (bench/score_throughput.py's generator) several times per
variant, variants interleaved, and reports the fastest pass of each: on a noisy machine the
minimum is the figure least disturbed by other processes.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from score_throughput import NOW, synthetic_accounts

from app.rubric import load_rubric
from app.rubric.model import Rubric
from app.scoring import compile_rubric, score


def variants() -> dict[str, dict[str, Any]]:
    base = load_rubric().model_dump()
    no_disqualifiers = copy.deepcopy(base)
    no_disqualifiers["disqualifiers"] = []
    no_domain_rules = copy.deepcopy(base)
    no_domain_rules["disqualifiers"] = [
        d for d in base["disqualifiers"] if d.get("domain_in") is None
    ]
    no_recency = copy.deepcopy(base)
    for layer in no_recency["layers"].values():
        layer["criteria"] = [c for c in layer["criteria"] if c.get("recency") is None]
    return {
        "default rubric": base,
        "without the disqualifiers": no_disqualifiers,
        "without the domain disqualifiers": no_domain_rules,
        "without the recency criterion": no_recency,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    accounts = list(synthetic_accounts(args.records, seed=7))
    compiled = {
        name: compile_rubric(Rubric.model_validate(doc)) for name, doc in variants().items()
    }
    fastest = dict.fromkeys(compiled, float("inf"))
    for _ in range(args.passes):
        for name, rubric in compiled.items():
            started = time.perf_counter()
            for facts in accounts:
                score(facts, rubric, NOW)
            fastest[name] = min(fastest[name], time.perf_counter() - started)
    for name, seconds in fastest.items():
        per_record = seconds / len(accounts) * 1e6
        print(f"{name:34} {per_record:6.2f} µs/record  {len(accounts) / seconds:9,.0f} records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
