"""The cyclic garbage collector's policy for processes that score (serve's workers, the inbox
worker, sync, score, rescore, promote).

Scoring allocates a few tracked containers per record (a result, its criteria and reasons
tuples) that are freed by reference counting, never by the collector; with CPython's default
young-generation threshold (700) the collector still runs every few hundred records and walks
every young object, 12-14 % of the scorer's CPU (docs/benchmarks.md, issue 18 point 4).

- `gc.freeze()` after start-up moves the imported modules, the compiled rubric and the app's
  objects to the permanent generation: no collection ever walks them again.
- A young generation of 50,000 allocations (net of frees) lets a collection come every few
  thousand records rather than every hundred or so. Cycles are still collected, only later:
  at most 50,000 young objects (a few MiB) wait for one, and the older generations keep
  CPython's proportions (20 young collections per middle one, 20 of those per full one, and a
  full one only when the long-lived objects grew by a quarter), so a long-running `serve` does
  not grow from it. Measured choices: docs/benchmarks.md, issue 18 point 4.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 20)
"""`gc.set_threshold`'s (young, middle, old); CPython's default is (700, 10, 10)."""


def apply_gc_policy() -> None:
    """Call once start-up has imported what the process runs (idempotent)."""
    # Start-up's recent garbage goes first, so it is not frozen with the rest: the young and
    # middle generations only, under 1 ms. A full collection walks every object imported
    # (8-12 ms in `score`, about 45 ms in a serve worker) to find a few dozen more, if any
    # (none in `score`, about 40 in serve's app), which instead stay frozen: a few KiB, once.
    gc.collect(1)
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
