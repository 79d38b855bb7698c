"""The company and contact properties icp-sync writes back, and the idempotent setup that
creates them.

On companies and on contacts alike, a group `icp_sync` ("ICP Sync") holding:

| name                | type        | fieldType       | holds                                    |
|---------------------|-------------|-----------------|------------------------------------------|
| icp_fit_score       | number      | number          | 0-100                                    |
| icp_tier            | enumeration | select          | the rubric's tiers + `disqualified`      |
| icp_disqualified    | bool        | booleancheckbox | `true` / `false`                         |
| icp_flags           | enumeration | checkbox        | the rubric's disqualifier ids, `;`-joined|
| icp_reasons         | string      | textarea        | one reason per line                      |
| icp_scored_at       | datetime    | date            | when the score was computed              |
| icp_rubric_version  | string      | text            | which rubric scored it                   |

`ensure_schema` reads each definition and only writes when something differs: create on 404
(a 409 from a concurrent setup counts as "exists" and is compared like any other), PATCH when
the label, type, group, description or our options differ. Options HubSpot holds beyond ours
(a flag since removed from the rubric) are kept, so values already on records stay valid. A
second run therefore makes read calls only and reports everything `unchanged`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.base import SchemaChange
from connectors.errors import RejectedError

OBJECT_TYPES = ("companies", "contacts")
"""Where the properties are defined: each record type has its own definitions."""
GROUP_NAME = "icp_sync"
GROUP_LABEL = "ICP Sync"
DISQUALIFIED = "disqualified"

FIT_SCORE = "icp_fit_score"
TIER = "icp_tier"
DISQUALIFIED_FLAG = "icp_disqualified"
FLAGS = "icp_flags"
REASONS = "icp_reasons"
SCORED_AT = "icp_scored_at"
RUBRIC_VERSION = "icp_rubric_version"
WRITEBACK_PROPERTIES = (
    FIT_SCORE,
    TIER,
    DISQUALIFIED_FLAG,
    FLAGS,
    REASONS,
    SCORED_AT,
    RUBRIC_VERSION,
)


@dataclass(frozen=True, slots=True)
class OptionSpec:
    value: str
    label: str
    display_order: int

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "displayOrder": self.display_order,
            "hidden": False,
        }


@dataclass(frozen=True, slots=True)
class PropertySpec:
    name: str
    label: str
    type: str
    field_type: str
    description: str
    options: tuple[OptionSpec, ...] = ()
    group_name: str = GROUP_NAME

    def create_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "description": self.description,
        }
        if self.type in ("enumeration", "bool"):
            body["options"] = [option.as_json() for option in self.options]
        return body


class SchemaClient(Protocol):
    """What `ensure_schema` needs from the HubSpot client."""

    def get_group(self, object_type: Any, name: str) -> dict[str, Any] | None: ...
    def create_group(self, object_type: Any, definition: Mapping[str, Any]) -> dict[str, Any]: ...
    def update_group(
        self, object_type: Any, name: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def get_property(self, object_type: Any, name: str) -> dict[str, Any] | None: ...
    def create_property(
        self, object_type: Any, definition: Mapping[str, Any]
    ) -> dict[str, Any]: ...
    def update_property(
        self, object_type: Any, name: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]: ...


def writeback_properties(tiers: Sequence[str], flags: Sequence[str]) -> list[PropertySpec]:
    """The definitions for a rubric with these tier names and disqualifier ids."""
    tier_values = [*dict.fromkeys(t for t in tiers if t != DISQUALIFIED), DISQUALIFIED]
    return [
        PropertySpec(FIT_SCORE, "ICP fit score", "number", "number", "ICP fit, 0-100 (icp-sync)"),
        PropertySpec(
            TIER,
            "ICP tier",
            "enumeration",
            "select",
            "ICP tier from the score; `Disqualified` when a negative-ICP rule holds (icp-sync)",
            _options(tier_values),
        ),
        PropertySpec(
            DISQUALIFIED_FLAG,
            "ICP disqualified",
            "bool",
            "booleancheckbox",
            "Yes when a negative-ICP rule holds (icp-sync)",
            (OptionSpec("true", "Yes", 0), OptionSpec("false", "No", 1)),
        ),
        PropertySpec(
            FLAGS,
            "ICP flags",
            "enumeration",
            "checkbox",
            "The negative-ICP rules that hold (icp-sync)",
            _options(dict.fromkeys(flags)),
        ),
        PropertySpec(
            REASONS,
            "ICP reasons",
            "string",
            "textarea",
            "Why this score, one line per rule (icp-sync)",
        ),
        PropertySpec(
            SCORED_AT, "ICP scored at", "datetime", "date", "When the score was computed (icp-sync)"
        ),
        PropertySpec(
            RUBRIC_VERSION,
            "ICP rubric version",
            "string",
            "text",
            "The rubric version that scored it (icp-sync)",
        ),
    ]


def option_label(value: str) -> str:
    """`tier_1` → `Tier 1`, `too_small` → `Too small`."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else value


def ensure_schema(
    client: SchemaClient, specs: Iterable[PropertySpec], *, contacts: bool = True
) -> list[SchemaChange]:
    """Creates or updates the group and each property on companies, then (`contacts`) on
    contacts; idempotent (see the module docstring). A contact's change is named
    `contacts.<name>`."""
    wanted = list(specs)
    changes: list[SchemaChange] = []
    for object_type in OBJECT_TYPES if contacts else OBJECT_TYPES[:1]:
        found = [_ensure_group(client, object_type)]
        found.extend(_ensure_property(client, object_type, spec) for spec in wanted)
        prefix = "" if object_type == "companies" else f"{object_type}."
        changes.extend(SchemaChange(c.kind, prefix + c.name, c.action) for c in found)
    return changes


def property_changes(spec: PropertySpec, existing: Mapping[str, Any]) -> dict[str, Any]:
    """The PATCH body that brings `existing` to `spec`; empty when nothing differs."""
    changes: dict[str, Any] = {}
    wanted = spec.create_body()
    for key in ("label", "type", "fieldType", "groupName", "description"):
        if key == "description" and key not in existing:
            continue  # a server that does not keep descriptions must not cause a PATCH per run
        if existing.get(key) != wanted[key]:
            changes[key] = wanted[key]
    if "options" in wanted:
        merged = merged_options(spec.options, existing.get("options"))
        if merged is not None:
            changes["options"] = merged
    if "type" in changes or "fieldType" in changes:
        changes.setdefault("type", wanted["type"])
        changes.setdefault("fieldType", wanted["fieldType"])
    return changes


def merged_options(wanted: Sequence[OptionSpec], existing: object) -> list[dict[str, Any]] | None:
    """Our options followed by any others HubSpot holds, or None when ours are already there
    as we define them (HubSpot replaces options wholesale on PATCH, so send the full list)."""
    current = {
        str(option.get("value")): option
        for option in (existing if isinstance(existing, list) else [])
        if isinstance(option, Mapping)
    }
    in_step = all(
        (found := current.get(option.value)) is not None
        and found.get("label") == option.label
        and found.get("displayOrder", option.display_order) == option.display_order
        and not found.get("hidden", False)
        for option in wanted
    )
    if in_step:
        return None
    ours = {option.value for option in wanted}
    extras = [
        {
            "label": option.get("label") or value,
            "value": value,
            "displayOrder": len(wanted) + index,
            "hidden": bool(option.get("hidden", False)),
        }
        for index, (value, option) in enumerate(
            (value, option) for value, option in current.items() if value not in ours
        )
    ]
    return [option.as_json() for option in wanted] + extras


def _ensure_group(client: SchemaClient, object_type: str) -> SchemaChange:
    existing = client.get_group(object_type, GROUP_NAME)
    if existing is None:
        try:
            client.create_group(
                object_type, {"name": GROUP_NAME, "label": GROUP_LABEL, "displayOrder": -1}
            )
            return SchemaChange("property_group", GROUP_NAME, "created")
        except RejectedError as error:
            if error.status != 409:
                raise
            existing = client.get_group(object_type, GROUP_NAME) or {"label": GROUP_LABEL}
    if existing.get("label") != GROUP_LABEL:
        client.update_group(object_type, GROUP_NAME, {"label": GROUP_LABEL})
        return SchemaChange("property_group", GROUP_NAME, "updated")
    return SchemaChange("property_group", GROUP_NAME, "unchanged")


def _ensure_property(client: SchemaClient, object_type: str, spec: PropertySpec) -> SchemaChange:
    existing = client.get_property(object_type, spec.name)
    if existing is None:
        try:
            client.create_property(object_type, spec.create_body())
            return SchemaChange("property", spec.name, "created")
        except RejectedError as error:
            if error.status != 409:
                raise
            existing = client.get_property(object_type, spec.name)
            if existing is None:
                raise
    changes = property_changes(spec, existing)
    if not changes:
        return SchemaChange("property", spec.name, "unchanged")
    client.update_property(object_type, spec.name, changes)
    return SchemaChange("property", spec.name, "updated")


def _options(values: Iterable[str]) -> tuple[OptionSpec, ...]:
    return tuple(
        OptionSpec(value, option_label(value), order) for order, value in enumerate(values)
    )
