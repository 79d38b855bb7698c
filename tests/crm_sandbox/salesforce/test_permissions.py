"""Field-level security and the integration user's rights, through simple-salesforce over HTTPS:
a Tooling-created field is hidden until a permission set grants it, grants are records made
through the REST API, and a user without rights gets Salesforce's INSUFFICIENT_ACCESS codes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.permissions import READ_WRITE_ONLY, UserPermissions
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.simple_salesforce_typed import TypedSalesforce, connect, error_list

FIELD = {"FullName": "Account.ICP_Score__c", "Metadata": {"label": "ICP Score", "type": "Number"}}
NO_SUCH_COLUMN = (
    "No such column 'ICP_Score__c' on entity 'Account'. If you are attempting to use a custom "
    "field, be sure to append the '__c' after the custom field name. Please reference your "
    "WSDL or the describe call for the appropriate names."
)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    http = requests.Session()
    http.trust_env = False
    yield http
    http.close()


def _org(
    factory: SandboxFactory, http: requests.Session, **options: Any
) -> tuple[RunningSalesforce, TypedSalesforce]:
    org = factory.salesforce_only(seed=3, companies=4, with_icp_fields=False, **options)
    http.verify = org.ca_bundle
    return org, connect(org, http)


def _org_with_new_field(
    factory: SandboxFactory, http: requests.Session
) -> tuple[RunningSalesforce, TypedSalesforce, str]:
    """A fresh org where `ICP_Score__c` was just made through the Tooling API, and an
    Account's id."""
    org, sf = _org(factory, http)
    sf.toolingexecute("sobjects/CustomField", method="POST", data=FIELD)
    return org, sf, str(org.salesforce.snapshot("Account")[0]["Id"])


def _code(call: Any) -> str:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        call()
    return str(error_list(caught.value)[0]["errorCode"])


def _described(sf: TypedSalesforce) -> dict[str, Any]:
    return {f["name"]: f for f in sf.Account.describe()["fields"]}


def test_given_tooling_field_when_not_granted_then_hidden_everywhere_but_tooling(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    _, sf, account = _org_with_new_field(start_crm_sandbox, session)

    assert "ICP_Score__c" not in _described(sf)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id, ICP_Score__c FROM Account")
    assert error_list(caught.value)[0]["errorCode"] == "INVALID_FIELD"
    assert NO_SUCH_COLUMN in error_list(caught.value)[0]["message"]
    assert _code(lambda: sf.Account.update(account, {"ICP_Score__c": 5})) == "INVALID_FIELD"
    body = {"records": [{"attributes": {"type": "Account"}, "id": account, "ICP_Score__c": 5}]}
    result = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert result is not None
    assert result[0]["errors"][0]["statusCode"] == "INVALID_FIELD"
    listed = sf.toolingexecute(
        "query?q=SELECT Id, DeveloperName, TableEnumOrId FROM CustomField "
        "WHERE TableEnumOrId = 'Account'"
    )
    names = {r["DeveloperName"]: r for r in listed["records"]}
    assert names["ICP_Score"]["TableEnumOrId"] == "Account"
    assert names["ICP_Score"]["Id"].startswith("00N")
    assert listed["entityTypeName"] == "CustomField"


def test_given_permission_set_granted_through_rest_when_read_then_edit_then_field_follows(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    org, sf, account = _org_with_new_field(start_crm_sandbox, session)
    permission_set = sf.PermissionSet.create({"Name": "ICP_Sync_Integration", "Label": "ICP"})
    grant = sf.FieldPermissions.create(
        {
            "ParentId": permission_set["id"],
            "SobjectType": "Account",
            "Field": "Account.ICP_Score__c",
            "PermissionsRead": True,
            "PermissionsEdit": False,
        }
    )
    user = org.salesforce.integration_user_id
    assert "ICP_Score__c" not in _described(sf)  # granted to a set nobody holds yet
    sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": permission_set["id"]})

    assert _described(sf)["ICP_Score__c"]["updateable"] is False
    code = _code(lambda: sf.Account.update(account, {"ICP_Score__c": 5}))
    assert code == "INVALID_FIELD_FOR_INSERT_UPDATE"
    sf.FieldPermissions.update(grant["id"], {"PermissionsEdit": True})
    sf.Account.update(account, {"ICP_Score__c": 5})
    row = sf.query(f"SELECT ICP_Score__c FROM Account WHERE Id = '{account}'")["records"][0]
    assert row["ICP_Score__c"] == 5
    rows = sf.query(
        "SELECT Field, PermissionsEdit FROM FieldPermissions "
        f"WHERE ParentId = '{permission_set['id']}'"
    )["records"]
    assert [(r["Field"], r["PermissionsEdit"]) for r in rows] == [("Account.ICP_Score__c", True)]
    again = {"AssigneeId": user, "PermissionSetId": permission_set["id"]}
    assert _code(lambda: sf.PermissionSetAssignment.create(again)) == "DUPLICATE_VALUE"
    who = sf.query(
        "SELECT LastModifiedBy.Name, CreatedById FROM PermissionSet "
        f"WHERE Id = '{permission_set['id']}'"
    )["records"][0]
    assert who["CreatedById"] == user  # setup records have the system fields, Owner aside
    assert who["LastModifiedBy"]["Name"]


def test_given_bad_grants_when_created_then_refused_as_salesforce_does(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    _, sf = _org(start_crm_sandbox, session)
    parent = sf.PermissionSet.create({"Name": "Grants", "Label": "Grants"})["id"]
    grant = {"ParentId": parent, "SobjectType": "Account", "PermissionsRead": True}

    unknown = {**grant, "Field": "Account.Nope__c"}
    assert _code(lambda: sf.FieldPermissions.create(unknown)) == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )
    edit_only = {**grant, "Field": "Account.Buying_Signals__c", "PermissionsRead": False,
                 "PermissionsEdit": True}  # fmt: skip
    assert _code(lambda: sf.FieldPermissions.create(edit_only)) == "FIELD_INTEGRITY_EXCEPTION"
    taken = {"Name": "Grants", "Label": "Again"}
    assert _code(lambda: sf.PermissionSet.create(taken)) == "DUPLICATE_DEVELOPER_NAME"


def test_given_user_without_setup_rights_when_creating_field_or_grant_then_insufficient_access(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    _, sf = _org(start_crm_sandbox, session, user_permissions=READ_WRITE_ONLY)

    create_field = lambda: sf.toolingexecute("sobjects/CustomField", method="POST", data=FIELD)  # noqa: E731
    assert _code(create_field) == "INSUFFICIENT_ACCESS"
    create_set = lambda: sf.PermissionSet.create({"Name": "X", "Label": "X"})  # noqa: E731
    assert _code(create_set) == "INSUFFICIENT_ACCESS"
    profile = sf.query(
        "SELECT PermissionsCustomizeApplication FROM PermissionSet WHERE IsOwnedByProfile = true"
    )["records"]
    assert [p["PermissionsCustomizeApplication"] for p in profile] == [False]


def test_given_user_without_edit_on_lead_when_updating_leads_then_per_record_readonly_error(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    user = UserPermissions(edit_objects=frozenset({"Account"}))
    org, sf = _org(start_crm_sandbox, session, user_permissions=user)
    lead = org.salesforce.snapshot("Lead")[0]["Id"]
    account = org.salesforce.snapshot("Account")[0]["Id"]
    body = {
        "records": [
            {"attributes": {"type": "Lead"}, "id": lead, "Title": "CTO"},
            {"attributes": {"type": "Account"}, "id": account, "BillingCity": "Lyon"},
        ]
    }

    results = sf.restful("composite/sobjects", method="PATCH", json=body)

    assert results is not None
    assert results[0]["errors"][0]["statusCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    assert results[0]["errors"][0]["message"] == "insufficient access rights on object id"
    assert results[1]["success"] is True


def test_given_user_without_edit_on_lead_when_described_then_lead_is_read_only_and_account_not(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    user = UserPermissions(edit_objects=frozenset({"Account"}))
    _, sf = _org(start_crm_sandbox, session, user_permissions=user)

    lead, account = sf.Lead.describe(), sf.Account.describe()

    assert (lead["updateable"], lead["createable"]) == (False, False)
    assert not any(field["updateable"] or field["createable"] for field in lead["fields"])
    assert account["updateable"] is True
    assert {f["name"]: f["updateable"] for f in account["fields"]}["BillingCity"] is True


def test_given_seeded_org_with_icp_fields_then_setup_grant_present_and_fields_editable(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    org = start_crm_sandbox.salesforce_only(seed=3, companies=4)
    session.verify = org.ca_bundle
    sf = connect(org, session)

    sets = sf.query("SELECT Id FROM PermissionSet WHERE Name = 'ICP_Sync_Integration'")
    granted = sf.query(
        f"SELECT Field FROM FieldPermissions WHERE ParentId = '{sets['records'][0]['Id']}'"
    )
    assert granted["totalSize"] == 14  # seven fields on Account and on Lead
    assert _described(sf)["ICP_Tier__c"]["updateable"] is True


def test_given_field_security_relaxed_when_tooling_field_created_then_visible_at_once(
    start_crm_sandbox: SandboxFactory, session: requests.Session
) -> None:
    _, sf = _org(start_crm_sandbox, session, field_security=False)

    sf.toolingexecute("sobjects/CustomField", method="POST", data=FIELD)

    assert _described(sf)["ICP_Score__c"]["updateable"] is True
