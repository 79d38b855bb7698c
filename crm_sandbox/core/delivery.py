"""What a sandbox notifier delivers and how: a `Delivery` (one request's worth of items,
retried as a unit), the `DeliveryFormat` a CRM gives it (how items are grouped, written and
acknowledged), the `RetryPolicy` of failed deliveries, and what each request left (`Attempt`,
`NotifierStats`)."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed delivery is tried again: `first_delay_s`, then times `factor` each time, at
    most `max_delay_s` apart (± `jitter`, a fraction of the delay); it is given up after
    `max_attempts` attempts in all (None: no cap) or once the next attempt would come more than
    `give_up_after_s` after the first (None: no cap)."""

    first_delay_s: float = 0.5
    factor: float = 2.0
    max_delay_s: float = 8.0
    max_attempts: int | None = 11
    give_up_after_s: float | None = None
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if self.first_delay_s < 0 or self.max_delay_s < 0 or self.factor < 1:
            raise ValueError("retry delays must be >= 0 and the factor >= 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be within [0, 1), got {self.jitter}")

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failures`-th failed attempt (1 = after the first)."""
        base = min(self.max_delay_s, self.first_delay_s * self.factor ** max(0, failures - 1))
        if self.jitter and rng is not None:
            base *= 1 + rng.uniform(-self.jitter, self.jitter)
        return max(0.0, base)


#: HubSpot: the first try and up to 10 retries with jitter ("over ~24 h", here about a minute).
HUBSPOT_RETRY = RetryPolicy(
    first_delay_s=0.5, factor=2.0, max_delay_s=8.0, max_attempts=11, jitter=0.1
)
#: Salesforce Outbound Messages: back-off up to "2 h" apart, dropped after "24 h" (5 s / 60 s).
SALESFORCE_RETRY = RetryPolicy(
    first_delay_s=0.5, factor=2.0, max_delay_s=5.0, max_attempts=None, give_up_after_s=60.0
)


@dataclass(frozen=True, slots=True)
class NotifierStats:
    """Counters of one notifier. Requests: `sent` attempts, `delivered` accepted ones,
    `failed_attempts` rejected or failed ones, `gave_up` deliveries dropped after their last
    attempt, `abandoned` deliveries still queued when the notifier was stopped, `skipped` ones
    that rendered to nothing (a Salesforce record deleted before the send). Items: `queued`
    submitted, `items_delivered` in accepted requests."""

    queued: int = 0
    sent: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    gave_up: int = 0
    abandoned: int = 0
    skipped: int = 0
    duplicates: int = 0
    items_delivered: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request: its delivery, attempt number (0 first), outcome and timing (monotonic)."""

    delivery_id: int
    attempt: int
    items: int
    status: int | None  # None: no answer (connection error, timeout)
    accepted: bool
    error: str | None
    started: float
    elapsed_s: float


@dataclass(eq=False, slots=True)
class Delivery(Generic[T]):
    """One request's worth of items, retried as a unit. `attempt` is the number of the next
    attempt (0 for the first); `cache` is the format's to keep a rendered body across tries."""

    id: int
    items: list[T]
    created_at: float  # monotonic, when the batch was closed
    attempt: int = 0
    cache: Any = None


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    headers: Mapping[str, str]


class DeliveryFormat(Protocol[T]):
    """How a CRM batches, writes and acknowledges its notification requests."""

    def batches(self, items: Sequence[T], max_batch: int) -> list[list[T]]:
        """The requests to send for items queued in one window (each at most `max_batch`).
        Called under the notifier's lock: must not call into a CRM state."""
        ...

    def render(self, delivery: Delivery[Any], target_url: str) -> Rendered | None:
        """The body and headers of the delivery's next attempt (`delivery.attempt`), or None
        for nothing to send. Called outside the notifier's lock."""
        ...

    def accepted(self, status: int, body: bytes) -> bool:
        """Whether the receiver's answer counts as delivered."""
        ...


def check_target_url(url: str) -> str:
    """The URL as requests will go to it (an empty path becomes `/`: the URL a receiver
    rebuilds, and so the one HubSpot signs); ValueError unless it is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook target must be an http:// or https:// URL, got {url!r}")
    try:
        wire = str(httpx.URL(url))  # percent-encoded as it goes on the wire
    except httpx.InvalidURL as error:
        raise ValueError(f"webhook target {url!r} is not a valid URL: {error}") from None
    parts = urlsplit(wire)
    return wire if parts.path else urlunsplit(parts._replace(path="/"))


@dataclass(slots=True)
class IdSequence:
    """A thread-safe increasing number (event ids, notification numbers)."""

    value: int
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def next(self) -> int:
        with self._lock:
            self.value += 1
            return self.value
