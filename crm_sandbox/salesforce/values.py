"""Field values of the sandbox org: how datetimes, dates and records are written, and which
values a field takes.

Datetimes are kept as epoch milliseconds and rendered `2024-05-01T12:34:56.000+0000`; dates are
`YYYY-MM-DD` strings; `render_record` writes a record as the REST API answers it.
`check_writable` raises the `SalesforceError` a write of an unknown, read-only or bad value gets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from crm_sandbox.core.times import iso_ms
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef


def sf_datetime(epoch_ms: int) -> str:
    """`2024-05-01T12:34:56.000+0000`: how the REST API renders datetimes."""
    return iso_ms(epoch_ms)[:-1] + "+0000"


def parse_datetime_ms(text: str) -> int:
    """Epoch ms of an ISO 8601 datetime with a zone (`Z`, `+02:00` or `+0200`); ValueError
    if it is not one."""
    normalized = text.replace("Z", "+00:00")
    if len(normalized) > 5 and normalized[-5] in "+-" and normalized[-4:].isdigit():
        normalized = normalized[:-2] + ":" + normalized[-2:]
    moment = datetime.fromisoformat(normalized)
    if moment.tzinfo is None:
        raise ValueError(f"datetime without a zone: {text}")
    return int(moment.astimezone(UTC).timestamp() * 1000)


def sf_date(epoch_ms: int) -> str:
    return iso_ms(epoch_ms)[:10]


def render_record(
    record: Mapping[str, Any],
    fields: Sequence[str],
    object_name: str,
    version: str,
    schema: Mapping[str, FieldDef],
) -> dict[str, Any]:
    """A record as the REST API answers it: `attributes`, then `fields` in order."""
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


def check_writable(
    object_name: str, fields: Mapping[str, FieldDef], values: Mapping[str, Any]
) -> None:
    """Every field exists on the object, is writable, and has a value of its type."""
    for name, value in values.items():
        definition = fields.get(name)
        if definition is None:
            raise SalesforceError(
                "INVALID_FIELD",
                f"No such column '{name}' on sobject of type {object_name}",
            )
        if not definition.updateable:
            raise SalesforceError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {name}. Please check the security "
                "settings of this field and verify that it is read/write for your "
                "profile or permission set.",
                fields=(name,),
            )
        check_value(definition, value)


def check_value(definition: FieldDef, value: Any) -> None:
    """Raises the error Salesforce answers a write of `value` to this field with, if any."""
    name = definition.name
    if value is None:
        if not definition.nillable:
            raise SalesforceError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", fields=(name,)
            )
        if definition.restricted:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition.label or name}: bad value for restricted picklist field: null",
                fields=(name,),
            )
        return
    kind = definition.type
    if kind in ("int", "double", "currency"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SalesforceError(
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of {kind} from value {value!r} for field {name}",
            )
        if abs(value) >= 1e18:
            raise SalesforceError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{definition.label or name}: value outside of valid range on numeric field",
                fields=(name,),
            )
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Cannot deserialize boolean from {value!r} for field {name}"
            )
        return
    if not isinstance(value, str):
        raise SalesforceError(
            "JSON_PARSER_ERROR", f"Cannot deserialize {kind} from {value!r} for field {name}"
        )
    if kind in ("date", "datetime"):
        try:
            if kind == "date":
                date.fromisoformat(value)
            else:
                parse_datetime_ms(value)
        except ValueError:
            raise SalesforceError(
                "JSON_PARSER_ERROR", f"Cannot deserialize {kind} from {value!r} for field {name}"
            ) from None
        return
    if kind == "picklist" and definition.restricted and value not in definition.picklist:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{definition.label or name}: bad value for restricted picklist field: {value}",
            fields=(name,),
        )
    if kind == "multipicklist" and definition.restricted:
        unknown = [part for part in value.split(";") if part and part not in definition.picklist]
        if unknown:
            raise SalesforceError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{definition.label or name}: bad value for restricted picklist field: "
                f"{unknown[0]}",
                fields=(name,),
            )
    if len(value) > definition.length and kind not in ("date", "datetime"):
        raise SalesforceError(
            "STRING_TOO_LONG",
            f"{definition.label or name}: data value too large: {value[:40]} "
            f"(max length={definition.length})",
            fields=(name,),
        )
