"""Pacing HubSpot calls from the rate-limit headers, so the burst limit is never hit.

HubSpot limits a private app to `X-HubSpot-RateLimit-Max` requests per rolling
`-Interval-Milliseconds` (190 per 10 s on Professional) and tells, on every answer but
search's, how many are left (`-Remaining`); search has its own limit (5 per second per
account) and no headers; the daily budget (`-Daily`, `-Daily-Remaining`) is shared by every app
of the account (HubSpot's usage guidelines and private-apps guide). A 429 costs a retry and
counts against the 5%-of-calls error guideline, so the connector waits *before* a call rather
than after a refusal.

One `RateLimitPacer` per token per process (`pacer_for`, keyed by a hash of the token, never
the token): `icp-sync serve` runs its inbox worker and scheduled syncs in one process, each with
its own `HubSpotClient`, all spending one token's window. The pacer
- keeps the send times of this process's calls in the rolling window, and lets a call go when
  fewer than the budget are in it: `Max` less a safety margin (`SAFETY_MARGIN`, 10%, at least
  one call) for other processes and integrations on the same token;
- learns from each answer's headers what the others spent (`Max - Remaining` less this
  process's calls in the window) and counts that against the budget for one interval;
- schedules rather than polls: a call is given the first free slot (possibly in the future)
  and sleeps until then, so concurrent threads queue in order and never busy-wait;
- spaces searches `SEARCH_INTERVAL` apart (4 per second, under the 5/s limit).
Until the first answer only one call goes (the others wait for it, at most `PROBE_TIMEOUT`):
the limit is not known before HubSpot has said it. Without headers after that it assumes the
lowest tier's 100 per 10 s; a 2xx without the burst headers (no limit advertised) switches burst
pacing off.

`status` is the last limit status seen (daily remaining and max, burst max), for `doctor`'s
"API calls left today".
"""

from __future__ import annotations

import bisect
import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from connectors.errors import int_header

Clock = Callable[[], float]

SAFETY_MARGIN = 0.1
"""Share of the burst limit left unused, for other processes and integrations on the token."""
SEARCH_INTERVAL = 0.25
"""Seconds between searches: HubSpot allows 5 searches/s per account (no rate headers on
search), so pacing at 4/s avoids 429s rather than paying for them."""
ASSUMED_MAX = 100
"""The burst limit assumed before HubSpot has said (Free/Starter private apps: 100 per 10 s)."""
DEFAULT_INTERVAL = 10.0
SMOOTHING = 10
"""`free_in` spreads a window's budget over this many slices of it."""
PROBE_TIMEOUT = 60.0
"""Seconds the other callers wait for the first answer before going on the assumed limit."""


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """The limits as HubSpot last reported them (None: not sent)."""

    daily_max: int | None = None
    daily_remaining: int | None = None
    burst_max: int | None = None
    burst_remaining: int | None = None


class RateLimitPacer:
    """Thread-safe; shared by every client of one token in the process (`pacer_for`)."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        margin: float = SAFETY_MARGIN,
        search_interval: float = SEARCH_INTERVAL,
    ) -> None:
        if not 0 <= margin < 1:
            raise ValueError(f"margin must be within [0, 1), got {margin}")
        self._clock = clock
        self._margin = margin
        self.search_interval = search_interval
        self._lock = threading.Lock()
        self._max: int | None = ASSUMED_MAX
        self._interval = DEFAULT_INTERVAL
        self._sends: list[float] = []  # sorted; may hold reserved future slots
        self._others = 0
        self._others_until = 0.0
        self._next_search: float | None = None
        self._status = RateLimitStatus()
        self._probing = False
        self._first_answer = threading.Event()

    @property
    def status(self) -> RateLimitStatus:
        with self._lock:
            return self._status

    @property
    def budget(self) -> int | None:
        """Calls this process may have in one window (None: no burst limit known)."""
        with self._lock:
            return self._budget()

    def reserve(self, *, search: bool = False) -> float:
        """Takes the next free slot for one call; returns how long to wait for it (seconds).
        Blocks while the first call's answer is awaited (see the module's docstring)."""
        if not search:
            self._await_first_answer()
        with self._lock:
            now = self._clock()
            if search:
                start = now if self._next_search is None else max(now, self._next_search)
                self._next_search = start + self.search_interval
                return start - now
            slot = self._free_at(now, 1)
            if slot is None:
                return 0.0
            bisect.insort(self._sends, max(slot, now))
            return max(0.0, slot - now)

    def free_in(self, calls: int) -> float:
        """Seconds until `calls` calls could go without waiting (0: now), nothing reserved: a
        caller that batches work waits this long first, and gathers more into one batch.

        Unlike `reserve`, it also spreads the window's budget over its tenths (at most a tenth
        of the budget, or `calls`, in any tenth of the window): a window spent in a burst of
        small batches stalls every caller until it slides, which is seconds of latency for a
        webhook; spread, the batches grow instead."""
        with self._lock:
            now = self._clock()
            slot = self._free_at(now, calls)
            budget = self._budget()
            if slot is None or budget is None:
                return 0.0
            tenth = self._interval / SMOOTHING
            share = max(calls, math.ceil(budget / SMOOTHING))
            recent = self._sends[bisect.bisect_right(self._sends, now - tenth) :]
            excess = len(recent) + calls - share
            spread = recent[excess - 1] + tenth if excess > 0 else now
            return max(0.0, slot - now, spread - now)

    def _free_at(self, now: float, calls: int) -> float | None:
        """When `calls` more calls fit in the window (None: no burst limit known)."""
        budget = self._budget()
        if budget is None:
            return None
        horizon = now - self._interval
        del self._sends[: bisect.bisect_right(self._sends, horizon)]
        others = self._others if now < self._others_until else 0
        excess = len(self._sends) + others + calls - 1 - budget
        if excess < 0:
            return now
        # The last slot opens when the (excess+1)-th oldest send leaves the window; with
        # others' calls filling it alone, when their window ends.
        if excess < len(self._sends):
            return self._sends[excess] + self._interval
        return self._others_until

    def observe(
        self, headers: Mapping[str, str], *, search: bool = False, success: bool = True
    ) -> None:
        """Learns the limits and the token's use from an answer's headers (any status; an
        error without the headers, e.g. a gateway's 503, says nothing about the limit)."""
        self._first_answer.set()
        lower = {str(key).lower(): str(value) for key, value in headers.items()}
        daily_max = int_header(lower.get("x-hubspot-ratelimit-daily"))
        daily_remaining = int_header(lower.get("x-hubspot-ratelimit-daily-remaining"))
        burst_max = int_header(lower.get("x-hubspot-ratelimit-max"))
        remaining = int_header(lower.get("x-hubspot-ratelimit-remaining"))
        interval_ms = int_header(lower.get("x-hubspot-ratelimit-interval-milliseconds"))
        with self._lock:
            previous = self._status
            self._status = RateLimitStatus(
                daily_max=daily_max if daily_max is not None else previous.daily_max,
                daily_remaining=(
                    daily_remaining if daily_remaining is not None else previous.daily_remaining
                ),
                burst_max=burst_max if burst_max is not None else previous.burst_max,
                burst_remaining=remaining if remaining is not None else previous.burst_remaining,
            )
            if search:
                return  # search answers carry no burst headers: nothing to learn about it
            if burst_max is not None and burst_max > 0:
                self._max = burst_max
            elif success:
                self._max = None  # a 2xx without the headers: no burst limit is advertised
            if interval_ms is not None and interval_ms > 0:
                self._interval = interval_ms / 1000
            if burst_max is None or remaining is None:
                return
            now = self._clock()
            mine = sum(1 for sent in self._sends if now - self._interval < sent <= now)
            self._others = max(0, burst_max - remaining - mine)
            self._others_until = now + self._interval

    @contextmanager
    def slot(self, sleep: Callable[[float], None], *, search: bool = False) -> Iterator[None]:
        """Waits (with `sleep`) for the next free slot and holds it for one call; the call's
        end, with or without an answer, lets the callers waiting for the first answer go on.
        Feed the answer's headers to `observe` inside the block."""
        wait = self.reserve(search=search)
        if wait > 0:
            sleep(wait)
        try:
            yield
        finally:
            self.answered()

    def answered(self) -> None:
        """A call ended (with or without an answer): callers waiting for the first go on."""
        self._first_answer.set()

    def _await_first_answer(self) -> None:
        with self._lock:
            if self._first_answer.is_set():
                return
            if not self._probing:
                self._probing = True  # this caller makes the first call
                return
        self._first_answer.wait(PROBE_TIMEOUT)

    def _budget(self) -> int | None:
        if self._max is None:
            return None
        return max(1, math.floor(self._max * (1 - self._margin)))


_PACERS: dict[tuple[str, Clock], RateLimitPacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(token: str, *, clock: Clock = time.monotonic) -> RateLimitPacer:
    """The process's pacer for `token` and `clock` (in production always `time.monotonic`: one
    pacer per token; a test's virtual clock gets its own). Keyed by a SHA-256 of the token,
    so the registry never holds a credential."""
    key = (hashlib.sha256(token.encode()).hexdigest(), clock)
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = RateLimitPacer(clock=clock)
        return pacer
