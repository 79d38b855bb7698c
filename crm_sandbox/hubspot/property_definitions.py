"""Property definitions and groups written through the API: the bodies of
`POST /crm/v3/properties/{type}`, `PATCH …/{name}` and `POST …/groups`, validated into
`PropertyDefinition`s and `PropertyGroup`s or refused with HubSpot's 400/404/409."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crm_sandbox.hubspot.errors import (
    HubSpotApiError,
    JsonObject,
    conflict,
    not_found,
    validation_error,
)
from crm_sandbox.hubspot.schema import BOOL_OPTIONS, PropertyDefinition, PropertyGroup

MAX_PROPERTY_NAME_LENGTH = 100  # HubSpot's limit is unconfirmed; long enough for real names
#: Allowed fieldTypes per property type (hubspot.md §6).
FIELD_TYPES: dict[str, frozenset[str]] = {
    "string": frozenset({"text", "textarea", "html", "phonenumber", "file"}),
    "number": frozenset({"number"}),
    "enumeration": frozenset({"select", "radio", "checkbox", "booleancheckbox"}),
    "bool": frozenset({"booleancheckbox"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"date"}),
    "phone_number": frozenset({"phonenumber"}),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _require_object(body: object, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise validation_error(f"Invalid input JSON: expected a {what} object")
    return body


def _string_field(body: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or (required and not value):
        raise validation_error(
            f"{key}: expected a non-empty string, got {value!r}",
            errors=[{"message": f"{key} must be a string", "code": "INVALID_FIELD"}],
        )
    return value


def _bool_field(body: Mapping[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise validation_error(f"{key}: expected true or false, got {value!r}")
    return value


def _int_field(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation_error(f"{key}: expected an integer, got {value!r}")
    return value


def check_name(name: str, what: str) -> None:
    if len(name) > MAX_PROPERTY_NAME_LENGTH or not _NAME.match(name):
        raise validation_error(
            f"{what} name {name!r} is invalid: use lowercase letters, digits and underscores, "
            f"starting with a letter, at most {MAX_PROPERTY_NAME_LENGTH} characters",
            errors=[
                {"message": f"Invalid name {name!r}", "code": "INVALID_NAME", "context": {}},
            ],
        )


def check_type(type_: str, field_type: str) -> None:
    allowed = FIELD_TYPES.get(type_)
    if allowed is None:
        raise validation_error(
            f"{type_!r} is not a valid property type; expected one of: "
            + ", ".join(sorted(FIELD_TYPES)),
            errors=[{"message": f"Invalid type {type_!r}", "code": "INVALID_TYPE"}],
        )
    if field_type not in allowed:
        raise validation_error(
            f"fieldType {field_type!r} is not valid for a property of type {type_!r}; "
            f"expected one of: {', '.join(sorted(allowed))}",
            errors=[
                {
                    "message": f"Invalid fieldType {field_type!r} for type {type_!r}",
                    "code": "INVALID_FIELD_TYPE",
                }
            ],
        )


def parse_options(raw: object) -> list[JsonObject]:
    if not isinstance(raw, list):
        raise validation_error(f"options: expected a list, got {raw!r}")
    parsed: list[JsonObject] = []
    seen: list[str] = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict):
            raise validation_error(f"options[{position}]: expected an object")
        label, value = item.get("label"), item.get("value")
        if not isinstance(label, str) or not isinstance(value, str) or not value:
            raise validation_error(
                f"options[{position}]: label and value are required strings",
                errors=[{"message": "Option label and value are required", "code": "INVALID"}],
            )
        if value in seen:
            raise validation_error(f"options[{position}]: duplicate option value {value!r}")
        seen.append(value)
        order = item.get("displayOrder", position)
        entry: JsonObject = {
            "label": label,
            "value": value,
            "displayOrder": order if isinstance(order, int) else position,
            "hidden": bool(item.get("hidden", False)),
        }
        if isinstance(item.get("description"), str):
            entry["description"] = item["description"]
        parsed.append(entry)
    return parsed


def new_property(
    body: object,
    *,
    existing: Mapping[str, PropertyDefinition],
    groups: Mapping[str, PropertyGroup],
    at_ms: int,
) -> PropertyDefinition:
    """Validates a `POST /crm/v3/properties/{type}` body into a definition."""
    data = _require_object(body, "property")
    required = ("name", "label", "type", "fieldType", "groupName")
    missing = [key for key in required if not data.get(key)]
    if missing:
        raise validation_error(
            f"Some required fields were not set: [{', '.join(missing)}]",
            errors=[
                {
                    "message": f"{key} is required",
                    "code": "REQUIRED_FIELD",
                    "context": {"fieldName": [key]},
                }
                for key in missing
            ],
        )
    name = _string_field(data, "name", required=True) or ""
    label = _string_field(data, "label", required=True) or ""
    type_ = _string_field(data, "type", required=True) or ""
    field_type = _string_field(data, "fieldType", required=True) or ""
    group_name = _string_field(data, "groupName", required=True) or ""
    check_name(name, "Property")
    check_type(type_, field_type)
    if name in existing:
        raise conflict(f"Property named '{name}' already exists.")
    if group_name not in groups or groups[group_name].archived:
        raise validation_error(
            f"Property group '{group_name}' does not exist.",
            errors=[
                {
                    "message": f"group {group_name} does not exist",
                    "code": "INVALID_GROUP",
                    "context": {"groupName": [group_name]},
                }
            ],
        )
    options: list[JsonObject] = []
    if type_ in ("enumeration", "bool"):
        options = (
            parse_options(data["options"])
            if data.get("options") is not None
            else [dict(item) for item in BOOL_OPTIONS]
            if type_ == "bool"
            else []
        )
    order = _int_field(data, "displayOrder")
    return PropertyDefinition(
        name=name,
        label=label,
        type=type_,
        field_type=field_type,
        group_name=group_name,
        created_ms=at_ms,
        updated_ms=at_ms,
        description=_string_field(data, "description") or "",
        options=options,
        display_order=-1 if order is None else order,
        has_unique_value=bool(_bool_field(data, "hasUniqueValue")),
        hidden=bool(_bool_field(data, "hidden")),
        form_field=bool(_bool_field(data, "formField")),
        calculation_formula=_string_field(data, "calculationFormula"),
        external_options=bool(_bool_field(data, "externalOptions")),
    )


_PATCHABLE = frozenset(
    {"label", "type", "fieldType", "groupName", "description", "options", "displayOrder"}
    | {"hidden", "formField", "calculationFormula"}
)


def patch_property(
    definition: PropertyDefinition | None,
    name: str,
    body: object,
    *,
    groups: Mapping[str, PropertyGroup],
    at_ms: int,
) -> None:
    """Applies a `PATCH /crm/v3/properties/{type}/{name}` body (options replaced wholesale)."""
    if definition is None or definition.archived:
        raise not_found(f"Unable to find property {name}")
    data = _require_object(body, "property")
    changes = {key: value for key, value in data.items() if key in _PATCHABLE}
    if definition.read_only_definition:
        allowed = set() if definition.read_only_options in (None, True) else {"options"}
        refused = sorted(set(changes) - allowed)
        if refused:
            raise HubSpotApiError(
                400,
                f"{name} is a HubSpot-defined property; {', '.join(refused)} cannot be changed.",
                "VALIDATION_ERROR",
                errors=[{"message": "Read-only definition", "code": "READ_ONLY_DEFINITION"}],
            )
    type_ = _string_field(changes, "type") or definition.type
    field_type = _string_field(changes, "fieldType") or definition.field_type
    check_type(type_, field_type)
    group_name = _string_field(changes, "groupName")
    if group_name is not None and (group_name not in groups or groups[group_name].archived):
        raise validation_error(f"Property group '{group_name}' does not exist.")
    options = parse_options(changes["options"]) if "options" in changes else None
    label = _string_field(changes, "label")
    description = _string_field(changes, "description")
    order = _int_field(changes, "displayOrder")
    hidden = _bool_field(changes, "hidden")
    form_field = _bool_field(changes, "formField")
    formula = _string_field(changes, "calculationFormula")
    definition.type, definition.field_type = type_, field_type
    if group_name is not None:
        definition.group_name = group_name
    if options is not None:
        definition.options = options
        definition.refresh_options()
    if label is not None:
        definition.label = label
    if description is not None:
        definition.description = description
    if order is not None:
        definition.display_order = order
    if hidden is not None:
        definition.hidden = hidden
    if form_field is not None:
        definition.form_field = form_field
    if formula is not None:
        definition.calculation_formula = formula
    definition.updated_ms = at_ms


def new_group(body: object, *, existing: Mapping[str, PropertyGroup]) -> PropertyGroup:
    data = _require_object(body, "property group")
    missing = [key for key in ("name", "label") if not data.get(key)]
    if missing:
        raise validation_error(f"Some required fields were not set: [{', '.join(missing)}]")
    name = _string_field(data, "name", required=True) or ""
    label = _string_field(data, "label", required=True) or ""
    check_name(name, "Property group")
    if name in existing:
        raise conflict(f"Property group named '{name}' already exists.")
    order = _int_field(data, "displayOrder")
    return PropertyGroup(name=name, label=label, display_order=-1 if order is None else order)
