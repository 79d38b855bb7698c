"""The Salesforce sandbox's REST API as an ASGI app (Starlette), in the shapes simple-salesforce
expects.

- `POST /services/oauth2/token` (`auth`);
- everything under `/services/data/vNN.N/` (`routes`) needs `Authorization: Bearer <token>`;
  unknown or expired tokens get 401 `INVALID_SESSION_ID`; past the daily limit (`limits`) calls
  get 403 `REQUEST_LIMIT_EXCEEDED`;
- errors are Salesforce's JSON lists (`errors`); every answer carries `Sforce-Limit-Info:
  api-usage=N/M`;
- faults (`app.state.faults`, the data API's `FaultInjector`): random, or on cue 500
  `UNKNOWN_EXCEPTION` or 502/503/504 `SERVER_UNAVAILABLE`, before authentication and not
  counted against the limit. `SalesforceState.locked` makes updates of those records fail
  with `UNABLE_TO_LOCK_ROW`.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_sandbox.core.fault_middleware import FaultMiddleware
from crm_sandbox.core.faults import SALESFORCE_KINDS, FaultInjector, FaultPlan
from crm_sandbox.salesforce.auth import SalesforceAuth, token_endpoint
from crm_sandbox.salesforce.calls import DEFAULT_PAGE_SIZE, DataApi, DataCall, Reply
from crm_sandbox.salesforce.errors import (
    SERVER_ERRORS,
    SalesforceError,
    error_list,
    not_found,
    render_fault,
)
from crm_sandbox.salesforce.limits import ApiUsage
from crm_sandbox.salesforce.routes import find_route
from crm_sandbox.salesforce.state import SalesforceState

_METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"]


def create_salesforce_app(
    state: SalesforceState,
    *,
    auth: SalesforceAuth,
    daily_limit: int = 15_000,
    page_size: int = DEFAULT_PAGE_SIZE,
    fault_plan: FaultPlan | None = None,
) -> Starlette:
    """The app; `app.state.auth`, `app.state.usage`, `app.state.faults` (the data API's
    `FaultInjector`; `fault_plan`: random faults from the start) and `app.state.salesforce`
    are live."""
    api = DataApi(state, ApiUsage(daily_limit=daily_limit), page_size)
    faults = FaultInjector(SALESFORCE_KINDS, statuses=SERVER_ERRORS, salt=1)
    faults.set_plan(fault_plan)

    def answer(reply: Reply) -> Response:
        headers = {"Sforce-Limit-Info": api.usage.header()}
        if reply.status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(reply.body, status_code=reply.status, headers=headers)

    def fail(error: SalesforceError) -> Response:
        return answer(Reply(error_list(error), error.status))

    async def data(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or not auth.valid(header[7:]):
            return fail(
                SalesforceError("INVALID_SESSION_ID", "Session expired or invalid", status=401)
            )
        if not api.usage.count():
            return fail(
                SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            )
        try:
            return answer(await _dispatch(api, request))
        except SalesforceError as error:
            return fail(error)

    async def writes(request: Request) -> Response:
        """The sandbox's own (no token, loopback only): updates per record id since the start
        or the last reset, as the HubSpot port's `GET /_sandbox/writes` (crm_sandbox.control)."""
        del request
        return JSONResponse(state.update_counts())

    async def unknown(request: Request) -> Response:
        del request
        return fail(not_found())

    app = Starlette(
        routes=[
            Route(
                "/services/oauth2/token", token_endpoint(auth, state, api.usage), methods=["POST"]
            ),
            Route("/services/data/{version}/{rest:path}", data, methods=_METHODS),
            Route("/_sandbox/writes", writes, methods=["GET"]),
            Route("/{rest:path}", unknown, methods=_METHODS),
        ],
        middleware=[
            Middleware(
                FaultMiddleware,
                faults=faults,
                applies=lambda path: path.startswith("/services/data/"),
                render=render_fault,
                expire_sessions=auth.expire_all,
            )
        ],
    )
    app.state.auth = auth
    app.state.usage = api.usage
    app.state.faults = faults
    app.state.salesforce = state
    return app


async def _dispatch(api: DataApi, request: Request) -> Reply:
    found = find_route(request.method, request.path_params["rest"])
    if found is None:
        raise not_found()
    handler, params = found
    call = DataCall(request, request.path_params["version"], params)
    if "sobject" in params:
        object_name = api.state.resolve_object(params["sobject"])
        if object_name is None:
            raise not_found()
        call.object_name = object_name
    return await handler(api, call)
