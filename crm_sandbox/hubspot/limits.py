"""HubSpot's rate limits, per token: a rolling 10-second burst window, a daily counter (reset
at midnight UTC, the sandbox account's time zone), and the search endpoints' own per-second
limit, which sends no `X-HubSpot-RateLimit-*` headers (hubspot.md §4, §9).

The defaults are a Professional-tier private app's, from HubSpot's private-apps guide (its
rate-limit table: Professional, 190 per 10 s per private app, 625,000 per day per account;
the 2024 changelog "Increasing our API limits" said 650,000, the guide is the later word).
429 bodies are HubSpot's: `status`, `message` ("You have reached your ten_secondly_rolling
limit." / "daily" / "secondly"), `errorType: RATE_LIMIT`, `correlationId`, `policyName`
(`TEN_SECONDLY_ROLLING`, `DAILY`, `SECONDLY`) and `requestId` (HubSpot's usage guidelines
show it on the DAILY example). `Retry-After` (seconds): HubSpot's usage guidelines
(developer-tooling/platform/usage-guidelines) ask clients to honour it on 429s, and PostHog
fixed its HubSpot import to do so (PostHog/posthog#64726, 2026-06); the sandbox sends it
unless `retry_after` is off (the connector copes with both).

Requests refused with 429 consume no budget. All attributes may be changed while serving
(e.g. `limiter.retry_after = False`); `reset()` empties the windows and the daily counts.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crm_sandbox.hubspot.errors import HubSpotApiError

BURST_WINDOW_MS = 10_000
#: A Professional-tier private app's burst limit (requests per rolling 10 s, per token).
RATE_LIMIT = 190
#: A Professional-tier account's daily limit.
DAILY_LIMIT = 625_000
SEARCH_WINDOW_MS = 1_000


@dataclass(slots=True)
class _TokenUsage:
    burst: deque[float] = field(default_factory=deque)
    search: deque[float] = field(default_factory=deque)
    day: str = ""
    daily: int = 0


class RateLimiter:
    """Decides, per request, whether a token is over a limit; gives the headers to send."""

    def __init__(
        self,
        *,
        burst: int | None = RATE_LIMIT,
        daily: int | None = DAILY_LIMIT,
        search_per_second: int | None = 5,
        retry_after: bool = True,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], str] | None = None,
    ) -> None:
        self.burst = burst
        self.daily = daily
        self.search_per_second = search_per_second
        self.retry_after = retry_after
        self._clock = clock
        self._today = today or (lambda: datetime.now(UTC).date().isoformat())
        self._usage: dict[str, _TokenUsage] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._usage.clear()

    def admit(self, token: str, *, search: bool) -> dict[str, str]:
        """Counts the request, returning the rate-limit headers for its answer, or raises the
        429 `HubSpotApiError` (with the same headers, and `Retry-After` if switched on)."""
        with self._lock:
            now_ms = self._clock() * 1000.0
            usage = self._usage.setdefault(token, _TokenUsage())
            today = self._today()
            if usage.day != today:
                usage.day, usage.daily = today, 0
            _expire(usage.burst, now_ms - BURST_WINDOW_MS)
            _expire(usage.search, now_ms - SEARCH_WINDOW_MS)
            if self.daily is not None and usage.daily >= self.daily:
                raise self._limited(
                    "You have reached your daily limit.",
                    "DAILY",
                    self._headers(usage, search=search),
                    retry_after_s=_seconds_to_midnight(),
                )
            if search:
                limit = self.search_per_second
                if limit is not None and len(usage.search) >= limit:
                    wait = usage.search[0] + SEARCH_WINDOW_MS - now_ms
                    raise self._limited(
                        "You have reached your secondly limit.",
                        "SECONDLY",
                        {},
                        retry_after_s=wait / 1000,
                    )
                usage.search.append(now_ms)
                usage.daily += 1
                return {}
            if self.burst is not None and len(usage.burst) >= self.burst:
                wait = usage.burst[0] + BURST_WINDOW_MS - now_ms
                raise self._limited(
                    "You have reached your ten_secondly_rolling limit.",
                    "TEN_SECONDLY_ROLLING",
                    self._headers(usage, search=False),
                    retry_after_s=wait / 1000,
                )
            usage.burst.append(now_ms)
            usage.daily += 1
            return self._headers(usage, search=False)

    def burst_headers(self, token: str) -> dict[str, str]:
        """The headers as they stand, without counting a request (for injected 429s)."""
        with self._lock:
            usage = self._usage.setdefault(token, _TokenUsage())
            _expire(usage.burst, self._clock() * 1000.0 - BURST_WINDOW_MS)
            return self._headers(usage, search=False)

    def _headers(self, usage: _TokenUsage, *, search: bool) -> dict[str, str]:
        if search:
            return {}
        headers: dict[str, str] = {}
        if self.burst is not None:
            headers["X-HubSpot-RateLimit-Max"] = str(self.burst)
            headers["X-HubSpot-RateLimit-Remaining"] = str(max(0, self.burst - len(usage.burst)))
            headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(BURST_WINDOW_MS)
        if self.daily is not None:
            headers["X-HubSpot-RateLimit-Daily"] = str(self.daily)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, self.daily - usage.daily))
        return headers

    def _limited(
        self, message: str, policy: str, headers: dict[str, str], *, retry_after_s: float
    ) -> HubSpotApiError:
        if self.retry_after:
            headers = {**headers, "Retry-After": str(max(1, math.ceil(retry_after_s)))}
        return rate_limit_error(message, policy, headers)


def rate_limit_error(message: str, policy: str, headers: dict[str, str]) -> HubSpotApiError:
    return HubSpotApiError(
        429,
        message,
        "",
        extra={"errorType": "RATE_LIMIT", "policyName": policy, "requestId": str(uuid.uuid4())},
        headers=headers,
    )


def _expire(window: deque[float], before_ms: float) -> None:
    while window and window[0] <= before_ms:
        window.popleft()


def _seconds_to_midnight() -> float:
    now = datetime.now(UTC)
    return 86_400 - (now.hour * 3600 + now.minute * 60 + now.second)
