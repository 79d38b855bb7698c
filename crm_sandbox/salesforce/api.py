"""The Salesforce sandbox's REST API (Starlette), in the shapes simple-salesforce expects.

- `POST /services/oauth2/token`: `client_credentials` (id/secret in the form or HTTP Basic) and
  JWT bearer (`assertion`: an RS256-shaped JWT whose `iss` is the client id, `aud` one of
  login/test.salesforce.com or the instance URL, `exp` in the future and at most 5 min ahead).
  **The JWT signature is not verified**: the sandbox checks structure and claims only.
- Everything under `/services/data/vNN.N/` needs `Authorization: Bearer <token>`; unknown or
  expired tokens (`token_ttl_s`, or `SalesforceAuth.expire_all()`) get 401
  `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`.
- `query/?q=`, `queryAll/?q=` (deleted rows too), paging by `nextRecordsUrl`
  (`/services/data/v59.0/query/01g...-2000`; `Sforce-Query-Options: batchSize=N`, 200-2000);
  `sobjects/{Obj}/describe`; `sobjects/{Obj}/` POST (201);
  `sobjects/{Obj}/{id}` GET, PATCH (204), DELETE (204);
  `composite/sobjects` PATCH (≤200 records, `allOrNone`); `limits/`;
  `tooling/sobjects/CustomField` POST.
- Errors are Salesforce's JSON lists; every response carries `Sforce-Limit-Info:
  api-usage=N/M`; past `daily_limit` calls → 403 `REQUEST_LIMIT_EXCEEDED`.
- `batchSize` is a hint, as in Salesforce: a page holds at most the requested size and at most
  the server's `page_size`.
- Faults (`app.state.faults`, the data API's `FaultInjector`): random, or on cue the next
  data-API requests answered 500 `UNKNOWN_EXCEPTION` or 502/503/504 `SERVER_UNAVAILABLE`, before
  authentication and not counted against the limit; `SalesforceState.locked` makes updates of
  those records fail with `UNABLE_TO_LOCK_ROW`.
- Lead assignment rules (`SalesforceState.assignment_rules`, keyed on `ICP_Tier__c`) run on a
  single-record Lead PATCH or POST unless `Sforce-Auto-Assign: FALSE`; `composite/sobjects` does not
  run them (Salesforce leaves that undocumented).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crm_sandbox.core.fault_middleware import FaultMiddleware
from crm_sandbox.core.faults import SALESFORCE_KINDS, FaultInjector, FaultPlan
from crm_sandbox.salesforce.errors import SERVER_ERRORS, SalesforceError, error_list, render_fault
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.metadata import FieldDef, describe
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.state import SalesforceState
from crm_sandbox.salesforce.values import sf_datetime

JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_JWT_AHEAD_S = 300
DEFAULT_PAGE_SIZE = 2000
COLLECTION_LIMIT = 200
_ORG_ID = make_id("00D", 1)


@dataclass
class SalesforceAuth:
    """Issued tokens and their expiry (monotonic seconds). `expire_all()` forces re-auth."""

    client_id: str
    client_secret: str
    token_ttl_s: float = 7200.0
    instance_url: str = ""
    tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue(self) -> str:
        token = f"{_ORG_ID[:15]}!AQ0{secrets.token_urlsafe(32)}"
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_s
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expires = self.tokens.get(token)
            return expires is not None and time.monotonic() < expires

    def expire_all(self) -> None:
        with self._lock:
            self.tokens.clear()


@dataclass
class ApiUsage:
    """The org's daily API request counter (`Sforce-Limit-Info`)."""

    daily_limit: int = 15_000
    used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self) -> bool:
        """Counts one call; False if the daily limit was already reached."""
        with self._lock:
            if self.used >= self.daily_limit:
                return False
            self.used += 1
            return True

    def header(self) -> str:
        with self._lock:
            return f"api-usage={self.used}/{self.daily_limit}"


def _render(record: dict[str, Any], fields: list[str] | tuple[str, ...], object_name: str,
            version: str, schema: dict[str, FieldDef]) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {
        "attributes": {
            "type": object_name,
            "url": f"/services/data/{version}/sobjects/{object_name}/{record['Id']}",
        }
    }
    for name in fields:
        value = record.get(name)
        if value is not None and schema[name].type == "datetime":
            value = sf_datetime(int(value))
        out[name] = value
    return out


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
    usage = ApiUsage(daily_limit=daily_limit)
    faults = FaultInjector(SALESFORCE_KINDS, statuses=SERVER_ERRORS, salt=1)
    faults.set_plan(fault_plan)
    locators: dict[str, tuple[list[dict[str, Any]], int]] = {}
    locator_lock = threading.Lock()
    locator_counter = [0]

    def respond(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        all_headers = {"Sforce-Limit-Info": usage.header(), **(headers or {})}
        if status == 204:
            return Response(status_code=204, headers=all_headers)
        return JSONResponse(content, status_code=status, headers=all_headers)

    def fail(error: SalesforceError) -> Response:
        return respond(error_list(error), error.status)

    # --- OAuth ----------------------------------------------------------------------------

    async def token(request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = request.headers.get("authorization", "")
            if basic.lower().startswith("basic "):
                try:
                    decoded = base64.b64decode(basic[6:], validate=True).decode()
                    client_id, _, client_secret = decoded.partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    client_id = None
            if client_id != auth.client_id or client_secret != auth.client_secret:
                return _oauth_error("invalid_client", "invalid client credentials")
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            problem = _check_jwt(form.get("assertion", ""), auth)
            if problem:
                return _oauth_error("invalid_grant", problem)
        else:
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        access_token = auth.issue()
        user_id = state.integration_user_id
        return JSONResponse(
            {
                "access_token": access_token,
                "instance_url": auth.instance_url,
                "id": f"https://login.salesforce.com/id/{state.org_id}/{user_id}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
                "scope": "api",
            },
            headers={"Sforce-Limit-Info": usage.header()},
        )

    def _oauth_error(code: str, description: str) -> Response:
        return JSONResponse(
            {"error": code, "error_description": description},
            status_code=400,
            headers={"Sforce-Limit-Info": usage.header()},
        )

    # --- data API -------------------------------------------------------------------------

    async def data(request: Request) -> Response:
        version = request.path_params["version"]
        rest = request.path_params["rest"].strip("/")
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or not auth.valid(header[7:]):
            return fail(
                SalesforceError("INVALID_SESSION_ID", "Session expired or invalid", status=401)
            )
        if not usage.count():
            return fail(
                SalesforceError(
                    "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", status=403
                )
            )
        try:
            return await route(request, version, rest.split("/"))
        except SalesforceError as error:
            return fail(error)

    async def route(request: Request, version: str, parts: list[str]) -> Response:
        method = request.method
        head = parts[0]
        if head in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return next_page(version, parts[1])
            return run_query(request, version, include_deleted=head == "queryAll")
        if head == "limits" and method == "GET":
            with_usage = {"Max": usage.daily_limit, "Remaining": usage.daily_limit - usage.used}
            return respond({"DailyApiRequests": with_usage})
        if head == "sobjects" and len(parts) >= 2:
            object_name = state.resolve_object(parts[1])
            if object_name is None:
                raise SalesforceError(
                    "NOT_FOUND", "The requested resource does not exist", status=404
                )
            if len(parts) == 3 and parts[2] == "describe" and method == "GET":
                return respond(describe(object_name, state.fields(object_name)))
            if len(parts) == 3:
                return await record_call(request, version, object_name, parts[2])
            if len(parts) == 2 and method == "POST":
                values = await _json_object(request)
                values.pop("attributes", None)
                created = state.create(object_name, values, auto_assign=_auto_assign(request))
                return respond({"id": created["Id"], "success": True, "errors": []}, 201)
        if parts == ["composite", "sobjects"] and method == "PATCH":
            return await collection_update(request)
        if parts == ["tooling", "sobjects", "CustomField"] and method == "POST":
            return await create_custom_field(request)
        raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)

    def run_query(request: Request, version: str, *, include_deleted: bool) -> Response:
        text = request.query_params.get("q")
        if not text:
            raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")

        def schemas(name: str) -> tuple[str, dict[str, FieldDef]] | None:
            object_name = state.resolve_object(name)
            return None if object_name is None else (object_name, state.fields(object_name))

        query = parse(text, schemas)
        schema = state.fields(query.object_name)
        rows = query.run(state.snapshot(query.object_name, include_deleted=include_deleted))
        rendered = [_render(r, query.fields, query.object_name, version, schema) for r in rows]
        size = min(_batch_size(request.headers.get("sforce-query-options", ""), page_size),
                   page_size)  # fmt: skip
        if len(rendered) <= size:
            return respond({"totalSize": len(rendered), "done": True, "records": rendered})
        with locator_lock:
            locator_counter[0] += 1
            locator = make_id("01g", locator_counter[0])
            locators[locator] = (rendered, size)
        return page(version, locator, 0)

    def page(version: str, locator: str, offset: int) -> Response:
        rendered, size = locators[locator]
        chunk = rendered[offset : offset + size]
        body: dict[str, Any] = {"totalSize": len(rendered), "done": offset + size >= len(rendered)}
        if not body["done"]:
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + size}"
        body["records"] = chunk
        return respond(body)

    def next_page(version: str, cursor: str) -> Response:
        locator, _, offset_text = cursor.rpartition("-")
        with locator_lock:
            known = locator in locators
        if not known or not offset_text.isdigit() or int(offset_text) >= len(locators[locator][0]):
            raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return page(version, locator, int(offset_text))

    async def record_call(
        request: Request, version: str, object_name: str, record_id: str
    ) -> Response:
        if request.method == "GET":
            record = state.get(object_name, record_id)
            if record["IsDeleted"]:
                raise SalesforceError(
                    "NOT_FOUND", "The requested resource does not exist", status=404
                )
            schema = state.fields(object_name)
            fields = request.query_params.get("fields")
            names = [f.strip() for f in fields.split(",")] if fields else list(schema)
            unknown = [n for n in names if n not in schema]
            if unknown:
                raise SalesforceError(
                    "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type "
                    f"{object_name}"
                )  # fmt: skip
            return respond(_render(record, names, object_name, version, schema))
        if request.method == "PATCH":
            values = await _json_object(request)
            state.update(object_name, record_id, values, auto_assign=_auto_assign(request))
            return respond(None, 204)
        if request.method == "DELETE":
            state.delete(object_name, record_id)
            return respond(None, 204)
        raise SalesforceError(
            "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed", status=405
        )

    async def collection_update(request: Request) -> Response:
        body = await _json_object(request)
        records = body.get("records")
        if not isinstance(records, list):
            raise SalesforceError("JSON_PARSER_ERROR", "records must be a list of sObjects")
        if len(records) > COLLECTION_LIMIT:
            raise SalesforceError(
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more than 200 records into this call",
            )
        all_or_none = body.get("allOrNone") is True
        planned: list[tuple[str, str, dict[str, Any]] | SalesforceError] = []
        for item in records:
            try:
                planned.append(_plan(item))
            except SalesforceError as error:
                planned.append(error)
        if all_or_none and any(isinstance(p, SalesforceError) for p in planned):
            rolled_back = SalesforceError(
                "ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all "
                "records were valid and the request was using AllOrNone header"
            )  # fmt: skip
            return respond(
                [
                    _result(None, p if isinstance(p, SalesforceError) else rolled_back)
                    for p in planned
                ]
            )
        results: list[dict[str, Any]] = []
        # Whether Salesforce runs lead assignment on collection updates is not documented; the
        # sandbox assumes the worst for routine writes: like a single PATCH, an absent header
        # means TRUE, so a client that forgets `Sforce-Auto-Assign: FALSE` sees owners churn.
        auto_assign = _auto_assign(request)
        for plan in planned:
            if isinstance(plan, SalesforceError):
                results.append(_result(None, plan))
                continue
            object_name, record_id, values = plan
            try:
                updated = state.update(object_name, record_id, values, auto_assign=auto_assign)
                results.append(_result(str(updated["Id"]), None))
            except SalesforceError as error:
                results.append(_result(None, error))
        return respond(results)

    def _plan(item: Any) -> tuple[str, str, dict[str, Any]]:
        if not isinstance(item, dict):
            raise SalesforceError("JSON_PARSER_ERROR", "each record must be an object")
        attributes = item.get("attributes")
        type_name = attributes.get("type") if isinstance(attributes, dict) else None
        object_name = state.resolve_object(type_name) if isinstance(type_name, str) else None
        if object_name is None:
            raise SalesforceError("INVALID_TYPE", f"sObject type '{type_name}' is not supported")
        record_id = item.get("id", item.get("Id"))
        if not isinstance(record_id, str):
            raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
        values = {k: v for k, v in item.items() if k not in ("attributes", "id", "Id")}
        state.check_update(object_name, record_id, values)
        return object_name, record_id, values

    async def create_custom_field(request: Request) -> Response:
        body = await _json_object(request)
        full_name = body.get("FullName")
        metadata = body.get("Metadata")
        if not isinstance(full_name, str) or "." not in full_name or not isinstance(metadata, dict):
            raise SalesforceError("INVALID_INPUT", "FullName (Object.Field__c) and Metadata "
                                  "are required")  # fmt: skip
        object_name, _, field_name = full_name.partition(".")
        resolved = state.resolve_object(object_name)
        if resolved is None:
            raise SalesforceError("INVALID_TYPE", f"sObject type '{object_name}' is not supported")
        kind = str(metadata.get("type", "Text"))
        type_map = {"Number": "double", "Text": "string", "Checkbox": "boolean",
                    "Picklist": "picklist", "DateTime": "datetime", "Date": "date",
                    "LongTextArea": "textarea", "MultiselectPicklist": "multipicklist"}  # fmt: skip
        if kind not in type_map:
            raise SalesforceError("INVALID_INPUT", f"unsupported field type {kind}")
        values: tuple[str, ...] = ()
        restricted = False
        value_set = metadata.get("valueSet")
        if isinstance(value_set, dict):
            restricted = value_set.get("restricted") is True
            definition = value_set.get("valueSetDefinition") or {}
            values = tuple(str(v.get("fullName")) for v in definition.get("value", []))
        default_length = {"MultiselectPicklist": 4099, "LongTextArea": 32_768}.get(kind, 255)
        try:
            length = int(metadata.get("length", default_length))
        except (TypeError, ValueError):
            raise SalesforceError("INVALID_INPUT", "length must be a number") from None
        new_id = state.add_custom_field(
            resolved,
            FieldDef(
                field_name,
                type_map[kind],
                str(metadata.get("label", field_name)),
                custom=True,
                nillable=kind != "Checkbox",  # a checkbox is never null
                length=length,
                picklist=values,
                restricted=restricted,
            ),
        )
        return respond({"id": new_id, "success": True, "errors": []}, 201)

    async def not_found(request: Request) -> Response:
        del request
        return fail(
            SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        )

    app = Starlette(
        routes=[
            Route("/services/oauth2/token", token, methods=["POST"]),
            Route(
                "/services/data/{version}/{rest:path}",
                data,
                methods=["GET", "POST", "PATCH", "DELETE", "PUT"],
            ),
            Route("/{rest:path}", not_found, methods=["GET", "POST", "PATCH", "DELETE", "PUT"]),
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
    app.state.usage = usage
    app.state.faults = faults
    app.state.salesforce = state
    return app


def _auto_assign(request: Request) -> bool:
    """`Sforce-Auto-Assign`: absent or anything but FALSE runs the active rule."""
    return request.headers.get("sforce-auto-assign", "TRUE").strip().upper() != "FALSE"


def _result(record_id: str | None, error: SalesforceError | None) -> dict[str, Any]:
    if error is None:
        return {"id": record_id, "success": True, "errors": []}
    return {
        "success": False,
        "errors": [
            {"statusCode": error.code, "message": error.message, "fields": list(error.fields)}
        ],
    }


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise SalesforceError("JSON_PARSER_ERROR", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SalesforceError("JSON_PARSER_ERROR", "Expected a JSON object")
    return body


def _batch_size(options: str, default: int) -> int:
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(200, min(2000, int(value)))
    return default


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


def _check_jwt(assertion: str, auth: SalesforceAuth) -> str | None:
    """What is wrong with a JWT bearer assertion, or None. Signature not verified."""
    parts = assertion.split(".")
    if len(parts) != 3 or not all(parts):
        return "invalid assertion"
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return "invalid assertion"
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        return "invalid assertion: alg must be RS256"
    if not isinstance(claims, dict):
        return "invalid assertion"
    if claims.get("iss") != auth.client_id:
        return "invalid client identifier"
    audiences = (*JWT_AUDIENCES, auth.instance_url)
    if claims.get("aud") not in audiences:
        return "audience is invalid"
    if not claims.get("sub"):
        return "user hasn't approved this consumer"
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return "expired authorization code"
    if exp > now + MAX_JWT_AHEAD_S:
        return "invalid assertion: exp too far in the future"
    return None
