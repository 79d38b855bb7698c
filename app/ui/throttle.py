"""Failed logins per client address, per process: after `MAX_FAILURES` within `WINDOW` the
address is refused (429) until its oldest failure ages out. With argon2's cost per try it
keeps password guessing slow; a successful login clears the address's count."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
MAX_TRACKED = 10_000
"""Addresses remembered at most: the oldest is forgotten first, so a flood cannot fill memory."""


class LoginThrottle:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, address: str, now: datetime) -> int | None:
        """Seconds until `address` may try again, None when it may now."""
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < MAX_FAILURES:
                return None
            return max(1, int((failures[0] + WINDOW - now).total_seconds()) + 1)

    def failed(self, address: str, now: datetime) -> None:
        with self._lock:
            failures = self._recent(address, now)
            failures.append(now)
            self._failures[address] = failures
            while len(self._failures) > MAX_TRACKED:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        failures = self._failures.pop(address, deque())
        while failures and failures[0] <= now - WINDOW:
            failures.popleft()
        if failures:
            self._failures[address] = failures
        return failures
