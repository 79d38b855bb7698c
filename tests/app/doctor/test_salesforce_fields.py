"""The pure field checks of `icp-sync doctor` on describe and Tooling API answers shaped as
Salesforce sends them (describe schema `fields[]`; Tooling `CustomField` records carry
`DeveloperName` without `__c`)."""

from __future__ import annotations

from typing import Any

from app.doctor.salesforce_fields import (
    custom_field_names,
    field_problems,
    fields_by_name,
    fls_check,
    object_permissions_check,
    rubric_fields_check,
)
from connectors.salesforce.schema import writeback_fields

SPECS = {spec.name: spec for spec in writeback_fields(["tier_1", "tier_2"], ["competitor"])}


def field(name: str, type_: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "updateable": True, **extra}


def test_given_a_tooling_answer_then_each_custom_field_is_named_with_its_suffix() -> None:
    answer = {
        "size": 2,
        "records": [
            {"attributes": {"type": "CustomField"}, "Id": "00N1", "DeveloperName": "ICP_Tier",
             "TableEnumOrId": "Account"},
            {"Id": "00N2", "DeveloperName": "Buying_Signals", "TableEnumOrId": "Account"},
        ],
    }  # fmt: skip

    assert custom_field_names(answer) == {"ICP_Tier__c", "Buying_Signals__c"}


def test_given_fields_hidden_by_fls_then_the_check_fails_with_the_permission_set_steps() -> None:
    check = fls_check({"Account": ["ICP_Tier__c", "ICP_Flags__c"], "Lead": []})

    assert check.status == "fail"
    assert check.detail.endswith("Account: ICP_Tier__c, ICP_Flags__c")
    assert "Setup → Permission Sets" in str(check.fix)
    assert "Object Settings → Account → Edit" in str(check.fix)
    assert "Lead" not in str(check.fix)
    assert "Manage Assignments" in str(check.fix)


def test_given_nothing_hidden_or_no_tooling_access_then_ok_or_a_warning() -> None:
    assert fls_check({"Account": [], "Lead": []}).status == "ok"
    cannot = fls_check("tooling.query: HTTP 403 INSUFFICIENT_ACCESS: no")
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
