"""The HubSpot sandbox's HTTP API: CRM v3 objects, search, properties and v4 associations,
close enough that `hubspot-api-client` works against it unchanged but for the host.

Every route checks the bearer token, then the rate limits, then answers with HubSpot's status
codes (the client picks its response model by the exact status: 200, 201, 207) and JSON
shapes; every error is HubSpot's error JSON with a `correlationId`, never a traceback.

Contacts are minimal (`hubspot_contacts`): create (with company associations), read by id and
v4 association reads with companies; no list, search, batch, update or archive.

Choices where hubspot.md is unconfirmed or conflicting:
- list `limit` above 100 → 400 (not silently capped); requested-but-empty properties → null;
- batch update with unknown or archived ids → 207 with one `OBJECT_NOT_FOUND` error whose
  `context.ids` lists them, the other inputs written (`batch_update_missing="errors"`); with
  `"ignore"` they are left out silently (207 with no errors when any was missing);
- a bad value anywhere in a batch update or create fails the whole batch with 400 (batch
  create accepts partial success only when every input has a distinct `objectWriteTraceId`);
- search `limit` up to 200, filter caps 5 groups of 10 filters, 25 in all; `paging.next.after`
  may say "10000", which then fails with 400, as HubSpot does;
- 429s carry `Retry-After` (seconds) unless switched off; search answers carry no
  `X-HubSpot-RateLimit-*` headers; with no burst limit the burst headers are left out;
- v4 association reads of an unknown record answer 200 with no results; v4 batch reads report
  ids without associations as `NO_ASSOCIATIONS_FOUND` errors (207);
- `propertiesWithHistory` is accepted and ignored; archiving an unknown id answers 204.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from crm_sandbox.core.fault_middleware import FaultMiddleware, Scope
from crm_sandbox.core.faults import HUBSPOT_KINDS, FaultInjector, FaultPlan
from crm_sandbox.core.seed import iso_ms
from crm_sandbox.hubspot import contacts as contacts
from crm_sandbox.hubspot.errors import (
    JSON_MEDIA_TYPE,
    HubSpotApiError,
    JsonObject,
    PropertyValueError,
    correlation_id,
    not_found,
    property_values_error,
    validation_error,
)
from crm_sandbox.hubspot.faults import FAULT_STATUSES, fault_renderer
from crm_sandbox.hubspot.limits import RateLimiter
from crm_sandbox.hubspot.property_definitions import new_group, new_property, patch_property
from crm_sandbox.hubspot.records import (
    ALWAYS_RETURNED,
    DEFAULT_PROPERTIES,
    OBJECT_TYPE_ALIASES,
    SINGULAR,
    ObjectStore,
    ObjectType,
    StoredRecord,
)
from crm_sandbox.hubspot.search import (
    MAX_BODY_CHARS,
    compile_search,
    run_search,
)
from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.hubspot.values import InvalidValue, validate_value

logger = logging.getLogger(__name__)

MAX_BATCH_INPUTS = 100
MAX_ASSOCIATION_BATCH_INPUTS = 1_000
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10
MAX_ASSOCIATION_LIMIT = 500
BatchUpdateMissing = Literal["errors", "ignore"]
_REQUIRED_ON_CREATE: dict[ObjectType, tuple[tuple[str, ...], ...]] = {
    # any one property of each tuple must be given
    "companies": (("name", "domain"),),
    "deals": (("dealname",), ("dealstage",), ("pipeline",)),
}
_V3_TYPE_NAMES: dict[ObjectType, tuple[str, str]] = {  # (primary, unlabeled)
    "deals": ("deal_to_company", "deal_to_company_unlabeled"),
    "companies": ("company_to_deal", "company_to_deal_unlabeled"),
}
_V4_TYPE_IDS: dict[ObjectType, tuple[int, int]] = {  # (primary, unlabeled)
    "deals": (5, 341),
    "companies": (6, 342),
}


@dataclass(slots=True)
class Call:
    """One request as a handler sees it."""

    path: Mapping[str, str]
    query: QueryParams
    body: Any = None
    body_chars: int = 0
    url: str = ""  # scheme, host and path, without the query

    def link(self, **replace: str) -> str:
        """This request's URL with some query parameters replaced (for `paging.next.link`)."""
        pairs = [(k, v) for k, v in self.query.multi_items() if k not in replace]
        return f"{self.url}?{urlencode([*pairs, *replace.items()])}"


@dataclass(slots=True)
class Reply:
    status: int
    body: JsonObject | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


def create_hubspot_app(
    state: HubSpotState,
    *,
    token: str,
    rate_limit: int | None = None,
    daily_limit: int | None = 250_000,
    search_rate_limit: int | None = 5,
    retry_after: bool = True,
    batch_update_missing: BatchUpdateMissing = "errors",
    fault_plan: FaultPlan | None = None,
) -> Starlette:
    """The sandbox as an ASGI app. `rate_limit`: requests per rolling 10 s per token (None:
    unlimited); `search_rate_limit`: search requests per second; `retry_after`: send
    `Retry-After` on 429s; `fault_plan`: random faults from the start. `app.state.limiter` is
    the `RateLimiter` and `app.state.faults` the `FaultInjector` (both switchable at runtime)."""
    limiter = RateLimiter(
        burst=rate_limit,
        daily=daily_limit,
        search_per_second=search_rate_limit,
        retry_after=retry_after,
    )
    api = _Api(state, batch_update_missing)
    objects = "/crm/v3/objects/{objectType}"
    properties = "/crm/v3/properties/{objectType}"
    table: list[tuple[str, str, Handler, bool]] = [
        ("GET", objects, api.list_objects, False),
        ("POST", objects, api.create_object, False),
        ("POST", objects + "/search", api.search, True),
        ("POST", objects + "/batch/read", api.batch_read, False),
        ("POST", objects + "/batch/update", api.batch_update, False),
        ("POST", objects + "/batch/create", api.batch_create, False),
        ("POST", objects + "/batch/archive", api.batch_archive, False),
        ("GET", objects + "/{objectId}", api.get_object, False),
        ("PATCH", objects + "/{objectId}", api.update_object, False),
        ("DELETE", objects + "/{objectId}", api.archive_object, False),
        (
            "GET",
            "/crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}",
            api.v4_associations,
            False,
        ),
        (
            "PUT",
            "/crm/v4/objects/{objectType}/{objectId}/associations/default/{toObjectType}/{toObjectId}",
            api.v4_associate_default,
            False,
        ),
        (
            "POST",
            "/crm/v4/associations/{objectType}/{toObjectType}/batch/read",
            api.v4_batch_read,
            False,
        ),
        (
            "POST",
            "/crm/v3/associations/{objectType}/{toObjectType}/batch/read",
            api.v3_batch_read,
            False,
        ),
        ("GET", properties + "/groups", api.list_groups, False),
        ("POST", properties + "/groups", api.create_group, False),
        ("GET", properties + "/groups/{groupName}", api.get_group, False),
        ("PATCH", properties + "/groups/{groupName}", api.patch_group, False),
        ("GET", properties, api.list_properties, False),
        ("POST", properties, api.create_property, False),
        ("GET", properties + "/{propertyName}", api.get_property, False),
        ("PATCH", properties + "/{propertyName}", api.patch_property, False),
        ("DELETE", properties + "/{propertyName}", api.archive_property, False),
    ]
    routes = [
        Route(
            path,
            _endpoint(state, limiter, token, method, path, handler, search=search),
            methods=[method],
        )
        for method, path, handler, search in table
    ]
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
    app.state.hubspot = state
    return app


# --- the request pipeline --------------------------------------------------------------------


def _endpoint(
    state: HubSpotState,
    limiter: RateLimiter,
    token: str,
    method: str,
    template: str,
    handler: Handler,
    *,
    search: bool,
) -> Callable[[Request], Awaitable[Response]]:
    expected = f"Bearer {token}"

    async def endpoint(request: Request) -> Response:
        correlation = correlation_id()
        route = _route_name(method, template, request.path_params)
        headers: dict[str, str] = {}
        try:
            authorization = request.headers.get("authorization")
            if authorization != expected:
                raise _unauthorized(authorization)
            headers = limiter.admit(token, search=search)
            call = Call(
                path=request.path_params,
                query=request.query_params,
                url=f"{request.base_url}".rstrip("/") + request.url.path,
            )
            if method in ("POST", "PATCH", "PUT"):
                raw = await request.body()
                call.body_chars = len(raw)
                call.body = _parse_json(raw)
            with state.lock:
                reply = handler(call)
            reply.headers.update(headers)
            response = _response(reply.status, reply.body, correlation, reply.headers)
        except HubSpotApiError as error:
            headers.update(error.headers)
            response = _response(error.status, error.body(correlation), correlation, headers)
        except Exception:  # a sandbox bug: answer like HubSpot would, and say so in the log
            logger.exception("HubSpot sandbox: %s %s failed", method, request.url.path)
            internal = HubSpotApiError(500, "internal error", "INTERNAL_ERROR")
            response = _response(500, internal.body(correlation), correlation, headers)
        state.stats.record(route, response.status_code)
        return response

    return endpoint


def _route_name(method: str, template: str, params: Mapping[str, Any]) -> str:
    name = template
    for key in ("objectType", "toObjectType"):
        given = str(params.get(key, ""))
        value = "contacts" if given in contacts.CONTACT_ALIASES else OBJECT_TYPE_ALIASES.get(given)
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


# --- parameters ------------------------------------------------------------------------------


def _object_type(value: str) -> ObjectType:
    object_type = OBJECT_TYPE_ALIASES.get(value)
    if object_type is None:
        raise HubSpotApiError(400, f"Unable to infer object type from: {value}", "VALIDATION_ERROR")
    return object_type


def _list_param(query: QueryParams, name: str) -> list[str]:
    names: list[str] = []
    for value in query.getlist(name):
        for part in value.split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names


def _bool_param(query: QueryParams, name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise validation_error(f"{name}: expected true or false, got {value!r}")
    return lowered == "true"


def _int_query(query: QueryParams, name: str, default: int, maximum: int) -> int:
    value = query.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise validation_error(f"{name} must be an integer between 1 and {maximum}, got {value}")
    return int(value)


def _cursor(record_id: str) -> str:
    return base64.b64encode(f"{record_id}\n".encode()).decode()


def _after_id(query: QueryParams) -> int | None:
    value = query.get("after")
    if value is None or value == "":
        return None
    try:
        return int(base64.b64decode(value.encode(), validate=True).decode().strip())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation_error(f"after: {value!r} is not a paging cursor this API gave") from None


def _now_iso() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def _inputs(body: Any, *, maximum: int = MAX_BATCH_INPUTS) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("Invalid input JSON: expected an object with an 'inputs' list")
    inputs: list[Any] = body["inputs"]
    if len(inputs) > maximum:
        raise validation_error(
            f"The maximum number of inputs supported in a batch is {maximum}. "
            f"Please resubmit with fewer inputs. Got {len(inputs)} inputs.",
            context={"maxInputs": [str(maximum)]},
        )
    return inputs


def _input_id(item: Any, position: int) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise validation_error(f"inputs[{position}]: expected an object with an 'id'")
    return str(value)


def _batch(
    results: list[JsonObject],
    started: str,
    errors: list[JsonObject],
    *,
    multi_status: bool = False,
) -> Reply:
    """A batch answer: 207 with `numErrors`/`errors` when there are errors (or when
    `multi_status`), else 200."""
    body: JsonObject = {"status": "COMPLETE", "results": results}
    multi_status = multi_status or bool(errors)
    if multi_status:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = started
    body["completedAt"] = _now_iso()
    return Reply(207 if multi_status else 200, body)


def _requested_properties(body: Mapping[str, Any]) -> list[str] | None:
    names = body.get("properties")
    if names is None or names == []:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise validation_error("properties: expected a list of property names")
    return list(names)


# --- the handlers ----------------------------------------------------------------------------


class _Api:
    def __init__(self, state: HubSpotState, batch_update_missing: BatchUpdateMissing) -> None:
        self.state = state
        self.batch_update_missing = batch_update_missing

    # rendering

    def render(
        self,
        store: ObjectStore,
        record: StoredRecord,
        names: Sequence[str] | None,
        associations: Sequence[str] = (),
    ) -> JsonObject:
        values = record.properties
        definitions = store.definitions
        wanted = DEFAULT_PROPERTIES[store.object_type] if names is None else names
        properties: JsonObject = {}
        for name in wanted:
            if name in definitions:
                properties[name] = values.get(name)
        for name in ALWAYS_RETURNED:
            properties[name] = values.get(name)
        rendered: JsonObject = {
            "id": record.id,
            "properties": properties,
            "createdAt": values.get("createdate") or iso_ms(record.created_ms),
            "updatedAt": iso_ms(record.updated_ms),
            "archived": record.archived,
        }
        if record.archived and record.archived_ms is not None:
            rendered["archivedAt"] = iso_ms(record.archived_ms)
        if associations:
            block = self._v3_associations(store.object_type, record.id, associations)
            if block:
                rendered["associations"] = block
        return rendered

    def _v3_associations(
        self, object_type: ObjectType, record_id: str, names: Sequence[str]
    ) -> JsonObject:
        block: JsonObject = {}
        for name in names:
            to_type = OBJECT_TYPE_ALIASES.get(name)
            if to_type is None or to_type == object_type:
                continue  # HubSpot ignores association names it does not know
            linked = self._linked(object_type, record_id)
            if not linked:
                continue
            primary, unlabeled = _V3_TYPE_NAMES[object_type]
            results: list[JsonObject] = []
            for position, other in enumerate(linked):
                if self._is_primary(object_type, record_id, other, position):
                    results.append({"id": other, "type": primary})
                results.append({"id": other, "type": unlabeled})
            block[to_type] = {"results": results}
        return block

    def _linked(self, object_type: ObjectType, record_id: str) -> list[str]:
        """Associated ids of live records of the other type."""
        other_type: ObjectType = "companies" if object_type == "deals" else "deals"
        others = self.state.store(other_type).records
        return [
            other
            for other in self.state.associated(object_type, record_id)
            if other in others and not others[other].archived
        ]

    def _is_primary(
        self, object_type: ObjectType, record_id: str, other: str, position: int
    ) -> bool:
        """A deal's first company is its primary one."""
        if object_type == "deals":
            return position == 0
        companies = self.state.associated("deals", other)
        return bool(companies) and companies[0] == record_id

    def _v4_types(
        self, object_type: ObjectType, record_id: str, other: str, position: int
    ) -> list[JsonObject]:
        primary, unlabeled = _V4_TYPE_IDS[object_type]
        types: list[JsonObject] = []
        if self._is_primary(object_type, record_id, other, position):
            types.append({"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
        types.append({"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None})
        return types

    def _resolve(
        self, store: ObjectStore, object_id: str, id_property: str | None
    ) -> StoredRecord | None:
        if id_property in (None, "", "hs_object_id"):
            return store.records.get(object_id)
        assert id_property is not None
        definition = store.definitions.get(id_property)
        if definition is None or not definition.has_unique_value:
            singular = {"companies": "0-2", "deals": "0-3"}[store.object_type]
            raise validation_error(
                f"Unable to perform read/update by non-unique {singular} property {id_property}"
            )
        for record in store.ordered:
            if record.properties.get(id_property) == object_id:
                return record
        return None

    # objects

    def list_objects(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        limit = _int_query(call.query, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        archived = _bool_param(call.query, "archived", False)
        names = _list_param(call.query, "properties") or None
        associations = _list_param(call.query, "associations")
        after_id = _after_id(call.query)
        start = 0 if after_id is None else bisect_left(store.ids, after_id)
        page: list[StoredRecord] = []
        next_record: StoredRecord | None = None
        for record in store.ordered[start:]:
            if record.archived != archived:
                continue
            if len(page) == limit:
                next_record = record
                break
            page.append(record)
        body: JsonObject = {
            "results": [self.render(store, record, names, associations) for record in page]
        }
        if next_record is not None:
            after = _cursor(next_record.id)
            body["paging"] = {"next": {"after": after, "link": call.link(after=after)}}
        return Reply(200, body)

    def get_object(self, call: Call) -> Reply:
        if call.path["objectType"] in contacts.CONTACT_ALIASES:
            names = _list_param(call.query, "properties") or None
            return Reply(
                200, contacts.get_contact(self.state.contacts, call.path["objectId"], names)
            )
        store = self.state.store(_object_type(call.path["objectType"]))
        record = self._resolve(store, call.path["objectId"], call.query.get("idProperty"))
        archived = _bool_param(call.query, "archived", False)
        if record is None or record.archived != archived:
            raise not_found(
                f"resource not found: {SINGULAR[store.object_type]} {call.path['objectId']}"
            )
        names = _list_param(call.query, "properties") or None
        associations = _list_param(call.query, "associations")
        return Reply(200, self.render(store, record, names, associations))

    def batch_read(self, call: Call) -> Reply:
        started = _now_iso()
        store = self.state.store(_object_type(call.path["objectType"]))
        inputs = _inputs(call.body)
        archived = _bool_param(call.query, "archived", False)
        names = _requested_properties(call.body)
        id_property = call.body.get("idProperty")
        results: list[JsonObject] = []
        missing: list[str] = []
        seen: set[str] = set()
        for position, item in enumerate(inputs):
            object_id = _input_id(item, position)
            if object_id in seen:
                continue
            seen.add(object_id)
            record = self._resolve(store, object_id, id_property)
            if record is None or record.archived != archived:
                missing.append(object_id)
            else:
                results.append(self.render(store, record, names))
        errors = [_not_found_error(store.object_type, missing)] if missing else []
        return _batch(results, started, errors)

    def _validated(
        self, store: ObjectStore, properties: Any, where: str, problems: list[PropertyValueError]
    ) -> dict[str, str]:
        if not isinstance(properties, dict):
            raise validation_error(f"{where}: expected a 'properties' object")
        values: dict[str, str] = {}
        for name, raw in properties.items():
            try:
                values[name] = validate_value(store.definitions.get(name), name, raw)
            except InvalidValue as invalid:
                if invalid.problem not in problems:
                    problems.append(invalid.problem)
        return values

    def batch_update(self, call: Call) -> Reply:
        started = _now_iso()
        object_type = _object_type(call.path["objectType"])
        store = self.state.store(object_type)
        inputs = _inputs(call.body)
        problems: list[PropertyValueError] = []
        planned: list[tuple[str, str | None, dict[str, str]]] = []
        ids: list[str] = []
        for position, item in enumerate(inputs):
            object_id = _input_id(item, position)
            ids.append(object_id)
            values = self._validated(store, item.get("properties"), f"inputs[{position}]", problems)
            id_property = item.get("idProperty") or call.body.get("idProperty")
            planned.append((object_id, id_property, values))
        duplicates = sorted({object_id for object_id in ids if ids.count(object_id) > 1})
        if duplicates:
            raise validation_error(
                f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. IDs must be unique"
            )
        if problems:
            raise property_values_error(problems)
        results: list[JsonObject] = []
        missing: list[str] = []
        for object_id, id_property, values in planned:
            record = self._resolve(store, object_id, id_property)
            if record is None or record.archived:
                missing.append(object_id)
                continue
            self.state.write(object_type, record, values, source="API")
            results.append(self.render(store, record, list(values)))
        if missing and self.batch_update_missing == "ignore":
            return _batch(results, started, [], multi_status=True)
        errors = [_not_found_error(object_type, missing)] if missing else []
        return _batch(results, started, errors)

    def update_object(self, call: Call) -> Reply:
        object_type = _object_type(call.path["objectType"])
        store = self.state.store(object_type)
        body = call.body if isinstance(call.body, dict) else None
        if body is None:
            raise validation_error("Invalid input JSON: expected {'properties': {...}}")
        problems: list[PropertyValueError] = []
        values = self._validated(store, body.get("properties"), "properties", problems)
        if problems:
            raise property_values_error(problems)
        record = self._resolve(store, call.path["objectId"], call.query.get("idProperty"))
        if record is None or record.archived:
            raise not_found(f"resource not found: {SINGULAR[object_type]} {call.path['objectId']}")
        self.state.write(object_type, record, values, source="API")
        return Reply(200, self.render(store, record, list(values)))

    def _create_one(self, object_type: ObjectType, item: Any, where: str) -> JsonObject:
        """Validates one create input and creates it; raises on any problem."""
        store = self.state.store(object_type)
        if not isinstance(item, dict):
            raise validation_error(f"{where}: expected {{'properties': {{...}}}}")
        problems: list[PropertyValueError] = []
        values = self._validated(store, item.get("properties", {}), where, problems)
        for choices in _REQUIRED_ON_CREATE[object_type]:
            if not any(values.get(name) for name in choices):
                problems.append(
                    PropertyValueError(
                        choices[0],
                        "REQUIRED_PROPERTY",
                        f"{' or '.join(choices)} is required to create a "
                        f"{SINGULAR[object_type].lower()}",
                    )
                )
        if problems:
            raise property_values_error(problems)
        links = self._inline_associations(object_type, item.get("associations"), where)
        record = self.state.create_record(object_type, values, source="API")
        for other in links:
            if object_type == "deals":
                self.state.associate(record.id, other)
            else:
                self.state.associate(other, record.id)
        return self.render(store, record, list(values))

    def _inline_associations(self, object_type: ObjectType, raw: Any, where: str) -> list[str]:
        if raw is None:
            return []
        other_type: ObjectType = "companies" if object_type == "deals" else "deals"
        others = self.state.store(other_type).records
        if not isinstance(raw, list):
            raise validation_error(f"{where}.associations: expected a list")
        linked: list[str] = []
        for position, association in enumerate(raw):
            target = association.get("to") if isinstance(association, dict) else None
            other = str(target.get("id", "")) if isinstance(target, dict) else ""
            if other not in others or others[other].archived:
                raise validation_error(
                    f"{where}.associations[{position}]: no {other_type[:-1]} with id {other!r} "
                    "to associate with"
                )
            linked.append(other)
        return linked

    def create_object(self, call: Call) -> Reply:
        if call.path["objectType"] in contacts.CONTACT_ALIASES:
            companies = self.state.store("companies").records
            values, linked = contacts.validated_contact(call.body, companies, self.state.contacts)
            record = self.state.create_contact_record(values, linked, source="API")
            return Reply(201, contacts.render_contact(record, list(values) or None))
        object_type = _object_type(call.path["objectType"])
        return Reply(201, self._create_one(object_type, call.body, "body"))

    def batch_create(self, call: Call) -> Reply:
        started = _now_iso()
        object_type = _object_type(call.path["objectType"])
        inputs = _inputs(call.body)
        trace_ids = [
            item.get("objectWriteTraceId") if isinstance(item, dict) else None for item in inputs
        ]
        traced = all(isinstance(t, str) and t for t in trace_ids) and len(set(trace_ids)) == len(
            trace_ids
        )
        if not traced:  # all or nothing: validate every input before creating any
            store = self.state.store(object_type)
            problems: list[PropertyValueError] = []
            for position, item in enumerate(inputs):
                where = f"inputs[{position}]"
                if not isinstance(item, dict):
                    raise validation_error(f"{where}: expected {{'properties': {{...}}}}")
                self._validated(store, item.get("properties", {}), where, problems)
                self._inline_associations(object_type, item.get("associations"), where)
            if problems:
                raise property_values_error(problems)
        results: list[JsonObject] = []
        errors: list[JsonObject] = []
        for position, item in enumerate(inputs):
            try:
                results.append(self._create_one(object_type, item, f"inputs[{position}]"))
            except HubSpotApiError as error:
                if not traced:
                    raise
                errors.append(
                    {
                        "status": "error",
                        "category": error.category,
                        "message": error.message,
                        "context": {"objectWriteTraceId": [str(trace_ids[position])]},
                        "errors": error.errors or [],
                    }
                )
        reply = _batch(results, started, errors)
        if reply.status == 200:
            reply.status = 201
        return reply

    def archive_object(self, call: Call) -> Reply:
        object_type = _object_type(call.path["objectType"])
        record = self.state.store(object_type).records.get(call.path["objectId"])
        if record is not None:
            self.state.set_archived(object_type, record, True, source="API")
        return Reply(204)

    def batch_archive(self, call: Call) -> Reply:
        object_type = _object_type(call.path["objectType"])
        records = self.state.store(object_type).records
        for position, item in enumerate(_inputs(call.body)):
            record = records.get(_input_id(item, position))
            if record is not None:
                self.state.set_archived(object_type, record, True, source="API")
        return Reply(204)

    # search

    def search(self, call: Call) -> Reply:
        object_type = _object_type(call.path["objectType"])
        if call.body_chars > MAX_BODY_CHARS:
            raise validation_error(
                f"The search request body is {call.body_chars} characters long; "
                f"the maximum is {MAX_BODY_CHARS}."
            )
        store = self.state.store(object_type)
        state = self.state
        plan = compile_search(
            call.body if call.body is not None else {},
            object_type=object_type,
            definitions=store.definitions,
            associated_companies=lambda record: state.associated("deals", record.id),
        )
        matches = run_search(plan, store.ordered)
        page = matches[plan.after : plan.after + plan.limit]
        names = list(plan.properties) if plan.properties else None
        body: JsonObject = {
            "total": len(matches),
            "results": [self.render(store, record, names) for record in page],
        }
        if plan.after + plan.limit < len(matches) and page:
            body["paging"] = {"next": {"after": str(plan.after + plan.limit)}}
        return Reply(200, body)

    # associations

    def v4_associations(self, call: Call) -> Reply:
        limit = _int_query(call.query, "limit", MAX_ASSOCIATION_LIMIT, MAX_ASSOCIATION_LIMIT)
        object_id = call.path["objectId"]
        from_name, to_name = call.path["objectType"], call.path["toObjectType"]
        if contacts.is_contact_pair(from_name, to_name):
            companies = self.state.store("companies").records
            all_results = contacts.contact_associations(
                self.state.contacts, companies, from_name, object_id, to_name
            )
        else:
            object_type, to_type = _object_type(from_name), _object_type(to_name)
            linked = self._linked(object_type, object_id) if to_type != object_type else []
            all_results = [
                {
                    "toObjectId": int(other),
                    "associationTypes": self._v4_types(object_type, object_id, other, position),
                }
                for position, other in enumerate(linked)
            ]
        value = call.query.get("after")
        offset = 0
        if value:
            try:
                offset = int(base64.b64decode(value.encode(), validate=True).decode())
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise validation_error(f"after: {value!r} is not a paging cursor") from None
        body: JsonObject = {"results": all_results[offset : offset + limit]}
        if offset + limit < len(all_results):
            after = base64.b64encode(str(offset + limit).encode()).decode()
            body["paging"] = {"next": {"after": after, "link": None}}
        return Reply(200, body)

    def v4_batch_read(self, call: Call) -> Reply:
        from_name, to_name = call.path["objectType"], call.path["toObjectType"]
        if contacts.is_contact_pair(from_name, to_name):
            return self._contact_association_batch(call, from_name, to_name)

        def targets(object_type: ObjectType, object_id: str, linked: list[str]) -> list[JsonObject]:
            return [
                {
                    "toObjectId": int(other),
                    "associationTypes": self._v4_types(object_type, object_id, other, i),
                }
                for i, other in enumerate(linked)
            ]

        return self._association_batch(call, targets)

    def v3_batch_read(self, call: Call) -> Reply:
        def targets(
            object_type: ObjectType, _object_id: str, linked: list[str]
        ) -> list[JsonObject]:
            primary, _ = _V3_TYPE_NAMES[object_type]
            return [{"id": other, "type": primary} for other in linked]

        return self._association_batch(call, targets)

    def _association_batch(
        self, call: Call, targets: Callable[[ObjectType, str, list[str]], list[JsonObject]]
    ) -> Reply:
        """The v3 and v4 association batch reads differ only in how a target is written."""
        started = _now_iso()
        object_type = _object_type(call.path["objectType"])
        to_type = _object_type(call.path["toObjectType"])
        results: list[JsonObject] = []
        errors: list[JsonObject] = []
        for position, item in enumerate(_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
            object_id = _input_id(item, position)
            linked = self._linked(object_type, object_id) if to_type != object_type else []
            if not linked:
                errors.append(_no_associations(object_type, to_type, object_id))
                continue
            results.append(
                {"from": {"id": object_id}, "to": targets(object_type, object_id, linked)}
            )
        return _batch(results, started, errors)

    def _contact_association_batch(self, call: Call, from_name: str, to_name: str) -> Reply:
        """The v4 batch read for contact↔company pairs, answered from the contact store."""
        started = _now_iso()
        companies = self.state.store("companies").records
        results: list[JsonObject] = []
        errors: list[JsonObject] = []
        for position, item in enumerate(_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
            object_id = _input_id(item, position)
            linked = contacts.contact_associations(
                self.state.contacts, companies, from_name, object_id, to_name
            )
            if not linked:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No {to_name} is associated with {from_name} {object_id}.",
                        "context": {"fromObjectId": [object_id]},
                    }
                )
                continue
            results.append({"from": {"id": object_id}, "to": linked})
        return _batch(results, started, errors)

    def v4_associate_default(self, call: Call) -> Reply:
        started = _now_iso()
        object_type = _object_type(call.path["objectType"])
        to_type = _object_type(call.path["toObjectType"])
        object_id, to_id = call.path["objectId"], call.path["toObjectId"]
        if object_type == to_type:
            raise validation_error(f"Cannot associate {object_type} with {to_type}")
        for kind, record_id in ((object_type, object_id), (to_type, to_id)):
            record = self.state.store(kind).records.get(record_id)
            if record is None or record.archived:
                raise not_found(f"resource not found: {SINGULAR[kind]} {record_id}")
        deal_id, company_id = (object_id, to_id) if object_type == "deals" else (to_id, object_id)
        self.state.associate(deal_id, company_id)
        _, unlabeled = _V4_TYPE_IDS[object_type]
        result = {
            "from": {"id": object_id},
            "to": {"id": to_id},
            "associationSpec": {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": unlabeled,
            },
        }
        return _batch([result], started, [])

    # properties

    def list_properties(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        archived = _bool_param(call.query, "archived", False)
        results = [d.as_json() for d in store.definitions.values() if d.archived == archived]
        return Reply(200, {"results": results})

    def get_property(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        name = call.path["propertyName"]
        definition = store.definitions.get(name)
        if definition is None or definition.archived:
            raise not_found(f"Unable to find property {name}")
        return Reply(200, definition.as_json())

    def create_property(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        definition = new_property(
            call.body,
            existing=store.definitions,
            groups=store.groups,
            at_ms=self.state.clock.tick(),
        )
        store.definitions[definition.name] = definition
        return Reply(201, definition.as_json())

    def patch_property(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        name = call.path["propertyName"]
        definition = store.definitions.get(name)
        patch_property(
            definition, name, call.body, groups=store.groups, at_ms=self.state.clock.tick()
        )
        assert definition is not None
        return Reply(200, definition.as_json())

    def archive_property(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        name = call.path["propertyName"]
        definition = store.definitions.get(name)
        if definition is None or definition.archived:
            raise not_found(f"Unable to find property {name}")
        if definition.hubspot_defined:
            raise validation_error(f"{name} is a HubSpot-defined property and cannot be archived")
        definition.archived = True
        return Reply(204)

    def list_groups(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        return Reply(
            200, {"results": [g.as_json() for g in store.groups.values() if not g.archived]}
        )

    def get_group(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        group = store.groups.get(call.path["groupName"])
        if group is None or group.archived:
            raise not_found(f"Unable to find property group {call.path['groupName']}")
        return Reply(200, group.as_json())

    def create_group(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        group = new_group(call.body, existing=store.groups)
        store.groups[group.name] = group
        return Reply(201, group.as_json())

    def patch_group(self, call: Call) -> Reply:
        store = self.state.store(_object_type(call.path["objectType"]))
        group = store.groups.get(call.path["groupName"])
        if group is None or group.archived:
            raise not_found(f"Unable to find property group {call.path['groupName']}")
        body = call.body if isinstance(call.body, dict) else {}
        label, order = body.get("label"), body.get("displayOrder")
        if label is not None:
            if not isinstance(label, str) or not label:
                raise validation_error("label: expected a non-empty string")
            group.label = label
        if order is not None:
            if isinstance(order, bool) or not isinstance(order, int):
                raise validation_error("displayOrder: expected an integer")
            group.display_order = order
        return Reply(200, group.as_json())


def _not_found_error(object_type: ObjectType, ids: list[str]) -> JsonObject:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": (
            f"Could not get some {SINGULAR[object_type]} objects, they may be deleted or not "
            "exist. Check that ids are valid."
        ),
        "context": {"ids": ids},
    }


def _no_associations(from_type: ObjectType, to_type: ObjectType, object_id: str) -> JsonObject:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": (
            f"No {SINGULAR[to_type].lower()} is associated with "
            f"{SINGULAR[from_type].lower()} {object_id}."
        ),
        "context": {"fromObjectId": [object_id]},
    }
