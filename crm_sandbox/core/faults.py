"""Random faults on a sandbox CRM's API, switchable per run: what production throws at a client.

    start_sandbox(..., faults=FaultPlan(rate=0.2, seed=3))      # both CRMs, from the start
    sandbox.set_faults(FaultPlan(rate=0.2, kinds=("dropped",)))  # or switched while running
    sandbox.set_faults(None)                                     # and off again

Each API request is faulted with probability `rate`; the faults take `kinds` in turn (those the
CRM has: HubSpot private-app tokens do not expire, Salesforce REST answers no 429), so a run with
a few faults already has each kind:

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

The other faults are injected *before* the CRM handles the request: a faulted write never
lands, so a client that retries it writes each record once.
`Chaos.injected` counts what was injected, by kind. The RNG is seeded: a run is reproducible
given the same sequence of requests.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

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

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """What a CRM answers for an injected error: status, headers and a JSON body (bytes)."""

    status: int
    headers: dict[str, str]
    body: bytes


ErrorRenderer = Callable[[FaultKind, int, int], ErrorAnswer]
"""(kind, status, retry_after_s) → the CRM's answer for an injected error."""


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


@dataclass
class Chaos:
    """Decides, request by request, whether and how to fault; counts what it injected."""

    supported: frozenset[FaultKind]
    plan: FaultPlan | None = None
    injected: Counter[FaultKind] = field(default_factory=Counter)
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _burst_left: int = 0
    _burst_kind: FaultKind | None = None
    _turn: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set(self, plan: FaultPlan | None, *, salt: int = 0) -> None:
        """Switches to `plan` (None: no faults) and reseeds the RNG from it."""
        with self._lock:
            self.plan = plan
            self._rng = random.Random((plan.seed if plan else 0) * 1_000 + salt)  # noqa: S311 - not crypto
            self._burst_left, self._burst_kind = 0, None
            self._turn = self._rng.randrange(len(ALL_KINDS))

    def decide(self) -> FaultKind | None:
        with self._lock:
            plan = self.plan
            if plan is None:
                return None
            if self._burst_left > 0 and self._burst_kind is not None:
                self._burst_left -= 1
                return self._count(self._burst_kind)
            kinds = [kind for kind in plan.kinds if kind in self.supported]
            if not kinds or self._rng.random() >= plan.rate:
                return None
            kind = kinds[self._turn % len(kinds)]
            self._turn += 1
            if kind in ("rate_limit", "rate_limit_bare"):
                self._burst_left = self._rng.randint(*plan.burst) - 1
                self._burst_kind = kind
            return self._count(kind)

    def pick(self, choices: Iterable[int]) -> int:
        with self._lock:
            return self._rng.choice(list(choices))

    def latency(self) -> float:
        with self._lock:
            low, high = self.plan.latency_s if self.plan else (0.0, 0.0)
            return self._rng.uniform(low, high)

    def _count(self, kind: FaultKind) -> FaultKind:
        self.injected[kind] += 1
        return kind

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {str(kind): count for kind, count in self.injected.items()}


class DroppedConnection(Exception):
    """Raised after the status line so the server closes the connection mid-answer."""


class _QuietDrops(logging.Filter):
    """uvicorn logs an ASGI app's exception with its traceback; a deliberate drop is no news."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, DroppedConnection)


_quiet_drops = _QuietDrops()


class ChaosMiddleware:
    """ASGI middleware applying a `Chaos` to the requests `applies(path)` selects.

    `answer(kind, status, retry_after_s)` renders the CRM's error for `server_error` and the 429
    kinds; `expire_sessions()` revokes the access tokens (Salesforce)."""

    def __init__(
        self,
        app: AsgiApp,
        chaos: Chaos,
        *,
        applies: Callable[[str], bool],
        answer: ErrorRenderer,
        expire_sessions: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.chaos = chaos
        self.applies = applies
        self.answer = answer
        self.expire_sessions = expire_sessions
        logging.getLogger("uvicorn.error").addFilter(_quiet_drops)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        kind = self.chaos.decide()
        if kind is None:
            await self.app(scope, receive, send)
        elif kind == "latency":
            await asyncio.sleep(self.chaos.latency())
            await self.app(scope, receive, send)
        elif kind == "slow_answer":
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(self.chaos.latency())
            for message in held:
                await send(message)
        elif kind == "expired_session":
            if self.expire_sessions is not None:
                self.expire_sessions()
            await self.app(scope, receive, send)
        elif kind in ("dropped", "timeout"):
            if kind == "timeout":
                plan = self.chaos.plan
                await asyncio.sleep(plan.hang_s if plan else 0.0)
            headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            raise DroppedConnection(kind)
        else:
            status = self.chaos.pick(SERVER_ERROR_STATUSES) if kind == "server_error" else 429
            plan = self.chaos.plan
            retry_after = plan.retry_after_s if plan else 1
            await _send_answer(send, self.answer(kind, status, retry_after))


async def _send_answer(send: Send, answer: ErrorAnswer) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
