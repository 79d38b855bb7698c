"""What a data-API handler gets and gives: the call (`DataCall`), the org's API as it stands
(`DataApi`: the org, its usage counter, the query cursors) and the answer (`Reply`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.limits import ApiUsage
from crm_sandbox.salesforce.state import SalesforceState

DEFAULT_PAGE_SIZE = 2000


@dataclass(frozen=True, slots=True)
class Reply:
    """A data-API answer: a JSON body (None for 204) and its status."""

    body: Any = None
    status: int = 200


@dataclass(slots=True)
class DataCall:
    """One `/services/data/{version}/…` request: `params` are the route's `{names}`, and
    `object_name` the canonical name of its `{sobject}` (empty when the route has none)."""

    request: Request
    version: str
    params: dict[str, str]
    object_name: str = ""

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def auto_assign(self) -> bool:
        """`Sforce-Auto-Assign`: absent or anything but FALSE runs the active rule."""
        value = self.request.headers.get("sforce-auto-assign", "TRUE")
        return value.strip().upper() != "FALSE"

    async def json_object(self) -> dict[str, Any]:
        try:
            body = json.loads(await self.request.body())
        except (ValueError, UnicodeDecodeError):
            raise SalesforceError(
                "JSON_PARSER_ERROR", "The request body is not valid JSON"
            ) from None
        if not isinstance(body, dict):
            raise SalesforceError("JSON_PARSER_ERROR", "Expected a JSON object")
        return body


@dataclass
class QueryCursors:
    """Query results held for `nextRecordsUrl` paging: locator → (rendered records, page size)."""

    results: dict[str, tuple[list[dict[str, Any]], int]] = field(default_factory=dict)
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def keep(self, rendered: list[dict[str, Any]], size: int) -> str:
        with self._lock:
            self._count += 1
            locator = make_id("01g", self._count)
            self.results[locator] = (rendered, size)
            return locator

    def get(self, locator: str) -> tuple[list[dict[str, Any]], int] | None:
        with self._lock:
            return self.results.get(locator)


@dataclass
class DataApi:
    """The org behind the data API, with `page_size` the largest query page it answers."""

    state: SalesforceState
    usage: ApiUsage
    page_size: int = DEFAULT_PAGE_SIZE
    cursors: QueryCursors = field(default_factory=QueryCursors)


Handler = Callable[[DataApi, DataCall], Awaitable[Reply]]
