"""Faults on a sandbox CRM's API: what production throws at a client, at random or on cue.

Each CRM API has one `FaultInjector` that decides, request by request, whether to fault it:

    faults.set_plan(FaultPlan(rate=0.2, seed=3))     # random faults from now on (None: off)
    faults.fail_next(3, status=503, path="/query")  # the next 3 matching requests, on cue
    faults.clear()                                   # neither any more

On cue, `fail_next(count, status=…, path=…, retry_after=…)` answers the next `count` requests
whose path and query (`/crm/v3/objects/companies?limit=100`) contain `path` (any request when
None) with the CRM's error for `status` (429 is its rate-limit answer), with `Retry-After` when
`retry_after` is given. Faults on cue come first and draw nothing from the random plan.

At random, each request is faulted with probability `rate`; the faults take `kinds` in turn
(those the CRM has: HubSpot private-app tokens do not expire, Salesforce REST answers no 429), so
a run with a few faults already has each kind:

- `latency`: the request reaches the CRM `latency_s` late (then it is served);
- `slow_answer`: the request is served at once, its answer held back `latency_s` (a client
  that gives up or dies meanwhile cannot know its write landed);
- `server_error`: 500, 502, 503 or 504 with the CRM's own error JSON;
- `rate_limit`: a burst of `burst` consecutive 429s with `Retry-After` (and HubSpot's
  `X-HubSpot-RateLimit-*` headers);
- `rate_limit_bare`: the same burst with no retry header at all (the client picks the wait);
- `dropped`: the connection closes after the status line, before the body arrives;
- `timeout`: nothing for `hang_s` seconds (longer than the client's read timeout), then closed;
- `expired_session` (Salesforce): every access token is revoked, so the request gets
  401 INVALID_SESSION_ID and the client must authenticate again.

`fault_middleware.FaultMiddleware` applies the decisions *before* the CRM handles the request:
a faulted write never lands, so a client that retries it writes each record once. Each CRM
renders its own error answers (an `ErrorRenderer`). `injected()` counts what was injected, by
kind (faults on cue count as `rate_limit` or `server_error`). The random draws are seeded: a
run is reproducible given the same sequence of requests.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal[
    "latency",
    "slow_answer",
    "server_error",
    "rate_limit",
    "rate_limit_bare",
    "dropped",
    "timeout",
    "expired_session",
]
ALL_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
HUBSPOT_KINDS: frozenset[FaultKind] = frozenset(ALL_KINDS) - {"expired_session"}
SALESFORCE_KINDS: frozenset[FaultKind] = frozenset(ALL_KINDS) - {"rate_limit", "rate_limit_bare"}
SERVER_ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which faults, how often. `rate` is the share of requests faulted (0-1)."""

    rate: float
    kinds: tuple[FaultKind, ...] = ALL_KINDS
    seed: int = 0
    hang_s: float = 3.0
    latency_s: tuple[float, float] = (0.02, 0.2)
    retry_after_s: int = 1
    burst: tuple[int, int] = (1, 4)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"fault rate must be within 0-1, got {self.rate}")
        unknown = [kind for kind in self.kinds if kind not in ALL_KINDS]
        if unknown or not self.kinds:
            raise ValueError(
                f"fault kinds must be some of {', '.join(ALL_KINDS)}; got {', '.join(unknown)}"
                if unknown
                else "at least one fault kind is needed"
            )
        low, high = self.latency_s
        if not 0 <= low <= high or self.hang_s < 0 or self.retry_after_s < 0:
            raise ValueError("fault times must not be negative (and latency low <= high)")
        if not 1 <= self.burst[0] <= self.burst[1]:
            raise ValueError(f"a 429 burst must be 1 or more requests, got {self.burst}")

    @classmethod
    def parse(cls, rate: float, kinds: str | None = None, seed: int = 0) -> FaultPlan:
        """A plan from command-line values: `kinds` is comma-separated (None: all)."""
        chosen = tuple(k.strip() for k in kinds.split(",") if k.strip()) if kinds else ALL_KINDS
        return cls(rate=rate, kinds=chosen, seed=seed)  # type: ignore[arg-type]  # checked above


@dataclass(frozen=True, slots=True)
class Fault:
    """One decision: the kind, the status to answer (`server_error` and the 429 kinds), the
    `Retry-After` seconds to send (None: no header) and how long to wait first."""

    kind: FaultKind
    status: int | None = None
    retry_after: int | None = None
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """What a CRM answers for an injected error: status, headers and a JSON body (bytes)."""

    status: int
    headers: dict[str, str]
    body: bytes


ErrorRenderer = Callable[[Fault], ErrorAnswer]
"""The CRM's answer for an injected `server_error`, `rate_limit` or `rate_limit_bare`."""


@dataclass(slots=True)
class _OnCue:
    status: int
    remaining: int
    path: str | None
    retry_after: int | None


class FaultInjector:
    """Decides, request by request, whether and how to fault one CRM API; counts what it did.

    `kinds`: the random kinds this CRM has; `statuses`: those `fail_next` may answer with;
    `salt` keeps two CRMs on the same plan from drawing the same faults."""

    def __init__(
        self,
        kinds: frozenset[FaultKind],
        *,
        statuses: Collection[int] = SERVER_ERROR_STATUSES,
        salt: int = 0,
    ) -> None:
        self.kinds = kinds
        self.statuses = frozenset(statuses)
        self.salt = salt
        self._lock = threading.Lock()
        self._plan: FaultPlan | None = None
        self._rng = random.Random(salt)  # noqa: S311 - not crypto
        self._burst_left = 0
        self._burst_kind: FaultKind | None = None
        self._turn = 0
        self._on_cue: list[_OnCue] = []
        self._injected: Counter[FaultKind] = Counter()

    @property
    def plan(self) -> FaultPlan | None:
        return self._plan

    def set_plan(self, plan: FaultPlan | None) -> None:
        """Random faults from `plan` from now on (None: none); the draws restart from its seed."""
        with self._lock:
            self._plan = plan
            seed = (plan.seed if plan else 0) * 1_000 + self.salt
            self._rng = random.Random(seed)  # noqa: S311 - not crypto
            self._burst_left, self._burst_kind = 0, None
            self._turn = self._rng.randrange(len(ALL_KINDS))

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 503,
        path: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answers the next `count` requests whose path and query contain `path` with `status`."""
        if status not in self.statuses:
            allowed = ", ".join(str(s) for s in sorted(self.statuses))
            raise ValueError(f"cannot inject status {status}: use one of {allowed}")
        if count > 0:
            with self._lock:
                self._on_cue.append(_OnCue(status, count, path, retry_after))

    @property
    def pending(self) -> int:
        """Requests still to be failed on cue."""
        with self._lock:
            return sum(fault.remaining for fault in self._on_cue)

    def clear(self) -> None:
        """No faults any more: the plan and what was on cue are dropped (the counts stay)."""
        with self._lock:
            self._on_cue.clear()
        self.set_plan(None)

    def injected(self) -> dict[str, int]:
        """Faults injected so far, by kind."""
        with self._lock:
            return {str(kind): count for kind, count in self._injected.items()}

    def decide(self, target: str) -> Fault | None:
        """The fault for a request to `target` (its path and query), or None to serve it."""
        with self._lock:
            fault = self._take_on_cue(target) or self._draw()
            if fault is not None:
                self._injected[fault.kind] += 1
            return fault

    def _take_on_cue(self, target: str) -> Fault | None:
        for cue in self._on_cue:
            if cue.path is None or cue.path in target:
                cue.remaining -= 1
                if cue.remaining <= 0:
                    self._on_cue.remove(cue)
                kind: FaultKind = "rate_limit" if cue.status == 429 else "server_error"
                return Fault(kind, cue.status, cue.retry_after)
        return None

    def _draw(self) -> Fault | None:
        plan = self._plan
        if plan is None:
            return None
        if self._burst_left > 0 and self._burst_kind is not None:
            self._burst_left -= 1
            return self._fault(self._burst_kind, plan)
        kinds = [kind for kind in plan.kinds if kind in self.kinds]
        if not kinds or self._rng.random() >= plan.rate:
            return None
        kind = kinds[self._turn % len(kinds)]
        self._turn += 1
        if kind in ("rate_limit", "rate_limit_bare"):
            self._burst_left = self._rng.randint(*plan.burst) - 1
            self._burst_kind = kind
        return self._fault(kind, plan)

    def _fault(self, kind: FaultKind, plan: FaultPlan) -> Fault:
        if kind == "server_error":
            return Fault(kind, self._rng.choice(SERVER_ERROR_STATUSES))
        if kind == "rate_limit":
            return Fault(kind, 429, plan.retry_after_s)
        if kind == "rate_limit_bare":
            return Fault(kind, 429)
        if kind in ("latency", "slow_answer"):
            return Fault(kind, delay_s=self._rng.uniform(*plan.latency_s))
        if kind == "timeout":
            return Fault(kind, delay_s=plan.hang_s)
        return Fault(kind)
