"""The sandbox's notifier: a background sender that batches change events and POSTs them to a
target URL the way a CRM does, retrying failed deliveries on a compressed clock. (The receiver
calls them webhooks; HubSpot calls them webhook notifications, Salesforce Outbound Messages.)

`Notifier` knows nothing about a CRM: a `DeliveryFormat` (`delivery`) says how items are grouped
into requests (`batches`), how a request looks at a given attempt (`render`) and which answers
count as delivered (`accepted`). `hubspot.notifications` and `salesforce.outbound_messages` are
the two formats.

    notifier = Notifier("http://127.0.0.1:8000/hook", fmt, max_concurrent=10).start()
    notifier.submit(item)        # cheap and thread-safe; safe under the CRM state's lock
    notifier.wait_idle(5.0)      # True once everything was delivered or given up
    notifier.stats               # sent, delivered, failed_attempts, gave_up, …
    notifier.stop(drain=True)    # or drain=False: abandon what is still queued

Threads: one dispatcher closes the coalescing window (`coalesce_s`, ~50 ms after the first
queued item, or at once when `max_batch` items wait) and releases retries when they are due;
`max_concurrent` workers each hold an `httpx.Client` and send one request at a time. A
request fails on a connection error, a timeout (`timeout_s`) or an answer `accepted` rejects;
a failed delivery is retried as a whole (same items, next attempt number) after
`RetryPolicy.delay`, until `max_attempts` or `give_up_after_s` runs out.

The notifier never calls into a CRM state while holding its own lock (formats render outside
it), so `submit` may be called from a state listener that runs under the state's lock.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

import httpx

from crm_sandbox.core.delivery import (
    HUBSPOT_RETRY,
    Attempt,
    Delivery,
    DeliveryFormat,
    NotifierStats,
    RetryPolicy,
    check_target_url,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_COALESCE_S = 0.05
MAX_ATTEMPT_LOG = 10_000
_COUNTS = (
    "queued",
    "sent",
    "delivered",
    "failed_attempts",
    "gave_up",
    "abandoned",
    "skipped",
    "duplicates",
    "items_delivered",
)


class Notifier(Generic[T]):
    """Batches submitted items and POSTs them to `target_url` (see the module docstring)."""

    def __init__(
        self,
        target_url: str,
        fmt: DeliveryFormat[T],
        *,
        name: str = "notifier",
        max_concurrent: int = 10,
        retry: RetryPolicy = HUBSPOT_RETRY,
        timeout_s: float = 5.0,
        coalesce_s: float = DEFAULT_COALESCE_S,
        max_batch: int = 100,
        duplicate_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if not 0 <= duplicate_rate <= 1:
            raise ValueError(f"duplicate_rate must be within [0, 1], got {duplicate_rate}")
        self.target_url = check_target_url(target_url)
        self.format = fmt
        self.name = name
        self.max_concurrent = max_concurrent
        self.retry = retry
        self.timeout_s = timeout_s
        self.coalesce_s = max(0.0, coalesce_s)
        self.max_batch = max_batch
        self.duplicate_rate = duplicate_rate
        self._rng = random.Random(seed)  # noqa: S311 - jitter and duplicates, not secrets
        self._lock = threading.Lock()
        self._dispatch = threading.Condition(self._lock)  # pending items and retries
        self._work = threading.Condition(self._lock)  # ready deliveries
        self._idle = threading.Condition(self._lock)
        self._pending: list[T] = []
        self._pending_since = 0.0
        self._ready: deque[Delivery[T]] = deque()
        self._retries: list[tuple[float, int, Delivery[T]]] = []
        self._in_flight = 0
        self._ids = itertools.count(1)
        self._counts: dict[str, int] = dict.fromkeys(_COUNTS, 0)
        self._last_error: str | None = None
        self._attempts: deque[Attempt] = deque(maxlen=MAX_ATTEMPT_LOG)
        self._threads: list[threading.Thread] = []
        self._started = False
        self._stopping = False

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> Notifier[T]:
        with self._lock:
            if self._started:
                return self
            self._started = True
        dispatcher = threading.Thread(
            target=self._run_dispatcher, name=f"{self.name}-dispatch", daemon=True
        )
        self._threads = [dispatcher]
        self._threads += [
            threading.Thread(target=self._run_worker, name=f"{self.name}-{n}", daemon=True)
            for n in range(self.max_concurrent)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, *, drain: bool = False, timeout: float = 5.0) -> None:
        """Stops the threads. `drain`: first wait up to `timeout` s for everything queued to be
        delivered or given up; what is still queued then is abandoned (counted)."""
        if drain:
            self.wait_idle(timeout)
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            abandoned = len(self._ready) + len(self._retries) + (1 if self._pending else 0)
            self._counts["abandoned"] += abandoned
            self._pending = []
            self._ready.clear()
            self._retries.clear()
            self._dispatch.notify_all()
            self._work.notify_all()
            self._idle.notify_all()
        deadline = time.monotonic() + self.timeout_s + 1.0
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def running(self) -> bool:
        with self._lock:
            return self._started and not self._stopping

    # --- input --------------------------------------------------------------------------------

    def submit(self, item: T) -> None:
        """Queues an item for the current coalescing window (ignored once stopped)."""
        with self._lock:
            if self._stopping:
                return
            self._counts["queued"] += 1
            if not self._pending:
                self._pending_since = time.monotonic()
                self._pending.append(item)
                self._dispatch.notify()
                return
            self._pending.append(item)
            if len(self._pending) >= self.max_batch:
                self._dispatch.notify()

    # --- observation --------------------------------------------------------------------------

    @property
    def stats(self) -> NotifierStats:
        with self._lock:
            return NotifierStats(**self._counts, last_error=self._last_error)

    def attempts(self) -> list[Attempt]:
        """The latest requests (at most 10,000), oldest first."""
        with self._lock:
            return list(self._attempts)

    def _is_idle(self) -> bool:
        return not (self._pending or self._ready or self._retries or self._in_flight)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Waits until nothing is queued, due for a retry or in flight; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._is_idle() and not self._stopping:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return self._is_idle()

    # --- threads ------------------------------------------------------------------------------

    def _run_dispatcher(self) -> None:
        with self._lock:
            while not self._stopping:
                now = time.monotonic()
                window_closed = now >= self._pending_since + self.coalesce_s
                if self._pending and (window_closed or len(self._pending) >= self.max_batch):
                    items, self._pending = self._pending, []
                    try:
                        batches = self.format.batches(items, self.max_batch)
                    except Exception:  # a format bug: log it, never kill the thread
                        logger.exception(
                            "%s: batching failed; %d items dropped", self.name, len(items)
                        )
                        batches = []
                    for batch in batches:
                        if batch:
                            self._ready.append(Delivery(next(self._ids), list(batch), now))
                    self._work.notify(len(batches))
                    if self._is_idle():
                        self._idle.notify_all()
                while self._retries and self._retries[0][0] <= now:
                    _, _, delivery = heapq.heappop(self._retries)
                    self._ready.append(delivery)
                    self._work.notify()
                deadlines = []
                if self._pending:
                    deadlines.append(self._pending_since + self.coalesce_s)
                if self._retries:
                    deadlines.append(self._retries[0][0])
                wait = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
                self._dispatch.wait(wait)

    def _run_worker(self) -> None:
        client = httpx.Client(timeout=self.timeout_s, trust_env=False, follow_redirects=False)
        try:
            while True:
                with self._lock:
                    while not self._ready and not self._stopping:
                        self._work.wait()
                    if self._stopping:
                        return
                    delivery = self._ready.popleft()
                    self._in_flight += 1
                try:
                    self._attempt(client, delivery)
                finally:
                    with self._lock:
                        self._in_flight -= 1
                        if self._is_idle():
                            self._idle.notify_all()
        finally:
            client.close()

    def _attempt(self, client: httpx.Client, delivery: Delivery[T]) -> None:
        try:
            rendered = self.format.render(delivery, self.target_url)
        except Exception:  # a format bug: drop the delivery, keep the worker
            logger.exception("%s: rendering delivery %d failed", self.name, delivery.id)
            rendered = None
        if rendered is None:
            with self._lock:
                self._counts["skipped"] += 1
            return
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        accepted = False
        try:
            response = client.post(
                self.target_url, content=rendered.body, headers=dict(rendered.headers)
            )
            status = response.status_code
            accepted = self.format.accepted(status, response.content)
            if not accepted:
                error = f"HTTP {status}"
        except httpx.TimeoutException:
            error = f"no answer within {self.timeout_s:g} s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        finished = time.monotonic()
        with self._lock:
            self._attempts.append(
                Attempt(
                    delivery.id,
                    delivery.attempt,
                    len(delivery.items),
                    status,
                    accepted,
                    error,
                    started,
                    finished - started,
                )
            )
            self._counts["sent"] += 1
            delivery.attempt += 1
            if self._stopping:
                if not accepted:
                    self._counts["abandoned"] += 1
                return
            if accepted:
                self._counts["delivered"] += 1
                self._counts["items_delivered"] += len(delivery.items)
                if self.duplicate_rate and self._rng.random() < self.duplicate_rate:
                    self._counts["duplicates"] += 1
                    delivery.attempt -= 1  # a duplicate, not a retry: same attempt number
                    self._ready.append(delivery)
                    self._work.notify()
                return
            self._counts["failed_attempts"] += 1
            self._last_error = error
            self._schedule_retry(delivery, finished)

    def _schedule_retry(self, delivery: Delivery[T], now: float) -> None:
        """With the lock held: queue the next attempt, or give the delivery up."""
        policy = self.retry
        due = now + policy.delay(delivery.attempt, self._rng)
        out_of_attempts = (
            policy.max_attempts is not None and delivery.attempt >= policy.max_attempts
        )
        too_late = (
            policy.give_up_after_s is not None
            and due - delivery.created_at > policy.give_up_after_s
        )
        if out_of_attempts or too_late:
            self._counts["gave_up"] += 1
            logger.warning(
                "%s: gave up delivery %d after %d attempts (%s)",
                self.name,
                delivery.id,
                delivery.attempt,
                self._last_error,
            )
            return
        heapq.heappush(self._retries, (due, delivery.id, delivery))
        self._dispatch.notify()


class Publisher:
    """The life cycle shared by the CRM publishers (`HubSpotNotifications`, `OutboundMessages`):
    a `notifier` fed by a subscription to the CRM state's changes, made by `_subscribe`."""

    notifier: Notifier[Any]
    _unsubscribe: Callable[[], None] | None = None

    def _subscribe(self) -> Callable[[], None]:
        raise NotImplementedError

    def start(self) -> Self:
        self.notifier.start()
        if self._unsubscribe is None:
            self._unsubscribe = self._subscribe()
        return self

    def stop(self, *, drain: bool = False, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.notifier.stop(drain=drain, timeout=timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self.notifier.wait_idle(timeout)

    @property
    def stats(self) -> NotifierStats:
        return self.notifier.stats
