"""The HubSpot sandbox's HTTP API as an ASGI app: CRM v3 objects (contacts, companies, deals),
search, properties and v4 associations (`routes`), close enough that `hubspot-api-client`
works against it unchanged but for the host.

Every route checks the bearer token, then the rate limits, then the token's scopes, then
answers with HubSpot's status codes (the client picks its response model by the exact status:
200, 201, 207) and JSON shapes; every error is HubSpot's error JSON with a `correlationId`,
never a traceback.

Limits and scopes by default are a Professional-tier private app's (`limits`, `scopes`):
190 requests per rolling 10 s and 625,000 a day per token, search 5 per second; the token
carries icp-sync's scopes (read and write on companies, deals, contacts and their property
schemas), and a call outside them is answered 403 `MISSING_SCOPES`.
`POST /oauth/v2/private-apps/get/access-token-info` says what the token is and may do
(`responses.token_info`).

Contacts are served like companies and deals, with their own rules (`contacts`). Faults
(`app.state.faults`, `crm_sandbox.core.faults`) come before all of it, on every `/crm/` path.

Choices where hubspot.md is unconfirmed or conflicting:
- list `limit` above 100 → 400 (not silently capped); requested-but-empty properties → null;
- batch update with unknown or archived ids → 207 with one `OBJECT_NOT_FOUND` error whose
  `context.ids` lists them, the other inputs written (`batch_update_missing="errors"`); with
  `"ignore"` they are left out silently (207 with no errors when any was missing);
- a bad value anywhere in a batch update or create fails the whole batch with 400 (batch
  create accepts partial success only when every input has a distinct `objectWriteTraceId`);
- search `limit` up to 200, filter caps 5 groups of 10 filters, 25 in all; `paging.next.after`
  may say "10000", which then fails with 400, as HubSpot does;
- search reads an index that trails every change by a lag (`search_index`, default 3 s):
  until then a changed record is found with its old values, a new one not at all, while reads
  by id, list and batch read are immediate; equal sort values come in a scrambled but stable
  order, not by id;
- 429s carry `Retry-After` (seconds) unless switched off; search answers carry no
  `X-HubSpot-RateLimit-*` headers, every other authenticated answer (errors and 429s too)
  does; with no burst limit (`rate_limit=None`) the burst headers are left out;
- v4 association reads of an unknown record answer 200 with no results; v4 batch reads report
  ids without associations as `NO_ASSOCIATIONS_FOUND` errors (207);
- `propertiesWithHistory` is accepted and ignored; archiving an unknown id answers 204.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from crm_sandbox.core.fault_middleware import FaultMiddleware, Scope
from crm_sandbox.core.faults import HUBSPOT_KINDS, FaultInjector, FaultPlan
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.calls import BatchUpdateMissing, Call, HubSpotApi
from crm_sandbox.hubspot.errors import (
    JSON_MEDIA_TYPE,
    HubSpotApiError,
    JsonObject,
    correlation_id,
    validation_error,
)
from crm_sandbox.hubspot.faults import FAULT_STATUSES, fault_renderer
from crm_sandbox.hubspot.limits import DAILY_LIMIT, RATE_LIMIT, RateLimiter
from crm_sandbox.hubspot.records import OBJECT_TYPE_ALIASES
from crm_sandbox.hubspot.responses.token_info import TOKEN_INFO_PATH, PrivateApp, token_info
from crm_sandbox.hubspot.routes import ROUTES, HubSpotRoute
from crm_sandbox.hubspot.scopes import check_scopes, parse_scopes, required_scopes

logger = logging.getLogger(__name__)


def create_hubspot_app(
    state: HubSpotBackend,
    *,
    token: str,
    rate_limit: int | None = RATE_LIMIT,
    daily_limit: int | None = DAILY_LIMIT,
    search_rate_limit: int | None = 5,
    retry_after: bool = True,
    batch_update_missing: BatchUpdateMissing = "errors",
    fault_plan: FaultPlan | None = None,
    scopes: Iterable[str] | None = None,
    hub_id: int = 2_100_001,
) -> Starlette:
    """The sandbox as an ASGI app. `rate_limit`: requests per rolling 10 s per token (None:
    unlimited); `search_rate_limit`: search requests per second; `retry_after`: send
    `Retry-After` on 429s; `fault_plan`: random faults from the start; `scopes`: the token's
    (None: `scopes.DEFAULT_SCOPES`); `hub_id`: the account's id. `app.state.limiter` is the
    `RateLimiter`, `app.state.faults` the `FaultInjector` and `app.state.private_app` the
    `PrivateApp` (its `scopes` may be replaced): all switchable at runtime."""
    limiter = RateLimiter(
        burst=rate_limit,
        daily=daily_limit,
        search_per_second=search_rate_limit,
        retry_after=retry_after,
    )
    api = HubSpotApi(state, batch_update_missing)
    private_app = PrivateApp(token, parse_scopes(scopes), hub_id)
    routes = [
        Route(
            route.path,
            _endpoint(api, limiter, private_app, route),
            methods=[route.method],
        )
        for route in ROUTES
    ]
    routes.append(Route(TOKEN_INFO_PATH, _token_info(private_app), methods=["POST"]))
    faults = FaultInjector(HUBSPOT_KINDS, statuses=FAULT_STATUSES)
    faults.set_plan(fault_plan)

    def count_fault(scope: Scope, status: int) -> None:
        state.stats.record(_matched_route_name(routes, scope), status, fault=True)

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_exception},
        middleware=[
            Middleware(
                FaultMiddleware,
                faults=faults,
                applies=lambda path: path.startswith("/crm/"),
                render=fault_renderer(limiter, token),
                on_answer=count_fault,
            )
        ],
    )
    app.state.limiter = limiter
    app.state.faults = faults
    app.state.private_app = private_app
    app.state.hubspot = state
    return app


def _endpoint(
    api: HubSpotApi,
    limiter: RateLimiter,
    private_app: PrivateApp,
    route: HubSpotRoute,
) -> Callable[[Request], Awaitable[Response]]:
    """The request pipeline of one route: token, rate limits, scopes, JSON body, the handler
    under the backend's lock, HubSpot's answer (every error in its JSON, never a traceback),
    stats."""
    token = private_app.token
    expected = f"Bearer {token}"
    method, handler = route.method, route.handler

    async def endpoint(request: Request) -> Response:
        correlation = correlation_id()
        name = _route_name(method, route.path, request.path_params)
        headers: dict[str, str] = {}
        try:
            authorization = request.headers.get("authorization")
            if authorization != expected:
                raise _unauthorized(authorization)
            headers = limiter.admit(token, search=route.search)
            check_scopes(private_app.scopes, required_scopes(route.scopes, request.path_params))
            call = Call(
                path=request.path_params,
                query=request.query_params,
                url=f"{request.base_url}".rstrip("/") + request.url.path,
            )
            if method in ("POST", "PATCH", "PUT"):
                raw = await request.body()
                call.body_chars = len(raw)
                call.body = _parse_json(raw)
            with api.backend.lock:
                reply = handler(api, call)
            reply.headers.update(headers)
            response = _response(reply.status, reply.body, correlation, reply.headers)
        except HubSpotApiError as error:
            headers.update(error.headers)
            response = _response(error.status, error.body(correlation), correlation, headers)
        except Exception:  # a sandbox bug: answer like HubSpot would, and say so in the log
            logger.exception("HubSpot sandbox: %s %s failed", method, request.url.path)
            internal = HubSpotApiError(500, "internal error", "INTERNAL_ERROR")
            response = _response(500, internal.body(correlation), correlation, headers)
        api.backend.stats.record(name, response.status_code)
        return response

    return endpoint


def _token_info(private_app: PrivateApp) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        correlation = correlation_id()
        try:
            body = token_info(private_app, _parse_json(await request.body()))
        except HubSpotApiError as error:
            return _response(error.status, error.body(correlation), correlation, error.headers)
        return _response(200, body, correlation, {})

    return endpoint


def _route_name(method: str, template: str, params: Mapping[str, Any]) -> str:
    name = template
    for key in ("objectType", "toObjectType"):
        given = str(params.get(key, ""))
        value = OBJECT_TYPE_ALIASES.get(given)
        if value is not None:
            name = name.replace("{" + key + "}", value)
    return f"{method} {name}"


def _matched_route_name(routes: Sequence[Route], scope: Scope) -> str:
    """The stats name of the route a request was meant for (its path if none matches)."""
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            return _route_name(str(scope["method"]), route.path, child.get("path_params", {}))
    return f"{scope['method']} {scope['path']}"


def _response(
    status: int, body: JsonObject | None, correlation: str, headers: Mapping[str, str]
) -> Response:
    all_headers = {"X-HubSpot-Correlation-Id": correlation, **headers}
    if body is None:
        return Response(status_code=status, headers=all_headers)
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=all_headers, media_type=JSON_MEDIA_TYPE)


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no such route) in HubSpot's shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = (
        f"No route for {request.method} {request.url.path}"
        if status in (404, 405)
        else "internal error"
    )
    category = "OBJECT_NOT_FOUND" if status == 404 else "VALIDATION_ERROR"
    correlation = correlation_id()
    body = HubSpotApiError(status, message, category).body(correlation)
    return _response(status, body, correlation, {})


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise validation_error("Invalid input JSON: the body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise validation_error(
            f"Invalid input JSON on line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None


def _unauthorized(authorization: str | None) -> HubSpotApiError:
    if not authorization:
        message = (
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview"
        )
    else:
        message = "The access token provided is invalid or has expired."
    return HubSpotApiError(401, message, "INVALID_AUTHENTICATION")
