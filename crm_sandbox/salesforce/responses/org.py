"""What the org says about itself: `sobjects/{Obj}/describe` (the fields the integration user
may see), `limits/`, the one metadata write icp-sync's setup makes, `tooling/sobjects/CustomField`
POST (201; needs Customize Application), and `tooling/query` on `CustomField`.

The Tooling API lists custom fields whatever their field-level security, so a field it lists
that describe lacks is hidden from the user, not missing. A `CustomField` row has
`DeveloperName` without the `__c` suffix and `TableEnumOrId` the object's name for a standard
object (Tooling API Developer Guide, "CustomField" and the Custom Address Fields example:
`"TableEnumOrId": "Account", "DeveloperName": "caf"`)."""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.calls import DataApi, DataCall, Reply
from crm_sandbox.salesforce.describe import describe
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.permissions import SETUP_OBJECTS, may_edit, require
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.values import render_record

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
    """Describe as the integration user sees it: the fields field-level security lets it see,
    and, without Edit on the object, the object and every field neither createable nor
    updateable (what `icp-sync doctor` reads to tell the user may not write scores)."""
    state = api.state
    answer = describe(call.object_name, state.visible_schema(call.object_name))
    if call.object_name not in SETUP_OBJECTS and not may_edit(state, call.object_name):
        answer.update(createable=False, updateable=False, deletable=False)
        for field in answer["fields"]:
            field.update(createable=False, updateable=False)
    return Reply(answer)


async def limits(api: DataApi, call: DataCall) -> Reply:
    del call
    usage = api.usage
    daily = {"Max": usage.daily_limit, "Remaining": usage.daily_limit - usage.used}
    return Reply({"DailyApiRequests": daily})


async def create_custom_field(api: DataApi, call: DataCall) -> Reply:
    require(api.state, "PermissionsCustomizeApplication", "CustomField")
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


_TOOLING_FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        FieldDef("Id", "id", "Custom Field ID", updateable=False, nillable=False, length=18),
        FieldDef("DeveloperName", "string", "Developer Name", updateable=False, length=40),
        FieldDef("TableEnumOrId", "string", "Table Enum or ID", updateable=False, length=40),
        FieldDef("NamespacePrefix", "string", "Namespace Prefix", updateable=False, length=15),
    )
}


async def tooling_query(api: DataApi, call: DataCall) -> Reply:
    """`GET tooling/query?q=SELECT … FROM CustomField [WHERE …]`: one page, every custom field
    of the org regardless of field-level security."""
    text = call.request.query_params.get("q")
    if not text:
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")

    def schemas(name: str) -> tuple[str, dict[str, FieldDef]] | None:
        return ("CustomField", _TOOLING_FIELDS) if name.lower() == "customfield" else None

    parsed = parse(text, schemas)
    state = api.state
    rows = [
        {
            "Id": state.custom_field_id(object_name, name),
            "DeveloperName": name.removesuffix("__c"),
            "TableEnumOrId": object_name,
            "NamespacePrefix": None,
        }
        for object_name, name in state.custom_fields()
    ]
    records = []
    for row in parsed.run(rows):
        record = render_record(row, parsed.fields, "CustomField", call.version, _TOOLING_FIELDS)
        record["attributes"]["url"] = (
            f"/services/data/{call.version}/tooling/sobjects/CustomField/{row['Id']}"
        )
        records.append(record)
    return Reply(
        {
            "size": len(records),
            "totalSize": len(records),
            "done": True,
            "queryLocator": None,
            "entityTypeName": "CustomField",
            "records": records,
        }
    )
