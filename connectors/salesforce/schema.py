"""The custom fields icp-sync writes on Account and Lead, and the idempotent setup that makes
them through the Tooling API.

| field                  | type                       | holds                                  |
|------------------------|----------------------------|----------------------------------------|
| ICP_Fit_Score__c       | Number(3, 0)               | 0-100                                  |
| ICP_Tier__c            | Picklist, restricted       | the rubric's tiers + `disqualified`    |
| ICP_Disqualified__c    | Checkbox (default false)   | true when a negative-ICP rule holds    |
| ICP_Flags__c           | MultiselectPicklist        | the rubric's disqualifier ids          |
| ICP_Reasons__c         | LongTextArea(32768)        | one reason per line                    |
| ICP_Scored_At__c       | DateTime                   | when the score was computed            |
| ICP_Rubric_Version__c  | Text(64)                   | which rubric scored it                 |

Flags are a multi-select picklist, so a list view or an assignment rule can filter on one flag
("includes competitor"). It is not restricted: a disqualifier added to the rubric later can be
written before setup runs again (the API accepts values an unrestricted picklist lacks). A
multi-select picklist needs at least one value, so a rubric without disqualifiers gets a
LongTextArea instead (always written empty). The tier picklist is restricted, so a typo in a
tier cannot creep in; the tier values are the rubric's tier names plus `disqualified`, labelled
`Tier 1`… as in HubSpot.

`ensure_schema` describes Account and Lead and creates each missing field (`POST
tooling/sobjects/CustomField`); a field present is reported `unchanged` and left as it is
(a tier missing from its picklist is logged: writes of that tier fail per record until an
admin adds it). A second run creates nothing. A field the Tooling API lists although describe
does not show it (or shows it read-only), and every field just created, is hidden from the
integration user by field-level security: setup grants it read and edit through a permission set
(`field_access`), or, when the user may not, raises `FieldAccessDenied` with the admin's steps.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.base import SchemaChange
from connectors.errors import RejectedError
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.field_access import (
    AccessClient,
    FieldAccess,
    FieldAccessDenied,
    field_access,
    grant_field_access,
    manual_steps,
)

logger = logging.getLogger(__name__)

DISQUALIFIED = "disqualified"
OBJECTS = ("Account", "Lead")
REASONS_LENGTH = 32_768
"""LongTextArea size of the reasons field (Salesforce allows up to 131,072)."""
RUBRIC_VERSION_LENGTH = 64

FIT_SCORE = "ICP_Fit_Score__c"
TIER = "ICP_Tier__c"
DISQUALIFIED_FLAG = "ICP_Disqualified__c"
FLAGS = "ICP_Flags__c"
REASONS = "ICP_Reasons__c"
SCORED_AT = "ICP_Scored_At__c"
RUBRIC_VERSION = "ICP_Rubric_Version__c"
WRITEBACK_FIELDS = (FIT_SCORE, TIER, DISQUALIFIED_FLAG, FLAGS, REASONS, SCORED_AT, RUBRIC_VERSION)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One custom field as the Tooling API's `CustomField.Metadata` takes it."""

    name: str
    metadata: Mapping[str, Any]
    picklist: tuple[str, ...] = field(default=())

    def full_name(self, object_name: str) -> str:
        return f"{object_name}.{self.name}"


class SchemaClient(AccessClient, Protocol):
    user_id: str | None

    def create_custom_field(
        self, full_name: str, metadata: Mapping[str, Any]
    ) -> dict[str, Any]: ...


def option_label(value: str) -> str:
    """`tier_1` → `Tier 1`, `too_small` → `Too small`."""
    text = value.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else value


def writeback_fields(tiers: Sequence[str], flags: Sequence[str]) -> list[FieldSpec]:
    """The seven field definitions for a rubric with these tier names and disqualifier ids."""
    tier_values = (*dict.fromkeys(t for t in tiers if t != DISQUALIFIED), DISQUALIFIED)
    flag_values = tuple(dict.fromkeys(flags))
    flags_field = (
        FieldSpec(
            FLAGS,
            {
                "label": "ICP Flags",
                "type": "MultiselectPicklist",
                "visibleLines": min(max(len(flag_values), 3), 10),
                "description": "The negative-ICP rules that hold (icp-sync)",
                "valueSet": _value_set(flag_values, restricted=False),
            },
            flag_values,
        )
        if flag_values
        else FieldSpec(
            FLAGS,
            {
                "label": "ICP Flags",
                "type": "LongTextArea",
                "length": 4_096,
                "visibleLines": 3,
                "description": "The negative-ICP rules that hold, ;-separated (icp-sync)",
            },
        )
    )
    return [
        FieldSpec(
            FIT_SCORE,
            {
                "label": "ICP Fit Score",
                "type": "Number",
                "precision": 3,
                "scale": 0,
                "description": "ICP fit, 0-100 (icp-sync)",
            },
        ),
        FieldSpec(
            TIER,
            {
                "label": "ICP Tier",
                "type": "Picklist",
                "description": "ICP tier from the score; disqualified when a negative-ICP rule "
                "holds (icp-sync)",
                "valueSet": _value_set(tier_values, restricted=True),
            },
            tier_values,
        ),
        FieldSpec(
            DISQUALIFIED_FLAG,
            {
                "label": "ICP Disqualified",
                "type": "Checkbox",
                "defaultValue": "false",
                "description": "Checked when a negative-ICP rule holds (icp-sync)",
            },
        ),
        flags_field,
        FieldSpec(
            REASONS,
            {
                "label": "ICP Reasons",
                "type": "LongTextArea",
                "length": REASONS_LENGTH,
                "visibleLines": 10,
                "description": "Why this score, one line per rule (icp-sync)",
            },
        ),
        FieldSpec(
            SCORED_AT,
            {
                "label": "ICP Scored At",
                "type": "DateTime",
                "description": "When the score was computed (icp-sync)",
            },
        ),
        FieldSpec(
            RUBRIC_VERSION,
            {
                "label": "ICP Rubric Version",
                "type": "Text",
                "length": RUBRIC_VERSION_LENGTH,
                "description": "The rubric version that scored it (icp-sync)",
            },
        ),
    ]


def ensure_schema(client: SchemaClient, specs: Sequence[FieldSpec]) -> list[SchemaChange]:
    """Creates each missing field on Account and Lead, then makes sure the integration user can
    read and edit them all (`field_access`); idempotent (see the module docstring). Field
    changes are named `Object.Field__c`, Account's first; grants follow. Raises
    `FieldAccessDenied` (with the admin's steps and the changes made) when the user may not
    grant itself access."""
    changes: list[SchemaChange] = []
    to_grant: list[FieldAccess] = []
    for object_name in OBJECTS:
        shown = fields_by_name(client.describe(object_name))
        names = [spec.name for spec in specs]
        states = field_access(client, object_name, names, described=shown)
        for spec, access in zip(specs, states, strict=True):
            changes.append(_ensure_field(client, spec, access, shown))
            if access.state == "missing" or access.needs_grant:
                to_grant.append(FieldAccess(object_name, spec.name, "hidden"))
    if not to_grant:
        return changes
    try:
        if client.user_id is None:
            raise FieldAccessDenied(
                "Salesforce's token answer did not name the integration user, so setup cannot "
                "grant it access to the ICP fields; an admin must do it",
                steps=manual_steps(to_grant),
                changes=[],
            )
        changes += grant_field_access(client, to_grant, client.user_id)
        _check_editable(client, to_grant)
    except FieldAccessDenied as denied:
        denied.changes = changes
        raise
    return changes


def _ensure_field(
    client: SchemaClient,
    spec: FieldSpec,
    access: FieldAccess,
    shown: Mapping[str, Mapping[str, Any]],
) -> SchemaChange:
    name = access.full_name
    if access.state == "visible":
        _warn_missing_values(name, spec, shown[spec.name])
    if access.state != "missing":
        return SchemaChange("field", name, "unchanged")
    try:
        client.create_custom_field(name, spec.metadata)
    except RejectedError as error:
        if (error.code or "").startswith("INSUFFICIENT_ACCESS"):
            raise RejectedError(
                f"{error}: the integration user may not create custom fields; give it the "
                "user permission Customize Application (in its profile or a permission set), or "
                "have an admin run `icp-sync setup salesforce`",
                code=error.code,
                status=error.status,
            ) from None
        if error.code != "DUPLICATE_DEVELOPER_NAME":
            raise
        return SchemaChange("field", name, "unchanged")  # made by a concurrent setup
    return SchemaChange("field", name, "created")


def _check_editable(client: SchemaClient, granted: Sequence[FieldAccess]) -> None:
    """Describe must now show every granted field as updateable (salesforce.md §5)."""
    left: list[FieldAccess] = []
    for object_name in OBJECTS:
        names = [g.name for g in granted if g.object_name == object_name]
        if names:
            left += [a for a in field_access(client, object_name, names) if a.needs_grant]
    if left:
        raise FieldAccessDenied(
            "access to " + ", ".join(a.full_name for a in left) + " was granted but the "
            "integration user still cannot edit it (a profile or permission set may restrict it)",
            steps=manual_steps(left),
            changes=[],
        )


def _warn_missing_values(name: str, spec: FieldSpec, existing: Mapping[str, Any]) -> None:
    if not spec.picklist or not existing.get("restrictedPicklist"):
        return
    listed = existing.get("picklistValues")
    values = {
        str(item.get("value"))
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, Mapping)
    }
    missing = [value for value in spec.picklist if value not in values]
    if missing:
        logger.warning(
            "%s lacks the value(s) %s: writes of them will fail until an admin adds them",
            name,
            ", ".join(missing),
        )


def _value_set(values: Sequence[str], *, restricted: bool) -> dict[str, Any]:
    return {
        "restricted": restricted,
        "valueSetDefinition": {
            "sorted": False,
            "value": [
                {"fullName": value, "label": option_label(value), "default": False}
                for value in values
            ],
        },
    }
