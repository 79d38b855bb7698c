"""When and how long to retry a CRM call: one tenacity policy shared by every connector.

Retried: `RetryableError` (429 on a rolling window, 423, 408, 5xx, timeouts, dropped
connections). Not retried: everything else, notably 400/404/409 (`RejectedError`), 401/403
(`AuthError`) and a 429 on the DAILY quota (`QuotaExhaustedError`).

How long to wait before the next attempt, first match wins:
1. the server's `Retry-After` (seconds or HTTP-date);
2. a 429 saying the window is spent (`X-HubSpot-RateLimit-Remaining: 0`): the window length
   (`-Interval-Milliseconds`), since HubSpot's window is rolling and gives no reset time;
3. exponential backoff with jitter: `initial · 2^(n-1)` capped at `backoff_max`, of which a
   random half is kept (so concurrent workers do not retry in lock-step).

Two bounds, both configurable: `max_attempts` calls in all, and `max_elapsed` seconds from the
first attempt — a wait that would end past it is not started, the error is raised instead (a
`Retry-After: 3600` fails fast rather than parking a sync for an hour).

Sleep, clock and randomness are injected so the policy is unit-testable without waiting.

Retrying is the second line: the HubSpot client paces its calls from the rate-limit headers
(`connectors.hubspot.pacing`, sleeping through this retrier's `sleep` on its `clock`), so a 429
is what happens when something outside the process spent the window.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from connectors.base import ApiStats
from connectors.errors import (
    NetworkError,
    QuotaExhaustedError,
    RateLimitedError,
    RetryableError,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], float]
Random = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The bounds and the backoff curve; the defaults suit HubSpot's 10-second burst window."""

    max_attempts: int = 6
    max_elapsed: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_elapsed < 0 or self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("retry times must not be negative")


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, RetryableError)


def wait_seconds(
    error: BaseException | None, attempt: int, policy: RetryPolicy, rand: Random
) -> float:
    """How long to wait after failed attempt number `attempt` (1-based) raised `error`."""
    if isinstance(error, RetryableError) and error.retry_after is not None:
        return error.retry_after
    if (
        isinstance(error, RateLimitedError)
        and error.window_remaining == 0
        and error.window_ms is not None
        and error.window_ms > 0
    ):
        return error.window_ms / 1000
    ceiling = min(policy.backoff_max, policy.backoff_initial * 2.0 ** max(attempt - 1, 0))
    return ceiling / 2 + rand() * ceiling / 2


def retry_cause(error: BaseException | None) -> str:
    """A short label of why a call was retried, for the run's report."""
    if isinstance(error, NetworkError):
        return "timeout" if error.timed_out else "connection lost"
    if isinstance(error, RetryableError) and error.status is not None:
        return f"HTTP {error.status}"
    return type(error).__name__


@dataclass(slots=True)
class Retrier:
    """Runs calls under a RetryPolicy, counting retries and 429s in `stats`."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    stats: ApiStats = field(default_factory=ApiStats)
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    rand: Random = random.random

    def call(self, operation: str, fn: Callable[[], T]) -> T:
        """`fn()`, retried per the policy; the last error is raised as is once it gives up."""

        def attempt() -> T:
            try:
                return fn()
            except (RateLimitedError, QuotaExhaustedError):
                self.stats.rate_limited += 1
                raise

        return self.retrying(operation)(attempt)

    def retrying(self, operation: str) -> tenacity.Retrying:
        """A fresh tenacity controller for one logical call (its elapsed-time bound starts now)."""
        started = self.clock()
        policy = self.policy

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            return wait_seconds(error, state.attempt_number, policy, self.rand)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= policy.max_attempts:
                return True
            return self.clock() - started + state.upcoming_sleep > policy.max_elapsed

        def before_sleep(state: tenacity.RetryCallState) -> None:
            self.stats.retries += 1
            error = state.outcome.exception() if state.outcome is not None else None
            self.stats.retry_causes[retry_cause(error)] += 1
            logger.warning(
                "%s failed (%s); retry %d of %d in %.2fs",
                operation,
                error,
                state.attempt_number,
                policy.max_attempts - 1,
                state.upcoming_sleep,
            )

        return tenacity.Retrying(
            sleep=self.sleep,
            stop=stop,
            wait=wait,
            retry=tenacity.retry_if_exception(is_retryable),
            before_sleep=before_sleep,
            reraise=True,
        )
