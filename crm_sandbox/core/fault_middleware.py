"""The wire side of `crm_sandbox.core.faults`: an ASGI middleware that asks a CRM API's
`FaultInjector` about each request and delays, holds back, drops or answers it accordingly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from crm_sandbox.core.faults import ErrorAnswer, ErrorRenderer, FaultInjector

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DroppedConnection(Exception):
    """Raised after the status line so the server closes the connection mid-answer."""


class _QuietDrops(logging.Filter):
    """uvicorn logs an ASGI app's exception with its traceback; a deliberate drop is no news."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, DroppedConnection)


_quiet_drops = _QuietDrops()


class FaultMiddleware:
    """ASGI middleware applying a `FaultInjector` to the requests `applies(path)` selects.

    `render` gives the CRM's answer to `server_error` and the 429 kinds; `expire_sessions()`
    revokes the access tokens (Salesforce); `on_answer(scope, status)` is told of every error
    answered instead of the CRM (HubSpot counts them in its API stats)."""

    def __init__(
        self,
        app: AsgiApp,
        faults: FaultInjector,
        *,
        applies: Callable[[str], bool],
        render: ErrorRenderer,
        expire_sessions: Callable[[], None] | None = None,
        on_answer: Callable[[Scope, int], None] | None = None,
    ) -> None:
        self.app = app
        self.faults = faults
        self.applies = applies
        self.render = render
        self.expire_sessions = expire_sessions
        self.on_answer = on_answer
        logging.getLogger("uvicorn.error").addFilter(_quiet_drops)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not self.applies(path):
            await self.app(scope, receive, send)
            return
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        fault = self.faults.decide(path + (f"?{query}" if query else ""))
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "latency":
            await asyncio.sleep(fault.delay_s)
            await self.app(scope, receive, send)
        elif fault.kind == "slow_answer":
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)
            await asyncio.sleep(fault.delay_s)
            for message in held:
                await send(message)
        elif fault.kind == "expired_session":
            if self.expire_sessions is not None:
                self.expire_sessions()
            await self.app(scope, receive, send)
        elif fault.kind in ("dropped", "timeout"):
            await asyncio.sleep(fault.delay_s)
            headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            raise DroppedConnection(fault.kind)
        else:
            answer = self.render(fault)
            if self.on_answer is not None:
                self.on_answer(scope, answer.status)
            await _send_answer(send, answer)


async def _send_answer(send: Send, answer: ErrorAnswer) -> None:
    headers = [(k.lower().encode(), v.encode()) for k, v in answer.headers.items()]
    if not any(name == b"content-type" for name, _ in headers):
        headers.append((b"content-type", b"application/json"))
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
