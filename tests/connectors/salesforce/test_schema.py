"""Setting up the ICP custom fields through the Tooling API: created once, then unchanged."""

from __future__ import annotations

import pytest

from connectors.errors import RejectedError
from connectors.records import PropertyUpdate
from connectors.salesforce.field_access import FieldAccessDenied
from connectors.salesforce.schema import WRITEBACK_FIELDS, writeback_fields
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.permissions import READ_WRITE_ONLY, UserPermissions
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.salesforce import OrgFactory, SalesforceFactory, a_score, records_of


def test_given_an_org_without_icp_fields_when_set_up_twice_then_seven_per_object_then_unchanged(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False)
    connector = connect(org, tiers=("tier_1", "tier_2", "tier_3", "disqualified"))

    first = connector.ensure_schema()
    second = connector.ensure_schema()

    expected = [f"{o}.{f}" for o in ("Account", "Lead") for f in WRITEBACK_FIELDS]
    assert [c.name for c in first if c.kind == "field"] == expected
    assert {c.action for c in first} == {"created"}
    granted = [c.name for c in first if c.kind == "field permission"]
    assert granted == expected  # the fields made are hidden from the user until granted
    assert [c.name for c in second] == expected
    assert {c.action for c in second} == {"unchanged"}
    fields = org.salesforce.fields("Lead")
    assert fields["ICP_Tier__c"].picklist == ("tier_1", "tier_2", "tier_3", "disqualified")
    assert fields["ICP_Tier__c"].restricted
    assert (fields["ICP_Flags__c"].type, fields["ICP_Flags__c"].restricted) == (
        "multipicklist",
        False,
    )
    assert fields["ICP_Flags__c"].picklist[:1] == ("too_small",)
    assert (fields["ICP_Reasons__c"].type, fields["ICP_Reasons__c"].length) == ("textarea", 32_768)
    assert fields["ICP_Fit_Score__c"].type == "double"
    assert fields["ICP_Disqualified__c"].type == "boolean"
    assert fields["ICP_Scored_At__c"].type == "datetime"
    assert fields["ICP_Rubric_Version__c"].length == 64


def test_given_fields_just_created_when_pulled_and_written_then_they_are_used(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False)
    connector = connect(org)
    assert not any(
        k.startswith("ICP_") for k in records_of(list(connector.pull_accounts(None)))[0].properties
    )

    connector.ensure_schema()
    account = str(org.salesforce.snapshot("Account")[0]["Id"])
    outcomes = connector.write(
        [PropertyUpdate("account", account, connector.render_score(a_score(flags=("too_small",))))]
    )
    pulled = records_of(list(connector.pull_accounts(None)))

    assert outcomes[0].written, outcomes[0].error
    written = next(a for a in pulled if a.crm_id == account)
    assert written.properties["ICP_Tier__c"] == "tier_1"
    assert written.properties["ICP_Flags__c"] == "too_small"


def test_given_a_rubric_without_disqualifiers_when_set_up_then_flags_are_a_long_text_area(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False)

    connect(org, flags=()).ensure_schema()

    assert org.salesforce.fields("Account")["ICP_Flags__c"].type == "textarea"
    specs = {spec.name: spec for spec in writeback_fields(("tier_1",), ())}
    assert specs["ICP_Flags__c"].metadata["type"] == "LongTextArea"
    assert specs["ICP_Tier__c"].picklist == ("tier_1", "disqualified")


def test_given_some_fields_present_when_set_up_then_only_the_missing_are_created(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False)
    org.salesforce.add_custom_field("Lead", FieldDef("ICP_Tier__c", "picklist", custom=True))

    changes = connect(org).ensure_schema()

    actions = {c.name: c.action for c in changes if c.kind == "field"}
    assert actions["Lead.ICP_Tier__c"] == "unchanged"
    assert actions["Account.ICP_Tier__c"] == "created"
    assert sum(a == "created" for a in actions.values()) == 13
    assert "Lead.ICP_Tier__c" in {c.name for c in changes if c.kind == "field permission"}


def test_given_a_user_who_may_not_grant_when_set_up_then_denied_with_steps_and_changes(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    may_create_fields = UserPermissions(manage_profiles_permissionsets=False)
    org = start_org(with_icp_fields=False, user_permissions=may_create_fields)

    with pytest.raises(FieldAccessDenied, match="may not grant") as caught:
        connect(org).ensure_schema()

    assert caught.value.code == "INSUFFICIENT_ACCESS"
    assert {c.action for c in caught.value.changes} == {"created"}
    assert len(caught.value.changes) == 14
    assert any("ICP_Fit_Score__c" in step for step in caught.value.steps)


def test_given_a_user_without_customize_application_when_set_up_then_the_error_names_it(
    start_org: OrgFactory, connect: SalesforceFactory
) -> None:
    org = start_org(with_icp_fields=False, user_permissions=READ_WRITE_ONLY)

    with pytest.raises(RejectedError, match="Customize Application") as caught:
        connect(org).ensure_schema()

    assert caught.value.code == "INSUFFICIENT_ACCESS"
    assert "ICP_Fit_Score__c" not in org.salesforce.fields("Account")


def test_given_a_tier_missing_from_an_existing_picklist_when_set_up_then_a_warning(
    org: RunningSalesforce, connect: SalesforceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    changes = connect(org, tiers=("tier_1", "platinum")).ensure_schema()

    assert {c.action for c in changes} == {"unchanged"}
    assert "lacks the value(s) platinum" in caplog.text
