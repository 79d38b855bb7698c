"""Who the integration user is allowed to be: its profile and permission sets, and the
field-level security (FLS) they grant, as records of Salesforce's own setup objects.

Salesforce keeps access in `PermissionSet` records (a profile owns one too, `IsOwnedByProfile`),
`FieldPermissions` (`ParentId` a permission set, `SobjectType`, `Field` `Account.X__c`,
`PermissionsRead`, `PermissionsEdit`) and `PermissionSetAssignment` (`AssigneeId`,
`PermissionSetId`); every user has an assignment to its profile's permission set. The sandbox
stores them as ordinary records, so `POST sobjects/FieldPermissions` and SOQL on them work
through the usual record machinery, and a grant takes effect at once.

What the org enforces on the REST API (not on the sandbox's own direct calls, which act as
other users or as the UI):

- a custom field is visible to the integration user only when an assigned permission set has a
  `FieldPermissions` row with `PermissionsRead` for it: else describe omits it, SOQL and writes
  answer `INVALID_FIELD` "No such column…" (salesforce.md §5, simple-salesforce issue #621:
  a field made through the Tooling API is granted to nobody). Read without edit shows it with
  `updateable`/`createable` false and a write gets `INVALID_FIELD_FOR_INSERT_UPDATE`;
  standard fields are always visible;
- `tooling/sobjects/CustomField` POST needs `PermissionsCustomizeApplication`, creating the
  three setup objects needs `PermissionsManageProfilesPermissionsets`: without it 400
  `INSUFFICIENT_ACCESS` "insufficient access rights on entity: …" (the SOAP/Metadata fault
  code and message clients report, e.g. salto-io/salto PR #7304);
- editing a record of an object the user may not edit (`UserPermissions.edit_objects`, or
  `PermissionsModifyAllData`) gets `INSUFFICIENT_ACCESS_OR_READONLY` "insufficient access
  rights on object id" (per record in a composite result). Object permissions are kept on
  `UserPermissions`, not as `ObjectPermissions` records.

`field_security=False` relaxes FLS (every field visible and editable) for unit tests of
something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef, system_fields

if TYPE_CHECKING:
    from crm_sandbox.salesforce.backend import SalesforceBackend

PERMISSION_SET = "PermissionSet"
FIELD_PERMISSIONS = "FieldPermissions"
ASSIGNMENT = "PermissionSetAssignment"
SETUP_OBJECTS = (PERMISSION_SET, FIELD_PERMISSIONS, ASSIGNMENT)
#: The permission set icp-sync's setup makes (and the seeded "after setup" org holds).
ICP_PERMISSION_SET = "ICP_Sync_Integration"
PROFILE_PERMISSION_SET = "X00e_Integration_User_Profile"
_FLAGS = (
    "PermissionsCustomizeApplication",
    "PermissionsManageProfilesPermissionsets",
    "PermissionsModifyAllData",
)


@dataclass(frozen=True, slots=True)
class UserPermissions:
    """The integration user's profile. The default is what docs/operations.md asks an admin to
    set up for `icp-sync setup salesforce` to run on its own: Customize Application (the Tooling
    API creates the fields), Manage Profiles and Permission Sets (setup grants itself FLS on
    them), edit on Account, Lead and Opportunity, and not Modify All Data."""

    customize_application: bool = True
    manage_profiles_permissionsets: bool = True
    modify_all_data: bool = False
    edit_objects: frozenset[str] = frozenset({"Account", "Lead", "Opportunity"})


#: A user who may write records but not change the org's setup (no field creation, no grant).
READ_WRITE_ONLY = UserPermissions(customize_application=False, manage_profiles_permissionsets=False)


def setup_schema() -> dict[str, dict[str, FieldDef]]:
    """The three setup objects with the fields the sandbox keeps (all queryable)."""
    system = [f for f in system_fields() if f.name != "OwnerId"]  # setup records have no owner
    permission_set = [
        *system,
        FieldDef("Name", "string", "Name", nillable=False, length=80),
        FieldDef("Label", "string", "Label", nillable=False, length=80),
        FieldDef("Description", "textarea", "Description", length=255),
        FieldDef("IsOwnedByProfile", "boolean", "Is Owned By Profile", updateable=False),
        *(FieldDef(flag, "boolean", flag, nillable=False) for flag in _FLAGS),
    ]
    field_permissions = [
        *system,
        FieldDef(
            "ParentId", "reference", "Parent ID", nillable=False, reference_to=(PERMISSION_SET,)
        ),
        FieldDef("SobjectType", "picklist", "Sobject Type Name", nillable=False),
        FieldDef("Field", "picklist", "Field Name", nillable=False),
        FieldDef("PermissionsRead", "boolean", "Read Access", nillable=False),
        FieldDef("PermissionsEdit", "boolean", "Edit Access", nillable=False),
    ]
    assignment = [
        *system,
        FieldDef("AssigneeId", "reference", "Assignee ID", nillable=False, reference_to=("User",)),
        FieldDef(
            "PermissionSetId", "reference", "Permission Set ID", nillable=False,
            reference_to=(PERMISSION_SET,),
        ),
    ]  # fmt: skip
    return {
        PERMISSION_SET: {f.name: f for f in permission_set},
        FIELD_PERMISSIONS: {f.name: f for f in field_permissions},
        ASSIGNMENT: {f.name: f for f in assignment},
    }


def install(backend: SalesforceBackend, *, grant_icp_fields: bool) -> None:
    """Adds the setup objects and the integration user's profile (with read and edit on the
    custom fields the org started with, as an admin who made them in the UI leaves them) and,
    with `grant_icp_fields`, the `ICP_Sync_Integration` permission set setup would leave."""
    backend.schema.update(setup_schema())
    for name in SETUP_OBJECTS:
        backend.records[name] = {}
    user = backend.user_permissions
    profile = backend.create(
        PERMISSION_SET,
        {
            "Name": PROFILE_PERMISSION_SET,
            "Label": "Integration User Profile",
            "PermissionsCustomizeApplication": user.customize_application,
            "PermissionsManageProfilesPermissionsets": user.manage_profiles_permissionsets,
            "PermissionsModifyAllData": user.modify_all_data,
        },
    )
    backend.records[PERMISSION_SET][profile["Id"]]["IsOwnedByProfile"] = True
    _assign(backend, profile["Id"])
    icp = [f for f in backend.custom_fields() if f[1].startswith("ICP_")]
    _grant(backend, profile["Id"], [f for f in backend.custom_fields() if f not in icp])
    if grant_icp_fields and icp:
        granted = backend.create(
            PERMISSION_SET, {"Name": ICP_PERMISSION_SET, "Label": "ICP Sync Integration"}
        )
        _grant(backend, granted["Id"], icp)
        _assign(backend, granted["Id"])


def _assign(backend: SalesforceBackend, permission_set_id: str) -> None:
    backend.create(
        ASSIGNMENT,
        {"AssigneeId": backend.integration_user_id, "PermissionSetId": permission_set_id},
    )


def _grant(backend: SalesforceBackend, parent: str, fields: list[tuple[str, str]]) -> None:
    for object_name, name in fields:
        backend.create(
            FIELD_PERMISSIONS,
            {
                "ParentId": parent,
                "SobjectType": object_name,
                "Field": f"{object_name}.{name}",
                "PermissionsRead": True,
                "PermissionsEdit": True,
            },
        )


# --- what the integration user may do (the backend's lock held by the caller) ---------------


def assigned_sets(backend: SalesforceBackend) -> list[dict[str, Any]]:
    """The permission sets (the profile's included) assigned to the integration user."""
    sets = backend.records.get(PERMISSION_SET, {})
    ids = {
        str(a["PermissionSetId"])
        for a in backend.records.get(ASSIGNMENT, {}).values()
        if not a["IsDeleted"] and a["AssigneeId"] == backend.integration_user_id
    }
    return [sets[i] for i in ids if i in sets and not sets[i]["IsDeleted"]]


def has_permission(backend: SalesforceBackend, flag: str) -> bool:
    """Whether a permission set of the user grants `flag` (`PermissionsCustomizeApplication`…)."""
    return any(s.get(flag) is True for s in assigned_sets(backend))


def field_access(backend: SalesforceBackend, object_name: str) -> dict[str, bool]:
    """Custom field name → editable, for the object's custom fields the user may read."""
    parents = {str(s["Id"]) for s in assigned_sets(backend)}
    access: dict[str, bool] = {}
    for row in backend.records.get(FIELD_PERMISSIONS, {}).values():
        if row["IsDeleted"] or row["ParentId"] not in parents or not row["PermissionsRead"]:
            continue
        owner, _, name = str(row["Field"]).partition(".")
        if owner == object_name:
            access[name] = access.get(name, False) or bool(row["PermissionsEdit"])
    return access


def visible_fields(
    backend: SalesforceBackend, object_name: str, fields: Mapping[str, FieldDef]
) -> dict[str, FieldDef]:
    """The fields as the integration user sees them (see the module docstring)."""
    if not backend.field_security or object_name in SETUP_OBJECTS:
        return dict(fields)
    access = field_access(backend, object_name)
    visible: dict[str, FieldDef] = {}
    for name, definition in fields.items():
        if not definition.custom:
            visible[name] = definition
        elif name in access:
            editable = definition.updateable and access[name]
            visible[name] = _replace_updateable(definition, editable)
    return visible


def _replace_updateable(definition: FieldDef, editable: bool) -> FieldDef:
    if definition.updateable == editable:
        return definition
    from dataclasses import replace

    return replace(definition, updateable=editable)


def may_edit(backend: SalesforceBackend, object_name: str) -> bool:
    """Whether the user has Edit on a data object (its profile's object settings, or Modify All
    Data): without it describe shows the object and its fields read-only."""
    user = backend.user_permissions
    return object_name in user.edit_objects or has_permission(backend, "PermissionsModifyAllData")


def check_edit(backend: SalesforceBackend, object_name: str) -> None:
    """Raises what an insert or update of one of the object's records gets without rights."""
    if object_name in SETUP_OBJECTS:
        require(backend, "PermissionsManageProfilesPermissionsets", object_name)
        return
    if may_edit(backend, object_name):
        return
    raise SalesforceError(
        "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id"
    )


def require(backend: SalesforceBackend, flag: str, entity: str) -> None:
    """Raises `INSUFFICIENT_ACCESS` unless a permission set of the user grants `flag`."""
    if not has_permission(backend, flag):
        raise SalesforceError(
            "INSUFFICIENT_ACCESS", f"insufficient access rights on entity: {entity}"
        )


def check_setup_record(
    backend: SalesforceBackend, object_name: str, values: Mapping[str, Any]
) -> None:
    """What Salesforce refuses in a new setup record: an unknown `Field`, a field that does not
    match `SobjectType`, edit without read, a duplicate grant or assignment, a taken name."""
    rows = backend.records.get(object_name, {}).values()
    live = [r for r in rows if not r["IsDeleted"]]
    if object_name == PERMISSION_SET:
        if any(r["Name"] == values.get("Name") for r in live):
            raise SalesforceError(
                "DUPLICATE_DEVELOPER_NAME",
                "The API Name you entered is already in use. Enter a unique API Name.",
                fields=("Name",),
            )
    elif object_name == FIELD_PERMISSIONS:
        _check_field_permission(backend, values, live)
    elif object_name == ASSIGNMENT:
        pair = (values.get("AssigneeId"), values.get("PermissionSetId"))
        if any((r["AssigneeId"], r["PermissionSetId"]) == pair for r in live):
            raise SalesforceError(
                "DUPLICATE_VALUE",
                f"Duplicate PermissionSetAssignment. Assignee: {pair[0]}, PermissionSet: {pair[1]}",
            )


def _check_field_permission(
    backend: SalesforceBackend, values: Mapping[str, Any], live: list[dict[str, Any]]
) -> None:
    field_name = str(values.get("Field"))
    object_name, _, name = field_name.partition(".")
    if (object_name, name) not in backend.custom_fields() or values.get(
        "SobjectType"
    ) != object_name:
        raise SalesforceError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"Field Name: bad value for restricted picklist field: {field_name}",
            fields=("Field",),
        )
    if values.get("PermissionsEdit") is True and values.get("PermissionsRead") is not True:
        raise SalesforceError(
            "FIELD_INTEGRITY_EXCEPTION", "Permission Edit depends on permission(s): Read"
        )
    if any((r["ParentId"], r["Field"]) == (values.get("ParentId"), field_name) for r in live):
        raise SalesforceError(
            "DUPLICATE_VALUE",
            f"duplicate value found: Field duplicates value on record with id: {field_name}",
        )
