"""A clock a test moves by hand, for what the sandbox times (e.g. its search index's lag)."""

from __future__ import annotations


class ManualClock:
    """Seconds on a monotonic scale that only `advance` moves."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
