"""Requests the HubSpot sandbox served, per route and status: the benchmarks' "API calls"
figures, and the errors its fault injector answered instead (`faults_injected`)."""

from __future__ import annotations

import threading
from collections import Counter


class ApiStats:
    """Requests per route (`"POST /crm/v3/objects/{objectType}/batch/update"`) and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.rate_limited = 0
        self.faults_injected = 0

    def record(self, route: str, status: int, *, fault: bool = False) -> None:
        with self._lock:
            self.by_route[route] += 1
            self.by_status[status] += 1
            if status == 429 and not fault:
                self.rate_limited += 1
            if fault:
                self.faults_injected += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_route.values())

    def calls(self, route: str | None = None) -> int:
        """Requests to `route` (matched exactly, or as a substring of the route), or all."""
        with self._lock:
            if route is None:
                return sum(self.by_route.values())
            if route in self.by_route:
                return self.by_route[route]
            return sum(count for name, count in self.by_route.items() if route in name)

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "total": sum(self.by_route.values()),
                "by_route": dict(self.by_route),
                "by_status": {str(status): n for status, n in self.by_status.items()},
                "rate_limited": self.rate_limited,
                "faults_injected": self.faults_injected,
            }

    def reset(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.by_status.clear()
            self.rate_limited = self.faults_injected = 0
