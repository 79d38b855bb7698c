"""Values written to HubSpot properties: every value is a string (hubspot.md § conventions), and
`validate_value` turns what a client wrote into the stored string or raises `InvalidValue`
naming HubSpot's code:

- `PROPERTY_DOESNT_EXIST`, `INVALID_OPTION` ("X was not one of the allowed options: [a, b]"),
  `INVALID_INTEGER` ("X was not a valid number."), `INVALID_DATE`,
  `LEADING_TRAILING_WHITESPACE` (non-string values, HubSpot's 2025 rule);
- `READ_ONLY_VALUE` for read-only/calculated properties and `STRING_TOO_LONG` (> 65,536
  characters): HubSpot's codes for these are not confirmed (hubspot.md summary), these are ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from crm_sandbox.core.times import DAY_MS, iso_ms
from crm_sandbox.hubspot.errors import PropertyValueError
from crm_sandbox.hubspot.schema import PropertyDefinition

MAX_STRING_LENGTH = 65_536
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_EPOCH_MS = re.compile(r"^-?\d{1,16}$")


def parse_datetime_ms(value: str) -> int | None:
    """Epoch milliseconds from epoch-ms digits or an ISO-8601 date/time (UTC when no offset)."""
    text = value.strip()
    if _EPOCH_MS.match(text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return int(moment.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return None


def as_property_string(raw: object) -> str | None:
    """The string a JSON value stands for (HubSpot coerces numbers and booleans); None if the
    value is a list or object, which no property takes."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, str):
        return raw
    return None


def validate_value(definition: PropertyDefinition | None, name: str, raw: object) -> str:
    """The string to store (`""` clears); raises `InvalidValue` naming the problem."""
    if definition is None or definition.archived:
        raise InvalidValue(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
    if definition.read_only_value:
        raise InvalidValue(
            name, "READ_ONLY_VALUE", f"{name} is a read only property; its value cannot be set."
        )
    value = as_property_string(raw)
    if value is None:
        raise InvalidValue(name, "INVALID_PROPERTY_VALUE", f"{raw!r} is not a valid property value")
    if value == "":
        return ""
    kind = definition.type
    if kind == "string" or kind == "phone_number":
        if len(value) > MAX_STRING_LENGTH:
            raise InvalidValue(
                name,
                "STRING_TOO_LONG",
                f"{name} is {len(value)} characters long; the maximum is {MAX_STRING_LENGTH}.",
            )
        return value
    if value != value.strip():
        raise InvalidValue(
            name,
            "LEADING_TRAILING_WHITESPACE",
            f'"{value}" includes leading or trailing whitespace.',
        )
    if kind == "number":
        if not _NUMBER.match(value):
            raise InvalidValue(name, "INVALID_INTEGER", f"{value} was not a valid number.")
        return value
    if kind == "datetime" or kind == "date":
        return _date_value(definition, name, value)
    if kind == "bool":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise _invalid_option(name, value, ("true", "false"))
        return lowered
    if kind == "enumeration":
        if definition.field_type == "checkbox":
            chosen: list[str] = []
            for part in value.split(";"):
                if not part:
                    continue
                if part not in definition.option_values:
                    raise _invalid_option(name, part, definition.option_values)
                if part not in chosen:
                    chosen.append(part)
            return ";".join(chosen)
        if definition.external_options or value in definition.option_values:
            return value
        raise _invalid_option(name, value, definition.option_values)
    return value


def _date_value(definition: PropertyDefinition, name: str, value: str) -> str:
    at_ms = parse_datetime_ms(value)
    if at_ms is None:
        raise InvalidValue(
            name,
            "INVALID_DATE",
            f"{value} is not a valid {definition.type}: use epoch milliseconds or ISO-8601.",
        )
    if definition.type == "date":
        if at_ms % DAY_MS:
            raise InvalidValue(
                name, "INVALID_DATE", f"{value} is not a date at midnight UTC (a date property)."
            )
        return iso_ms(at_ms)[:10]
    return iso_ms(at_ms)


class InvalidValue(ValueError):
    """A value a property does not take; `problem` is what the 400 reports."""

    def __init__(self, name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = PropertyValueError(name=name, code=code, message=message)


def _invalid_option(name: str, value: str, options: Iterable[str]) -> InvalidValue:
    return InvalidValue(
        name,
        "INVALID_OPTION",
        f"{value} was not one of the allowed options: [{', '.join(options)}]",
    )
