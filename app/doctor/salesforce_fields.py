"""The field checks of `icp-sync doctor` against Salesforce, pure: they read describe answers
and the fields' access states, fetched once by `app.doctor.salesforce`.

Field-level security: a custom field the Tooling API lists but describe leaves out is hidden
from the integration user (`connectors.salesforce.field_access`; salesforce.md §5): SOQL naming
it fails with `INVALID_FIELD`, every write of it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.doctor.model import Check, unknown_names
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.field_access import FieldAccess, manual_steps
from connectors.salesforce.schema import OBJECTS, FieldSpec

SOURCE = "salesforce"
Fields = Mapping[str, Mapping[str, Any]]
DESCRIBE_TYPES: Mapping[str, str] = {
    "Number": "double",
    "Text": "string",
    "Checkbox": "boolean",
    "Picklist": "picklist",
    "DateTime": "datetime",
    "LongTextArea": "textarea",
    "MultiselectPicklist": "multipicklist",
}
"""The describe `type` of each Metadata API field type setup creates (Salesforce's describe
schema: `fields[].type`)."""
SETUP = "run `icp-sync setup salesforce`"


def object_permissions_check(described: Mapping[str, Mapping[str, Any]]) -> Check:
    """The user may query and update Accounts and Leads, and edit every ICP field it sees."""
    problems = [
        f"the user may not {verb} {name}s"
        for name, answer in described.items()
        for key, verb in (("queryable", "query"), ("updateable", "update"))
        if answer.get(key) is False
    ]
    read_only = [
        f"{name}.{field}"
        for name, answer in described.items()
        for field, item in fields_by_name(answer).items()
        if field.startswith("ICP_") and item.get("updateable") is False
    ]
    if read_only:
        problems.append(f"read-only for the user: {', '.join(read_only)}")
    if not problems:
        return Check("permissions", SOURCE, "ok", "the user may read and update Accounts and Leads")
    return Check(
        "permissions",
        SOURCE,
        "fail",
        "; ".join(problems),
        "in the integration user's permission set, Object Settings → Account and Lead: tick "
        "Read and Edit (and Edit Access on each ICP_* field)",
    )


def icp_fields_check(
    specs: Sequence[FieldSpec],
    fields: Mapping[str, Fields],
    hidden: Mapping[str, Sequence[str]],
) -> Check:
    """Each ICP field on Account and Lead, typed as setup makes it, the tier picklist holding
    every tier of the rubric."""
    problems: list[str] = []
    missing: list[str] = []
    for object_name in OBJECTS:
        shown = fields.get(object_name, {})
        for spec in specs:
            full = spec.full_name(object_name)
            item = shown.get(spec.name)
            if item is None:
                if spec.name not in hidden.get(object_name, ()):
                    missing.append(full)
                continue
            problems.extend(field_problems(full, spec, item))
    if missing:
        problems.insert(0, f"missing: {', '.join(missing)}")
    if not problems:
        return Check("icp_fields", SOURCE, "ok", f"all {len(specs)} on Account and Lead are right")
    fix = SETUP
    if len(problems) > (1 if missing else 0):  # a field to change, not only fields to create
        fix = (
            f"{SETUP} for missing fields; change a wrong type or value in Setup → Object "
            "Manager → the object → Fields & Relationships → the field (to retype one: delete "
            "it, erase it from Deleted Fields, run setup)"
        )
    return Check("icp_fields", SOURCE, "fail", "; ".join(problems), fix)


def field_problems(full_name: str, spec: FieldSpec, item: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    wanted = DESCRIBE_TYPES.get(str(spec.metadata.get("type")))
    if wanted is not None and item.get("type") != wanted:
        problems.append(f"{full_name} is {item.get('type')}, expected {wanted}")
    elif spec.picklist and item.get("restrictedPicklist"):
        listed = item.get("picklistValues")
        values = {
            str(value.get("value"))
            for value in (listed if isinstance(listed, list) else [])
            if isinstance(value, Mapping) and value.get("active", True)
        }
        absent = [value for value in spec.picklist if value not in values]
        if absent:
            problems.append(f"{full_name} lacks the value(s) {', '.join(absent)}")
    return problems


def fls_check(access: Sequence[FieldAccess] | str) -> Check:
    """`access`: the fields icp-sync needs as the integration user has them
    (`connectors.salesforce.field_access`); or why the Tooling API could not say."""
    if isinstance(access, str):
        return Check(
            "field_level_security",
            SOURCE,
            "warn",
            f"cannot list the org's custom fields: {access}",
            "grant the integration user View Setup and Configuration, or check each ICP_* field's "
            "Set Field-Level Security by hand",
        )
    hidden = [item for item in access if item.state == "hidden"]
    if not hidden:
        return Check(
            "field_level_security", SOURCE, "ok", "the user sees every field icp-sync uses"
        )
    return Check(
        "field_level_security",
        SOURCE,
        "fail",
        "hidden from the integration user by field-level security: "
        + ", ".join(item.full_name for item in hidden),
        f"{SETUP}: it grants its user access when it may manage permission sets; otherwise an "
        "admin: " + " ".join(manual_steps(hidden)),
    )


def rubric_fields_check(
    wanted: Sequence[str], fields: Mapping[str, Fields], hidden: Mapping[str, Sequence[str]]
) -> Check:
    """Every field the rubric reads exists on Account or Lead (as the connector pulls it); one
    hidden by field-level security exists but reads as empty, so it fails too."""
    hidden_wanted = sorted({name for names in hidden.values() for name in names} & set(wanted))
    visible = [name for shown in fields.values() for name in shown]
    check = unknown_names(SOURCE, wanted, [*visible, *hidden_wanted], "on neither Account nor Lead")
    if not hidden_wanted:
        return check
    detail = f"the rubric reads {', '.join(hidden_wanted)}, hidden by field-level security"
    return Check(
        "rubric_fields",
        SOURCE,
        "fail",
        detail if check.status == "ok" else f"{check.detail}; {detail}",
        check.fix if check.status != "ok" else "grant access: see field_level_security",
    )
