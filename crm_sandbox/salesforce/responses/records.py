"""sObject records: `sobjects/{Obj}/` POST (201), `sobjects/{Obj}/{id}` GET, PATCH (204) and
DELETE (204), and `composite/sobjects` PATCH (at most 200 records, `allOrNone`). Writes are
the integration user's: field-level security and its rights apply (`permissions`).

Lead assignment rules run on a single-record Lead PATCH or POST unless `Sforce-Auto-Assign:
FALSE`. Whether Salesforce runs them on collection updates is not documented; the sandbox
assumes the worst for routine writes: like a single PATCH, an absent header means TRUE, so a
client that forgets `Sforce-Auto-Assign: FALSE` sees owners churn.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.calls import DataApi, DataCall, Reply
from crm_sandbox.salesforce.errors import SalesforceError, not_found
from crm_sandbox.salesforce.state import SalesforceState
from crm_sandbox.salesforce.values import render_record

COLLECTION_LIMIT = 200
_Planned = tuple[str, str, dict[str, Any]]  # object name, record id, values


async def create(api: DataApi, call: DataCall) -> Reply:
    values = await call.json_object()
    values.pop("attributes", None)
    api.state.check_api_write(call.object_name, values)
    created = api.state.create(call.object_name, values, auto_assign=call.auto_assign)
    return Reply({"id": created["Id"], "success": True, "errors": []}, 201)


async def get(api: DataApi, call: DataCall) -> Reply:
    object_name = call.object_name
    record = api.state.get(object_name, call.params["record_id"])
    if record["IsDeleted"]:
        raise not_found()
    schema = api.state.visible_schema(object_name)
    fields = call.request.query_params.get("fields")
    names = [f.strip() for f in fields.split(",")] if fields else list(schema)
    unknown = [n for n in names if n not in schema]
    if unknown:
        raise SalesforceError(
            "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {object_name}"
        )
    return Reply(render_record(record, names, object_name, call.version, schema))


async def update(api: DataApi, call: DataCall) -> Reply:
    values = await call.json_object()
    record_id = call.params["record_id"]
    api.state.check_api_write(call.object_name, values)
    api.state.update(call.object_name, record_id, values, auto_assign=call.auto_assign)
    return Reply(None, 204)


async def delete(api: DataApi, call: DataCall) -> Reply:
    api.state.delete(call.object_name, call.params["record_id"])
    return Reply(None, 204)


async def method_not_allowed(api: DataApi, call: DataCall) -> Reply:
    del api
    raise SalesforceError(
        "METHOD_NOT_ALLOWED", f"HTTP Method '{call.method}' not allowed", status=405
    )


async def update_collection(api: DataApi, call: DataCall) -> Reply:
    body = await call.json_object()
    records = body.get("records")
    if not isinstance(records, list):
        raise SalesforceError("JSON_PARSER_ERROR", "records must be a list of sObjects")
    if len(records) > COLLECTION_LIMIT:
        raise SalesforceError(
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    planned: list[_Planned | SalesforceError] = []
    for item in records:
        try:
            planned.append(_plan(api.state, item))
        except SalesforceError as error:
            planned.append(error)
    if body.get("allOrNone") is True and any(isinstance(p, SalesforceError) for p in planned):
        rolled_back = SalesforceError(
            "ALL_OR_NONE_OPERATION_ROLLED_BACK",
            "Record rolled back because not all records were valid and the request was using "
            "AllOrNone header",
        )
        return Reply(
            [_result(None, p if isinstance(p, SalesforceError) else rolled_back) for p in planned]
        )
    results: list[dict[str, Any]] = []
    for plan in planned:
        if isinstance(plan, SalesforceError):
            results.append(_result(None, plan))
            continue
        object_name, record_id, values = plan
        try:
            updated = api.state.update(object_name, record_id, values, auto_assign=call.auto_assign)
            results.append(_result(str(updated["Id"]), None))
        except SalesforceError as error:
            results.append(_result(None, error))
    return Reply(results)


def _plan(state: SalesforceState, item: Any) -> _Planned:
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
    state.check_api_write(object_name, values)
    state.check_update(object_name, record_id, values)
    return object_name, record_id, values


def _result(record_id: str | None, error: SalesforceError | None) -> dict[str, Any]:
    if error is None:
        return {"id": record_id, "success": True, "errors": []}
    return {
        "success": False,
        "errors": [
            {"statusCode": error.code, "message": error.message, "fields": list(error.fields)}
        ],
    }
