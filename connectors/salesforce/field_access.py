"""Field-level security (FLS) of icp-sync's custom fields for its integration user: which of
them it can see and edit, granting itself access when it may, and the steps an admin takes when
it may not.

A field made through the Tooling API is granted to no profile or permission set (salesforce.md
§5; simple-salesforce issue #621): describe omits it, SOQL and writes answer `INVALID_FIELD`.
The Tooling API lists custom fields regardless of FLS (`SELECT DeveloperName FROM CustomField
WHERE TableEnumOrId = 'Account'`, `DeveloperName` without `__c`), so a field it lists that
describe lacks is `hidden`, not `missing`.

Granting is what an admin does in Setup, as records (Salesforce's permission-set data model):
a `PermissionSet` named `ICP_Sync_Integration`, one `FieldPermissions` row per field (`ParentId`,
`SobjectType`, `Field` `Account.ICP_Tier__c`, `PermissionsRead`, `PermissionsEdit`) and a
`PermissionSetAssignment` (`AssigneeId`, `PermissionSetId`) to the integration user. Each is
looked up first, so a second run creates nothing. It needs the user permission "Manage Profiles
and Permission Sets"; without it Salesforce answers `INSUFFICIENT_ACCESS…` and
`grant_field_access` raises `FieldAccessDenied` with `manual_steps`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from connectors.base import SchemaChange
from connectors.errors import RejectedError
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.soql import identifier, quote, select

PERMISSION_SET_NAME = "ICP_Sync_Integration"
PERMISSION_SET_LABEL = "ICP Sync Integration"
FieldState = Literal["visible", "hidden", "missing"]


class AccessClient(Protocol):
    def describe(self, object_name: str) -> dict[str, Any]: ...
    def rest(
        self, operation: str, path: str, method: str = "GET", body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FieldAccess:
    """One field as the integration user has it: `visible` (in describe; `editable` when
    describe says `updateable`), `hidden` (the Tooling API lists it, describe does not) or
    `missing` (no such field)."""

    object_name: str
    name: str
    state: FieldState
    editable: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.object_name}.{self.name}"

    @property
    def needs_grant(self) -> bool:
        """It exists but the user cannot write it."""
        return self.state == "hidden" or (self.state == "visible" and not self.editable)


class FieldAccessDenied(RejectedError):
    """The integration user may not grant itself field access: `steps` say what an admin
    does instead; `changes` is what setup did before finding out."""

    def __init__(
        self, message: str, *, steps: list[str], changes: list[SchemaChange], **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.steps = steps
        self.changes = changes


def field_access(
    client: AccessClient,
    object_name: str,
    names: Sequence[str],
    *,
    described: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[FieldAccess]:
    """The state of each of `names` (custom field API names) on the object, in order.
    `described`: the object's describe fields by name, if the caller has them already."""
    if described is None:
        described = fields_by_name(client.describe(object_name))
    existing = _tooling_fields(client, object_name) if set(names) - set(described) else set()
    found: list[FieldAccess] = []
    for name in names:
        shown = described.get(name)
        if shown is not None:
            editable = shown.get("updateable") is True
            found.append(FieldAccess(object_name, name, "visible", editable))
        elif name.removesuffix("__c") in existing:
            found.append(FieldAccess(object_name, name, "hidden"))
        else:
            found.append(FieldAccess(object_name, name, "missing"))
    return found


def _tooling_fields(client: AccessClient, object_name: str) -> set[str]:
    soql = select(
        ("Id", "DeveloperName", "TableEnumOrId"),
        "CustomField",
        where=f"TableEnumOrId = {quote(identifier(object_name))}",
    )
    answer = client.rest("tooling.CustomField.query", "tooling/query", body={"q": soql})
    records = answer.get("records")
    return {
        str(record["DeveloperName"])
        for record in (records if isinstance(records, list) else [])
        if isinstance(record, Mapping) and isinstance(record.get("DeveloperName"), str)
    }


def grant_field_access(
    client: AccessClient, fields: Sequence[FieldAccess], user_id: str
) -> list[SchemaChange]:
    """Gives `user_id` read and edit on `fields` through the `ICP_Sync_Integration` permission
    set (made and assigned if need be); idempotent. Raises `FieldAccessDenied` when Salesforce
    refuses with `INSUFFICIENT_ACCESS…`."""
    try:
        return _grant(client, fields, user_id)
    except RejectedError as error:
        if not (error.code or "").startswith("INSUFFICIENT_ACCESS"):
            raise
        raise FieldAccessDenied(
            f"the integration user may not grant itself access to the ICP fields ({error}); "
            "an admin must do it",
            steps=manual_steps(fields),
            changes=[],
            code=error.code,
            status=error.status,
        ) from None


def _grant(client: AccessClient, fields: Sequence[FieldAccess], user_id: str) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    named = _query(
        client, select(("Id",), "PermissionSet", where=f"Name = {quote(PERMISSION_SET_NAME)}")
    )
    if named:
        parent = str(named[0]["Id"])
    else:
        description = "Read and edit on the ICP fields icp-sync writes"
        parent = _create(
            client,
            "PermissionSet",
            {
                "Name": PERMISSION_SET_NAME,
                "Label": PERMISSION_SET_LABEL,
                "Description": description,
            },
        )
        changes.append(SchemaChange("permission set", PERMISSION_SET_NAME, "created"))
    rows = _query(
        client,
        select(
            ("Id", "Field", "PermissionsRead", "PermissionsEdit"),
            "FieldPermissions",
            where=f"ParentId = {quote(parent)}",
        ),
    )
    granted = {str(row["Field"]): row for row in rows}
    both: dict[str, Any] = {"PermissionsRead": True, "PermissionsEdit": True}
    for item in fields:
        row = granted.get(item.full_name)
        if row is None:
            target = {"ParentId": parent, "SobjectType": item.object_name, "Field": item.full_name}
            _create(client, "FieldPermissions", {**target, **both})
            changes.append(SchemaChange("field permission", item.full_name, "created"))
        elif row.get("PermissionsRead") is not True or row.get("PermissionsEdit") is not True:
            path = f"sobjects/FieldPermissions/{row['Id']}"
            client.rest("FieldPermissions.update", path, "PATCH", both)
            changes.append(SchemaChange("field permission", item.full_name, "updated"))
    assignment = {"AssigneeId": user_id, "PermissionSetId": parent}
    held = " AND ".join(f"{key} = {quote(value)}" for key, value in assignment.items())
    if not _query(client, select(("Id",), "PermissionSetAssignment", where=held)):
        _create(client, "PermissionSetAssignment", assignment)
        changes.append(SchemaChange("permission set assignment", PERMISSION_SET_NAME, "created"))
    return changes


def _create(client: AccessClient, object_name: str, body: Mapping[str, Any]) -> str:
    """`POST sobjects/{Object}` → the new record's id."""
    return str(client.rest(f"{object_name}.create", f"sobjects/{object_name}", "POST", body)["id"])


def _query(client: AccessClient, soql: str) -> list[Mapping[str, Any]]:
    records = client.rest("query", "query", body={"q": soql}).get("records")
    return [r for r in (records if isinstance(records, list) else []) if isinstance(r, Mapping)]


def manual_steps(fields: Sequence[FieldAccess]) -> list[str]:
    """What an admin does in Setup to give the integration user read and edit on `fields`."""
    by_object: dict[str, list[str]] = {}
    for item in fields:
        by_object.setdefault(item.object_name, []).append(item.name)
    steps = [
        f"In Salesforce Setup → Permission Sets → New: Label '{PERMISSION_SET_LABEL}', API Name "
        f"'{PERMISSION_SET_NAME}' (or open an existing permission set of the integration user).",
    ]
    for object_name, names in by_object.items():
        steps.append(
            f"In it, Object Settings → {object_name} → Edit: tick Read Access and Edit Access "
            f"for {', '.join(names)}; Save."
        )
    steps += [
        "Manage Assignments → Add Assignment: select the integration user → Assign.",
        "(Or, per profile: Setup → Object Manager → the object → Fields & Relationships → each "
        "field → Set Field-Level Security → Visible for the integration user's profile.)",
        "Then run `icp-sync setup salesforce` again: it checks the fields are editable.",
    ]
    return steps
