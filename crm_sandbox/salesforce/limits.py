"""The org's daily API request counter, reported on every answer as `Sforce-Limit-Info`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class ApiUsage:
    """Calls counted today against `daily_limit`; set `used` to test running out."""

    daily_limit: int = 15_000
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> bool:
        """Counts one call; False if the daily limit was already reached."""
        with self._lock:
            if self.used >= self.daily_limit:
                return False
            self.used += 1
            return True

    def header(self) -> str:
        with self._lock:
            return f"api-usage={self.used}/{self.daily_limit}"
