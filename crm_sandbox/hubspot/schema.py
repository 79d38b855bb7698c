"""HubSpot property definitions and groups, as `GET /crm/v3/properties/{type}` shows them.

The sandbox pre-seeds HubSpot-defined company and deal properties (`builtin_properties`);
clients create and patch more through the API (`property_definitions`); `values` checks what is
written to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.errors import JsonObject


def _label(value: str) -> str:
    small = {"AND": "and", "OR": "or", "OF": "of"}
    return " ".join(small.get(word, word.capitalize()) for word in value.split("_"))


def option(value: str, label: str | None = None, order: int = 0) -> JsonObject:
    return {
        "label": label if label is not None else _label(value),
        "value": value,
        "displayOrder": order,
        "hidden": False,
    }


def options_of(values: Iterable[str], labels: Mapping[str, str] | None = None) -> list[JsonObject]:
    labels = labels or {}
    return [option(value, labels.get(value), order) for order, value in enumerate(values)]


BOOL_OPTIONS = [option("true", "Yes", 0), option("false", "No", 1)]


@dataclass(slots=True)
class PropertyDefinition:
    """A property as `GET /crm/v3/properties/{type}/{name}` shows it."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    created_ms: int
    updated_ms: int
    description: str = ""
    options: list[JsonObject] = field(default_factory=list)
    display_order: int = -1
    calculated: bool = False
    external_options: bool = False
    has_unique_value: bool = False
    hidden: bool = False
    hubspot_defined: bool = False
    form_field: bool = False
    read_only_value: bool = False
    read_only_definition: bool = False
    read_only_options: bool | None = None
    show_currency_symbol: bool | None = None
    calculation_formula: str | None = None
    archived: bool = False
    option_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.refresh_options()

    def refresh_options(self) -> None:
        self.option_values = tuple(str(item["value"]) for item in self.options)

    def as_json(self) -> JsonObject:
        metadata: JsonObject = {
            "archivable": not self.hubspot_defined,
            "readOnlyDefinition": self.read_only_definition,
            "readOnlyValue": self.read_only_value,
        }
        if self.read_only_options is not None:
            metadata["readOnlyOptions"] = self.read_only_options
        body: JsonObject = {
            "updatedAt": iso_ms(self.updated_ms),
            "createdAt": iso_ms(self.created_ms),
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group_name,
            "options": [dict(item) for item in self.options],
            "displayOrder": self.display_order,
            "calculated": self.calculated,
            "externalOptions": self.external_options,
            "hasUniqueValue": self.has_unique_value,
            "hidden": self.hidden,
            "modificationMetadata": metadata,
            "formField": self.form_field,
            "archived": self.archived,
        }
        if self.hubspot_defined:
            body["hubspotDefined"] = True
        if self.show_currency_symbol is not None:
            body["showCurrencySymbol"] = self.show_currency_symbol
        if self.calculation_formula is not None:
            body["calculationFormula"] = self.calculation_formula
        return body


@dataclass(slots=True)
class PropertyGroup:
    name: str
    label: str
    display_order: int = -1
    archived: bool = False

    def as_json(self) -> JsonObject:
        return {
            "name": self.name,
            "label": self.label,
            "displayOrder": self.display_order,
            "archived": self.archived,
        }
