"""Property definitions of the HubSpot sandbox, and validation of the values written to them.

HubSpot-defined company and deal properties are pre-seeded with their real type/fieldType
(hubspot.md §6, §7); `icp_buying_signals` is a custom company property. Every value is a string
(§ conventions); `validate_value` turns what a client wrote into the stored string or a
`PropertyValueError` with HubSpot's code:

- `PROPERTY_DOESNT_EXIST`, `INVALID_OPTION` ("X was not one of the allowed options: [a, b]"),
  `INVALID_INTEGER` ("X was not a valid number."), `INVALID_DATE`,
  `LEADING_TRAILING_WHITESPACE` (non-string values, HubSpot's 2025 rule);
- `READ_ONLY_VALUE` for read-only/calculated properties and `STRING_TOO_LONG` (> 65,536
  characters): HubSpot's codes for these are not confirmed (hubspot.md summary), these are ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_sandbox.core.seed import BUYING_SIGNALS, DEAL_STAGES, TECHNOLOGIES, iso_ms
from crm_sandbox.hubspot.errors import (
    HubSpotApiError,
    JsonObject,
    PropertyValueError,
    conflict,
    not_found,
    validation_error,
)

MAX_STRING_LENGTH = 65_536
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
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_EPOCH_MS = re.compile(r"^-?\d{1,16}$")
DAY_MS = 86_400_000

#: Every LinkedIn-style industry value HubSpot offers (a portal may add more).
INDUSTRY_OPTIONS: tuple[str, ...] = (
    "ACCOUNTING", "AIRLINES_AVIATION", "ALTERNATIVE_DISPUTE_RESOLUTION", "ALTERNATIVE_MEDICINE",
    "ANIMATION", "APPAREL_FASHION", "ARCHITECTURE_PLANNING", "ARTS_AND_CRAFTS", "AUTOMOTIVE",
    "AVIATION_AEROSPACE", "BANKING", "BIOTECHNOLOGY", "BROADCAST_MEDIA", "BUILDING_MATERIALS",
    "BUSINESS_SUPPLIES_AND_EQUIPMENT", "CAPITAL_MARKETS", "CHEMICALS",
    "CIVIC_SOCIAL_ORGANIZATION", "CIVIL_ENGINEERING", "COMMERCIAL_REAL_ESTATE",
    "COMPUTER_NETWORK_SECURITY", "COMPUTER_GAMES", "COMPUTER_HARDWARE", "COMPUTER_NETWORKING",
    "COMPUTER_SOFTWARE", "INTERNET", "CONSTRUCTION", "CONSUMER_ELECTRONICS", "CONSUMER_GOODS",
    "CONSUMER_SERVICES", "COSMETICS", "DAIRY", "DEFENSE_SPACE", "DESIGN", "EDUCATION_MANAGEMENT",
    "E_LEARNING", "ELECTRICAL_ELECTRONIC_MANUFACTURING", "ENTERTAINMENT",
    "ENVIRONMENTAL_SERVICES", "EVENTS_SERVICES", "EXECUTIVE_OFFICE", "FACILITIES_SERVICES",
    "FARMING", "FINANCIAL_SERVICES", "FINE_ART", "FISHERY", "FOOD_BEVERAGES", "FOOD_PRODUCTION",
    "FUND_RAISING", "FURNITURE", "GAMBLING_CASINOS", "GLASS_CERAMICS_CONCRETE",
    "GOVERNMENT_ADMINISTRATION", "GOVERNMENT_RELATIONS", "GRAPHIC_DESIGN",
    "HEALTH_WELLNESS_AND_FITNESS", "HIGHER_EDUCATION", "HOSPITAL_HEALTH_CARE", "HOSPITALITY",
    "HUMAN_RESOURCES", "IMPORT_AND_EXPORT", "INDIVIDUAL_FAMILY_SERVICES",
    "INDUSTRIAL_AUTOMATION", "INFORMATION_SERVICES", "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "INSURANCE", "INTERNATIONAL_AFFAIRS", "INTERNATIONAL_TRADE_AND_DEVELOPMENT",
    "INVESTMENT_BANKING", "INVESTMENT_MANAGEMENT", "JUDICIARY", "LAW_ENFORCEMENT",
    "LAW_PRACTICE", "LEGAL_SERVICES", "LEGISLATIVE_OFFICE", "LEISURE_TRAVEL_TOURISM",
    "LIBRARIES", "LOGISTICS_AND_SUPPLY_CHAIN", "LUXURY_GOODS_JEWELRY", "MACHINERY",
    "MANAGEMENT_CONSULTING", "MARITIME", "MARKET_RESEARCH", "MARKETING_AND_ADVERTISING",
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "MEDIA_PRODUCTION", "MEDICAL_DEVICES",
    "MEDICAL_PRACTICE", "MENTAL_HEALTH_CARE", "MILITARY", "MINING_METALS", "MOBILE_GAMES",
    "MOTION_PICTURES_AND_FILM", "MUSEUMS_AND_INSTITUTIONS", "MUSIC", "NANOTECHNOLOGY",
    "NEWSPAPERS", "NON_PROFIT_ORGANIZATION_MANAGEMENT", "OIL_ENERGY", "ONLINE_MEDIA",
    "OUTSOURCING_OFFSHORING", "PACKAGE_FREIGHT_DELIVERY", "PACKAGING_AND_CONTAINERS",
    "PAPER_FOREST_PRODUCTS", "PERFORMING_ARTS", "PHARMACEUTICALS", "PHILANTHROPY",
    "PHOTOGRAPHY", "PLASTICS", "POLITICAL_ORGANIZATION", "PRIMARY_SECONDARY_EDUCATION",
    "PRINTING", "PROFESSIONAL_TRAINING_COACHING", "PROGRAM_DEVELOPMENT", "PUBLIC_POLICY",
    "PUBLIC_RELATIONS_AND_COMMUNICATIONS", "PUBLIC_SAFETY", "PUBLISHING", "RAILROAD_MANUFACTURE",
    "RANCHING", "REAL_ESTATE", "RECREATIONAL_FACILITIES_AND_SERVICES", "RELIGIOUS_INSTITUTIONS",
    "RENEWABLES_ENVIRONMENT", "RESEARCH", "RESTAURANTS", "RETAIL", "SECURITY_AND_INVESTIGATIONS",
    "SEMICONDUCTORS", "SHIPBUILDING", "SPORTING_GOODS", "SPORTS", "STAFFING_AND_RECRUITING",
    "SUPERMARKETS", "TELECOMMUNICATIONS", "TEXTILES", "THINK_TANKS", "TOBACCO",
    "TRANSLATION_AND_LOCALIZATION", "TRANSPORTATION_TRUCKING_RAILROAD", "UTILITIES",
    "VENTURE_CAPITAL_PRIVATE_EQUITY", "VETERINARY", "WAREHOUSING", "WHOLESALE",
    "WINE_AND_SPIRITS", "WIRELESS", "WRITING_AND_EDITING",
)  # fmt: skip

#: Default pipeline stage → win probability (`hs_deal_stage_probability`).
STAGE_PROBABILITY: dict[str, str] = {
    "appointmentscheduled": "0.2",
    "qualifiedtobuy": "0.4",
    "presentationscheduled": "0.6",
    "decisionmakerboughtin": "0.8",
    "contractsent": "0.9",
    "closedwon": "1",
    "closedlost": "0",
}
_STAGE_LABELS = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}


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


def _options(values: Iterable[str], labels: Mapping[str, str] | None = None) -> list[JsonObject]:
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
class StoredRecord:
    """One company or deal as the sandbox holds it: every value a non-empty string."""

    id: str
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    archived: bool = False
    archived_ms: int | None = None

    @property
    def id_int(self) -> int:
        return int(self.id)


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


def _builtin(
    name: str,
    label: str,
    type_: str,
    field_type: str,
    group: str,
    at_ms: int,
    *,
    options: list[JsonObject] | None = None,
    read_only: bool = False,
    calculated: bool = False,
    hubspot_defined: bool = True,
    read_only_options: bool | None = None,
    **extra: Any,
) -> PropertyDefinition:
    return PropertyDefinition(
        name=name,
        label=label,
        type=type_,
        field_type=field_type,
        group_name=group,
        created_ms=at_ms,
        updated_ms=at_ms,
        options=options or [],
        read_only_value=read_only,
        read_only_definition=hubspot_defined,
        read_only_options=read_only_options,
        calculated=calculated,
        hubspot_defined=hubspot_defined,
        form_field=not read_only,
        **extra,
    )


def company_groups() -> list[PropertyGroup]:
    return [
        PropertyGroup("companyinformation", "Company information", 0),
        PropertyGroup("company_activity", "Company activity", 1),
        PropertyGroup("target_accounts", "Target accounts", 2),
    ]


def deal_groups() -> list[PropertyGroup]:
    return [
        PropertyGroup("dealinformation", "Deal information", 0),
        PropertyGroup("deal_activity", "Deal activity", 1),
    ]


def company_properties(at_ms: int) -> list[PropertyDefinition]:
    """HubSpot-defined company properties (and the portal's custom `icp_buying_signals`)."""
    info, activity, target = "companyinformation", "company_activity", "target_accounts"
    return [
        _builtin("name", "Company name", "string", "text", info, at_ms),
        _builtin("domain", "Company domain name", "string", "text", info, at_ms),
        _builtin("website", "Website URL", "string", "text", info, at_ms),
        _builtin(
            "industry",
            "Industry",
            "enumeration",
            "select",
            info,
            at_ms,
            options=_options(INDUSTRY_OPTIONS),
            read_only_options=False,
        ),
        _builtin("numberofemployees", "Number of Employees", "number", "number", info, at_ms),
        _builtin(
            "annualrevenue",
            "Annual Revenue",
            "number",
            "number",
            info,
            at_ms,
            show_currency_symbol=True,
        ),
        _builtin("country", "Country/Region", "string", "text", info, at_ms),
        _builtin("state", "State/Region", "string", "text", info, at_ms),
        _builtin("city", "City", "string", "text", info, at_ms),
        _builtin("zip", "Postal Code", "string", "text", info, at_ms),
        _builtin("description", "Description", "string", "textarea", info, at_ms),
        _builtin(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=_options(
                (
                    "subscriber",
                    "lead",
                    "marketingqualifiedlead",
                    "salesqualifiedlead",
                    "opportunity",
                    "customer",
                    "evangelist",
                    "other",
                ),
            ),
            read_only_options=False,
        ),
        _builtin(
            "type",
            "Type",
            "enumeration",
            "select",
            info,
            at_ms,
            options=_options(("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER")),
            read_only_options=False,
        ),
        _builtin(
            "web_technologies",
            "Web Technologies",
            "enumeration",
            "checkbox",
            info,
            at_ms,
            options=_options(TECHNOLOGIES, {tool: tool for tool in TECHNOLOGIES}),
            read_only_options=False,
        ),
        _builtin(
            "notes_last_updated",
            "Last Activity Date",
            "datetime",
            "date",
            activity,
            at_ms,
            read_only=True,
            calculated=True,
        ),
        _builtin("createdate", "Create Date", "datetime", "date", info, at_ms, read_only=True),
        _builtin(
            "hs_lastmodifieddate",
            "Last Modified Date",
            "datetime",
            "date",
            info,
            at_ms,
            read_only=True,
            calculated=True,
        ),
        _builtin("hs_object_id", "Record ID", "number", "number", info, at_ms, read_only=True),
        _builtin(
            "hs_ideal_customer_profile",
            "Ideal Customer Profile Tier",
            "enumeration",
            "radio",
            target,
            at_ms,
            options=_options(
                ("tier_1", "tier_2", "tier_3"),
                {"tier_1": "Tier 1", "tier_2": "Tier 2", "tier_3": "Tier 3"},
            ),
            read_only_options=True,
        ),
        _builtin(
            "hs_is_target_account",
            "Target Account",
            "bool",
            "booleancheckbox",
            target,
            at_ms,
            options=[dict(item) for item in BOOL_OPTIONS],
            read_only_options=True,
        ),
        _builtin(
            "icp_buying_signals",
            "ICP buying signals",
            "enumeration",
            "checkbox",
            info,
            at_ms,
            options=_options(BUYING_SIGNALS),
            hubspot_defined=False,
        ),
    ]


def deal_properties(at_ms: int) -> list[PropertyDefinition]:
    info = "dealinformation"
    return [
        _builtin("dealname", "Deal Name", "string", "text", info, at_ms),
        _builtin("amount", "Amount", "number", "number", info, at_ms, show_currency_symbol=True),
        _builtin(
            "dealstage",
            "Deal Stage",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=_options(DEAL_STAGES, _STAGE_LABELS),
            read_only_options=False,
        ),
        _builtin(
            "pipeline",
            "Pipeline",
            "enumeration",
            "select",
            info,
            at_ms,
            options=[option("default", "Sales Pipeline", 0)],
            read_only_options=False,
        ),
        _builtin("closedate", "Close Date", "datetime", "date", info, at_ms),
        _builtin(
            "dealtype",
            "Deal Type",
            "enumeration",
            "radio",
            info,
            at_ms,
            options=_options(
                ("newbusiness", "existingbusiness"),
                {"newbusiness": "New Business", "existingbusiness": "Existing Business"},
            ),
            read_only_options=False,
        ),
        _builtin("description", "Deal Description", "string", "textarea", info, at_ms),
        _builtin("createdate", "Create Date", "datetime", "date", info, at_ms, read_only=True),
        _builtin(
            "hs_lastmodifieddate",
            "Last Modified Date",
            "datetime",
            "date",
            info,
            at_ms,
            read_only=True,
            calculated=True,
        ),
        _builtin("hs_object_id", "Record ID", "number", "number", info, at_ms, read_only=True),
        _builtin(
            "hs_is_closed",
            "Is Deal Closed?",
            "bool",
            "booleancheckbox",
            info,
            at_ms,
            options=[dict(item) for item in BOOL_OPTIONS],
            read_only=True,
            calculated=True,
        ),
        _builtin(
            "hs_is_closed_won",
            "Is Closed Won",
            "bool",
            "booleancheckbox",
            info,
            at_ms,
            options=[dict(item) for item in BOOL_OPTIONS],
            read_only=True,
            calculated=True,
        ),
        _builtin(
            "hs_deal_stage_probability",
            "Deal Stage Probability",
            "number",
            "number",
            info,
            at_ms,
            read_only=True,
            calculated=True,
        ),
    ]


# --- values --------------------------------------------------------------------------------


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


# --- definitions written through the API ----------------------------------------------------


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
