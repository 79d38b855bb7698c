"""Who is in the sandbox org: its Users, its Groups (the lead queues) and its lead assignment
rule, as the records SOQL reads (`SELECT Id, Name FROM User`, `Owner.Name`,
`SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead'`).

The integration user (`INTEGRATION_USERNAME`) is pre-approved for the connected app (JWT bearer
works for it); the sales rep who owns the seeded records is not, and a deactivated user is
neither active nor approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_sandbox.salesforce.ids import PREFIXES, make_id
from crm_sandbox.salesforce.metadata import FieldDef, ref, system_fields

INTEGRATION_USERNAME = "integration@icp-sync.sandbox"
#: The lead assignment rule's name (the org's only one, as Setup → Lead Assignment Rules).
LEAD_RULE_NAME = "ICP tier routing"
#: The queues `backend.queues` routes leads to, in the order of their `00G` numbers.
QUEUE_NAMES: tuple[str, ...] = ("Enterprise", "SDR", "Nurture", "Unscored")


@dataclass(frozen=True, slots=True)
class OrgUser:
    number: int  # the `005` id's number
    name: str
    username: str
    active: bool
    approved: bool  # pre-approved for the connected app (JWT bearer)

    @property
    def id(self) -> str:
        return make_id(PREFIXES["User"], self.number)


ORG_USERS: tuple[OrgUser, ...] = (
    OrgUser(1, "Integration User", INTEGRATION_USERNAME, active=True, approved=True),
    OrgUser(2, "Sam Rivera", "sam.rivera@icp-sync.sandbox", active=True, approved=False),
    OrgUser(3, "Former Rep", "former.rep@icp-sync.sandbox", active=False, approved=False),
)


def approved_users() -> dict[str, str]:
    """The users the connected app lets sign in with JWT bearer (active and approved):
    username → user id."""
    return {u.username: u.id for u in ORG_USERS if u.active and u.approved}


def directory_records(created_ms: int, *, active_lead_rule: bool) -> dict[str, dict[str, Any]]:
    """The User, Group and AssignmentRule records by object, then id (system fields set)."""

    def base(object_name: str, number: int) -> dict[str, Any]:
        return {
            "Id": make_id(PREFIXES[object_name], number),
            "IsDeleted": False,
            "OwnerId": ORG_USERS[0].id,
            "CreatedDate": created_ms,
            "CreatedById": ORG_USERS[0].id,
            "LastModifiedDate": created_ms,
            "LastModifiedById": ORG_USERS[0].id,
            "SystemModstamp": created_ms,
        }

    users = {}
    for user in ORG_USERS:
        record = base("User", user.number) | {
            "Name": user.name,
            "Username": user.username,
            "Email": user.username,
            "IsActive": user.active,
        }
        users[record["Id"]] = record
    groups = {}
    for number, name in enumerate(QUEUE_NAMES, start=1):
        record = base("Group", number) | {"Name": name, "DeveloperName": name, "Type": "Queue"}
        groups[record["Id"]] = record
    rule = base("AssignmentRule", 1) | {
        "Name": LEAD_RULE_NAME,
        "Active": active_lead_rule,
        "SobjectType": "Lead",
    }
    return {"User": users, "Group": groups, "AssignmentRule": {rule["Id"]: rule}}


def setup_objects() -> dict[str, dict[str, FieldDef]]:
    """The User, Group and AssignmentRule objects' fields (the ones SOQL reads of them)."""
    audit = [f for f in system_fields() if f.name != "OwnerId"]
    user = [
        *audit,
        FieldDef("Name", "string", "Full Name", updateable=False, createable=False, length=121),
        FieldDef("Username", "string", "Username", nillable=False, length=80),
        FieldDef("Email", "email", "Email", nillable=False, length=128),
        FieldDef("IsActive", "boolean", "Active", nillable=False),
    ]
    group = [
        *audit,
        ref("OwnerId", "Owner ID", "User"),
        FieldDef("Name", "string", "Name", length=40),
        FieldDef("DeveloperName", "string", "Developer Name", length=80),
        FieldDef("Type", "picklist", "Type", nillable=False, picklist=("Queue", "Regular")),
    ]
    rule = [
        *audit,
        # Metadata, not data: rules are set up in Setup (or the Metadata API), never by REST.
        FieldDef("Name", "string", "Name", updateable=False, nillable=False, length=120),
        FieldDef("Active", "boolean", "Active", updateable=False, nillable=False),
        FieldDef(
            "SobjectType", "picklist", "Sobject Type", updateable=False, picklist=("Case", "Lead")
        ),
    ]
    return {
        "User": {f.name: f for f in user},
        "Group": {f.name: f for f in group},
        "AssignmentRule": {f.name: f for f in rule},
    }
