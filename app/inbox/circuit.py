"""Per-CRM circuit of the inbox worker: when one event finds a CRM down (unreachable, 5xx,
429, daily quota spent, token refused), the worker stops claiming that CRM's events until a
back-off expires, instead of sending every other event into the same outage. The first pass
after the back-off is the probe: success closes the circuit, another outage doubles the
back-off (up to a cap).

An outage is the CRM's fault, not the event's: it does not count towards an event's
attempts (see `queue.wait_out`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.errors import (
    AuthError,
    NetworkError,
    QuotaExhaustedError,
    RateLimitedError,
    RetryableError,
)

FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=5)
"""An outage is retried at least every 5 minutes, so a CRM that comes back is used within
5 minutes of its return, at one probe per CRM per 5 minutes while it is down."""


def is_outage(error: BaseException) -> bool:
    """The CRM cannot be used at all for now, whatever the event: no answer, 5xx, 423, 429
    (`RetryableError` and its `NetworkError`/`RateLimitedError`), the daily quota spent
    (`QuotaExhaustedError`: it resets within the day), or the token refused (`AuthError`: 401,
    or a scope missing from the app; every event would fail the same way until an admin
    renews the token or adds the scope, and dead-lettering them would need a manual replay for
    nothing). A refusal of the request itself (`RejectedError`: bad data, a refused record) or
    a bug is the event's own failure."""
    return isinstance(error, (RetryableError, QuotaExhaustedError, AuthError))


OUTAGE_REASONS = ("unreachable", "server_error", "rate_limited", "auth")


def outage_reason(error: BaseException) -> str:
    """The `reason` label of an outage in the metrics and logs."""
    if isinstance(error, AuthError):
        return "auth"
    if isinstance(error, QuotaExhaustedError | RateLimitedError):
        return "rate_limited"
    if isinstance(error, NetworkError):
        return "unreachable"
    return "server_error"


@dataclass
class Circuit:
    """One CRM's circuit: closed (`open_until` None) or open until a time."""

    first_backoff: timedelta = FIRST_BACKOFF
    max_backoff: timedelta = MAX_BACKOFF
    failures: int = 0
    open_until: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until

    def trip(self, now: datetime, retry_after: float | None = None) -> datetime:
        """Records an outage; returns when to try the CRM again (doubling per outage in a row,
        capped, never before the CRM's own `Retry-After`)."""
        self.failures += 1
        delay = min(self.first_backoff * 2 ** (self.failures - 1), self.max_backoff)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        self.open_until = now + delay
        return self.open_until

    def close(self) -> None:
        self.failures, self.open_until = 0, None
