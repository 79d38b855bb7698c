"""What the org says about itself: `sobjects/{Obj}/describe`, `limits/`, and the one metadata
write icp-sync's setup makes, `tooling/sobjects/CustomField` POST (201)."""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.calls import DataApi, DataCall, Reply
from crm_sandbox.salesforce.describe import describe
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef

#: Metadata API field types → describe types.
_FIELD_TYPES = {
    "Number": "double",
    "Text": "string",
    "Checkbox": "boolean",
    "Picklist": "picklist",
    "DateTime": "datetime",
    "Date": "date",
    "LongTextArea": "textarea",
    "MultiselectPicklist": "multipicklist",
}
_DEFAULT_LENGTH = {"MultiselectPicklist": 4099, "LongTextArea": 32_768}


async def describe_object(api: DataApi, call: DataCall) -> Reply:
    return Reply(describe(call.object_name, api.state.fields(call.object_name)))


async def limits(api: DataApi, call: DataCall) -> Reply:
    del call
    usage = api.usage
    daily = {"Max": usage.daily_limit, "Remaining": usage.daily_limit - usage.used}
    return Reply({"DailyApiRequests": daily})


async def create_custom_field(api: DataApi, call: DataCall) -> Reply:
    body = await call.json_object()
    full_name = body.get("FullName")
    metadata = body.get("Metadata")
    if not isinstance(full_name, str) or "." not in full_name or not isinstance(metadata, dict):
        raise SalesforceError(
            "INVALID_INPUT", "FullName (Object.Field__c) and Metadata are required"
        )
    object_name, _, field_name = full_name.partition(".")
    resolved = api.state.resolve_object(object_name)
    if resolved is None:
        raise SalesforceError("INVALID_TYPE", f"sObject type '{object_name}' is not supported")
    new_id = api.state.add_custom_field(resolved, _field(field_name, metadata))
    return Reply({"id": new_id, "success": True, "errors": []}, 201)


def _field(name: str, metadata: dict[str, Any]) -> FieldDef:
    kind = str(metadata.get("type", "Text"))
    if kind not in _FIELD_TYPES:
        raise SalesforceError("INVALID_INPUT", f"unsupported field type {kind}")
    values: tuple[str, ...] = ()
    restricted = False
    value_set = metadata.get("valueSet")
    if isinstance(value_set, dict):
        restricted = value_set.get("restricted") is True
        definition = value_set.get("valueSetDefinition") or {}
        values = tuple(str(v.get("fullName")) for v in definition.get("value", []))
    try:
        length = int(metadata.get("length", _DEFAULT_LENGTH.get(kind, 255)))
    except (TypeError, ValueError):
        raise SalesforceError("INVALID_INPUT", "length must be a number") from None
    return FieldDef(
        name,
        _FIELD_TYPES[kind],
        str(metadata.get("label", name)),
        custom=True,
        nillable=kind != "Checkbox",  # a checkbox is never null
        length=length,
        picklist=values,
        restricted=restricted,
    )
