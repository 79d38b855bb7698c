"""`icp-sync doctor`'s Salesforce checks against the Salesforce sandbox: each misconfiguration
made real through Salesforce's API (or the org's counters), then reported with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.crm import make_connector
from app.doctor.salesforce import CHECKS, salesforce_checks
from app.rubric import Rubric, load_rubric
from app.settings import Settings, settings_from
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.permissions import UserPermissions
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.doctor import by_name, default_rubric_with

SALESFORCE_CHECKS = [*CHECKS, "webhook_org_id", "outbound_messages"]


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(seed=4, companies=3, with_icp_fields=False)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def settings_of(org: RunningSalesforce, **fields: Any) -> Settings:
    return settings_from(
        {},
        **{
            "hubspot_token": None,
            "salesforce_instance_url": org.url,
            "salesforce_client_id": org.client_id,
            "salesforce_client_secret": org.client_secret,
            "salesforce_ca_bundle": org.ca_bundle,
            "salesforce_org_id": org.org_id,
            **fields,
        },
    )


def connector_of(org: RunningSalesforce, rubric: Rubric) -> SalesforceConnector:
    connector = make_connector("salesforce", settings_of(org), rubric)
    assert isinstance(connector, SalesforceConnector)
    return connector


def set_up(org: RunningSalesforce, rubric: Rubric) -> None:
    with connector_of(org, rubric) as connector:
        connector.ensure_schema()


def test_given_setup_done_then_every_salesforce_check_passes_but_the_outbound_messages(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    set_up(org, rubric)

    checks = by_name(salesforce_checks(settings_of(org), rubric))

    assert list(checks) == SALESFORCE_CHECKS
    assert {name: c.status for name, c in checks.items() if c.status != "ok"} == {
        "outbound_messages": "skip"
    }
    assert checks["credentials"].detail == "Salesforce issued a token (client credentials flow)"
    assert checks["icp_fields"].status == "ok"
    assert checks["permissions"].status == "ok"
    assert (
        checks["rubric_fields"].detail == "the rubric's Buying_Signals__c, LastActivityDate exist"
    )


def test_given_a_wrong_client_secret_then_credentials_fail_with_salesforces_code_and_no_secret(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    wrong = "not-the-consumer-secret-4711"

    checks = salesforce_checks(settings_of(org, salesforce_client_secret=wrong), rubric)

    assert (checks[0].name, checks[0].status) == ("credentials", "fail")
    assert "invalid_client" in checks[0].detail
    assert "consumer key and secret" in str(checks[0].fix)
    assert [c.status for c in checks[1:7]] == ["skip"] * 6
    assert not any(wrong in c.detail or wrong in str(c.fix) for c in checks)


def test_given_incomplete_salesforce_settings_then_credentials_fail_naming_the_setting(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    checks = salesforce_checks(settings_of(org, salesforce_client_id=None), rubric)

    assert checks[0].status == "fail"
    assert "ICP_SYNC_SALESFORCE_CLIENT_ID is not set" in checks[0].detail


def test_given_a_fresh_org_then_every_icp_field_is_named_missing_and_setup_is_the_fix(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    check = by_name(salesforce_checks(settings_of(org), rubric))["icp_fields"]

    assert check.status == "fail"
    assert check.detail.startswith("missing: Account.ICP_Fit_Score__c, Account.ICP_Tier__c")
    assert "Lead.ICP_Rubric_Version__c" in check.detail
    assert check.fix == "run `icp-sync setup salesforce`"


def test_given_a_field_made_with_the_wrong_type_then_its_type_and_the_expected_one_are_named(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    with connector_of(org, rubric) as connector:
        connector.client.create_custom_field(
            "Account.ICP_Fit_Score__c", {"label": "ICP Fit Score", "type": "Text", "length": 3}
        )
    set_up(org, rubric)

    check = by_name(salesforce_checks(settings_of(org), rubric))["icp_fields"]

    assert check.status == "fail"
    assert check.detail == "Account.ICP_Fit_Score__c is string, expected double"
    assert "Fields & Relationships" in str(check.fix)


def test_given_a_tier_missing_from_the_restricted_picklist_then_the_tier_is_named(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    tier = {
        "label": "ICP Tier",
        "type": "Picklist",
        "valueSet": {
            "restricted": True,
            "valueSetDefinition": {"value": [{"fullName": "tier_1"}, {"fullName": "tier_2"}]},
        },
    }
    with connector_of(org, rubric) as connector:
        connector.client.create_custom_field("Lead.ICP_Tier__c", tier)
    set_up(org, rubric)

    check = by_name(salesforce_checks(settings_of(org), rubric))["icp_fields"]

    assert check.status == "fail"
    assert check.detail == "Lead.ICP_Tier__c lacks the value(s) tier_3, disqualified"


def test_given_a_typo_in_the_rubrics_fields_then_the_field_is_named_with_the_closest_one(
    org: RunningSalesforce, rubric: Rubric, tmp_path: Path
) -> None:
    set_up(org, rubric)
    typo = default_rubric_with(
        tmp_path, "salesforce: Buying_Signals__c", "salesforce: Buying_Signal__c"
    )

    check = by_name(salesforce_checks(settings_of(org), typo))["rubric_fields"]

    assert check.status == "fail"
    assert check.detail.startswith(
        "the rubric reads Buying_Signal__c (did you mean Buying_Signals__c?): on neither "
        "Account nor Lead"
    )


def test_given_under_a_tenth_of_the_daily_calls_left_then_api_calls_warn(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    org.usage.used = org.usage.daily_limit - 1_000

    check = by_name(salesforce_checks(settings_of(org), rubric))["api_calls_today"]

    assert check.status == "warn"
    assert check.detail.endswith("of 15,000 API calls left today")


def test_given_the_daily_limit_spent_then_api_calls_fail_and_the_org_checks_are_skipped(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    org.usage.used = org.usage.daily_limit

    checks = by_name(salesforce_checks(settings_of(org), rubric))

    assert checks["credentials"].status == "ok"
    assert checks["api_calls_today"].status == "fail"
    assert checks["api_calls_today"].detail == "0 of 15,000 API calls left today"
    assert "rolling 24-hour" in str(checks["api_calls_today"].fix)
    assert checks["icp_fields"].status == "skip"


@pytest.mark.parametrize(
    ("org_id", "status", "said"),
    [
        (None, "warn", "every Outbound Message is refused"),
        ("00Dabc", "fail", "not an org id"),
    ],
)
def test_given_the_org_id_unset_or_malformed_then_webhook_org_id_says_where_to_copy_it(
    org: RunningSalesforce, rubric: Rubric, org_id: str | None, status: str, said: str
) -> None:
    check = by_name(salesforce_checks(settings_of(org, salesforce_org_id=org_id), rubric))[
        "webhook_org_id"
    ]

    assert check.status == status
    assert said in check.detail
    assert "Company Information" in str(check.fix)


def test_given_the_jwt_flow_for_an_unknown_user_then_credentials_fail_with_invalid_grant(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    jwt = {"salesforce_client_secret": None, "salesforce_private_key": org.jwt_private_key_path}
    known = salesforce_checks(settings_of(org, salesforce_username=org.jwt_username, **jwt), rubric)
    unknown = salesforce_checks(
        settings_of(org, salesforce_username="nobody@example.invalid", **jwt), rubric
    )

    assert known[0].detail == "Salesforce issued a token (JWT bearer flow)"
    assert unknown[0].status == "fail"
    assert "invalid_grant" in unknown[0].detail
    assert "pre-authorized" in str(unknown[0].fix)
    assert "ICP_SYNC_SALESFORCE_USERNAME" in str(unknown[0].fix)


@pytest.mark.parametrize(
    ("active", "assign", "status", "said"),
    [
        (True, True, "ok", "active: "),
        (False, True, "warn", "no active lead assignment rule"),
        (False, False, "ok", "off: ICP_SYNC_SALESFORCE_ASSIGN_NEW_LEADS=false"),
    ],
)
def test_given_the_orgs_lead_assignment_rule_then_doctor_says_whether_leads_get_routed(
    start_crm_sandbox: SandboxFactory,
    rubric: Rubric,
    active: bool,
    assign: bool,
    status: str,
    said: str,
) -> None:
    org = start_crm_sandbox.salesforce_only(seed=4, companies=2, active_lead_rule=active)

    check = by_name(
        salesforce_checks(settings_of(org, salesforce_assign_new_leads=assign), rubric)
    )["lead_assignment_rule"]

    assert check.status == status
    assert check.detail.startswith(said)
    if status == "warn":
        assert "Setup → Lead Assignment Rules" in str(check.fix)


TIER_FIELD = {
    "label": "ICP Tier",
    "type": "Picklist",
    "valueSet": {
        "restricted": True,
        "valueSetDefinition": {"value": [{"fullName": t} for t in ("tier_1", "tier_2", "tier_3")]},
    },
}


def test_given_a_field_made_through_the_tooling_api_and_never_granted_then_fls_fails_with_steps(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    with connector_of(org, rubric) as connector:
        connector.client.create_custom_field("Account.ICP_Tier__c", TIER_FIELD)

    checks = by_name(salesforce_checks(settings_of(org), rubric))

    fls = checks["field_level_security"]
    assert fls.status == "fail"
    assert fls.detail == (
        "hidden from the integration user by field-level security: Account.ICP_Tier__c"
    )
    assert (
        "Object Settings → Account → Edit: tick Read Access and Edit Access for ICP_Tier__c"
        in str(fls.fix)
    )
    assert "Manage Assignments" in str(fls.fix)
    assert "Account.ICP_Tier__c" not in checks["icp_fields"].detail  # hidden, not missing


def test_given_an_icp_field_granted_read_but_not_edit_then_permissions_fail_naming_it(
    org: RunningSalesforce, rubric: Rubric
) -> None:
    with connector_of(org, rubric) as connector:
        client = connector.client
        client.create_custom_field("Account.ICP_Tier__c", TIER_FIELD)
        client.connect()
        parent = client.rest(
            "PermissionSet.create",
            "sobjects/PermissionSet",
            "POST",
            {"Name": "Read_Only_ICP", "Label": "Read only ICP"},
        )["id"]
        client.rest(
            "FieldPermissions.create",
            "sobjects/FieldPermissions",
            "POST",
            {
                "ParentId": parent,
                "SobjectType": "Account",
                "Field": "Account.ICP_Tier__c",
                "PermissionsRead": True,
                "PermissionsEdit": False,
            },
        )
        client.rest(
            "PermissionSetAssignment.create",
            "sobjects/PermissionSetAssignment",
            "POST",
            {"AssigneeId": client.user_id, "PermissionSetId": parent},
        )

    checks = by_name(salesforce_checks(settings_of(org), rubric))

    assert checks["permissions"].status == "fail"
    assert checks["permissions"].detail == "read-only for the user: Account.ICP_Tier__c"
    assert "Edit Access" in str(checks["permissions"].fix)
    assert checks["field_level_security"].status == "ok"


def test_given_a_user_without_edit_on_leads_then_permissions_fail_naming_the_object(
    start_crm_sandbox: SandboxFactory, rubric: Rubric
) -> None:
    no_lead_edit = UserPermissions(edit_objects=frozenset({"Account", "Opportunity"}))
    org = start_crm_sandbox.salesforce_only(seed=4, companies=3, user_permissions=no_lead_edit)

    checks = by_name(salesforce_checks(settings_of(org), rubric))

    assert checks["permissions"].status == "fail"
    assert "Lead" in checks["permissions"].detail
    assert "Account" not in checks["permissions"].detail
