"""The pure field checks of `icp-sync doctor` on describe and Tooling API answers shaped as
Salesforce sends them (describe schema `fields[]`) and on fields' access states."""

from __future__ import annotations

from typing import Any

from app.doctor.salesforce_fields import (
    field_problems,
    fls_check,
    object_permissions_check,
    rubric_fields_check,
)
from connectors.salesforce.describe import fields_by_name
from connectors.salesforce.field_access import FieldAccess
from connectors.salesforce.schema import writeback_fields

SPECS = {spec.name: spec for spec in writeback_fields(["tier_1", "tier_2"], ["competitor"])}


def field(name: str, type_: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "updateable": True, **extra}


def test_given_fields_hidden_by_fls_then_the_check_fails_with_the_permission_set_steps() -> None:
    access = [
        FieldAccess("Account", "ICP_Tier__c", "hidden"),
        FieldAccess("Account", "ICP_Flags__c", "hidden"),
        FieldAccess("Lead", "ICP_Tier__c", "visible", editable=True),
    ]

    check = fls_check(access)

    assert check.status == "fail"
    assert check.detail.endswith("Account.ICP_Tier__c, Account.ICP_Flags__c")
    assert str(check.fix).startswith("run `icp-sync setup salesforce`: it grants its user")
    assert "Object Settings → Account → Edit" in str(check.fix)
    assert "Object Settings → Lead" not in str(check.fix)
    assert "Manage Assignments" in str(check.fix)


def test_given_nothing_hidden_or_no_tooling_access_then_ok_or_a_warning() -> None:
    assert fls_check([FieldAccess("Lead", "ICP_Tier__c", "visible", editable=True)]).status == "ok"
    cannot = fls_check("tooling.CustomField.query: HTTP 403 INSUFFICIENT_ACCESS: no")
    assert cannot.status == "warn"
    assert "INSUFFICIENT_ACCESS" in cannot.detail


def test_given_a_read_only_icp_field_or_object_then_permissions_fail_naming_them() -> None:
    described = {
        "Account": {"updateable": True, "queryable": True,
                    "fields": [field("ICP_Tier__c", "picklist", updateable=False)]},
        "Lead": {"updateable": False, "queryable": True, "fields": []},
    }  # fmt: skip

    check = object_permissions_check(described)

    assert check.status == "fail"
    assert check.detail == (
        "the user may not update Leads; read-only for the user: Account.ICP_Tier__c"
    )


def test_given_a_tier_picklist_with_an_inactive_tier_then_the_tier_is_named_missing() -> None:
    item = field(
        "ICP_Tier__c",
        "picklist",
        restrictedPicklist=True,
        picklistValues=[
            {"value": "tier_1", "active": True},
            {"value": "tier_2", "active": False},
            {"value": "disqualified", "active": True},
        ],
    )

    problems = field_problems("Lead.ICP_Tier__c", SPECS["ICP_Tier__c"], item)

    assert problems == ["Lead.ICP_Tier__c lacks the value(s) tier_2"]


def test_given_a_rubric_field_hidden_by_fls_then_rubric_fields_fail_pointing_at_fls() -> None:
    fields = {"Account": fields_by_name({"fields": [field("Name")]}), "Lead": {}}

    check = rubric_fields_check(["Buying_Signals__c"], fields, {"Account": ["Buying_Signals__c"]})

    assert check.status == "fail"
    assert check.detail == "the rubric reads Buying_Signals__c, hidden by field-level security"
