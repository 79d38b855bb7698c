"""SOQL over HTTPS through simple-salesforce: parents nested as Salesforce renders them, the
org's users, queues and lead assignment rule, LIKE and date literals, and MALFORMED_QUERY for a
bad date literal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.users import LEAD_RULE_NAME, ORG_USERS
from tests.support.simple_salesforce_typed import (
    TypedSalesforce,
    connect,
    error_list,
    sandbox_session,
)

RULE_QUERY = (
    "SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Lead' AND Active = true"
)


@pytest.fixture(scope="module")
def org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    with start_shared_crm_sandbox.salesforce_only(seed=6, companies=12) as running:
        yield running


@pytest.fixture
def http(org: RunningSalesforce) -> Iterator[requests.Session]:
    with sandbox_session(org) as session:
        yield session


@pytest.fixture
def sf(org: RunningSalesforce, http: requests.Session) -> TypedSalesforce:
    return connect(org, http)


def test_given_parent_fields_when_queried_then_each_parent_is_a_nested_record(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    answer = sf.query("SELECT Id, Account.Name, Name, Owner.Name FROM Opportunity LIMIT 2")

    row = answer["records"][0]
    account_id = org.salesforce.get("Opportunity", row["Id"])["AccountId"]
    assert list(row) == ["attributes", "Id", "Account", "Name", "Owner"]
    assert row["Account"] == {
        "attributes": {
            "type": "Account",
            "url": f"/services/data/v59.0/sobjects/Account/{account_id}",
        },
        "Name": org.salesforce.get("Account", account_id)["Name"],
    }
    assert row["Owner"]["attributes"]["type"] == "User"
    assert row["Owner"]["Name"] == ORG_USERS[1].name


def test_given_a_lead_routed_to_a_queue_when_owner_name_is_read_then_it_is_the_queue(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    created = sf.Lead.create({"LastName": "Ng", "Company": "Queue Co", "ICP_Tier__c": "tier_1"})

    answer = sf.query(
        f"SELECT Owner.Name, Owner.Id FROM Lead WHERE Id = '{created['id']}' AND "
        "Owner.Name = 'Enterprise'"
    )

    assert answer["totalSize"] == 1
    owner = answer["records"][0]["Owner"]
    assert owner["attributes"]["type"] == "Group"
    assert (owner["Name"], owner["Id"]) == ("Enterprise", org.salesforce.queues["Enterprise"])


def test_given_no_parent_when_a_parent_field_is_selected_then_it_is_null(
    sf: TypedSalesforce,
) -> None:
    answer = sf.query("SELECT Id, Parent.Name FROM Account LIMIT 1")

    assert answer["records"][0]["Parent"] is None


def test_given_the_org_when_users_and_queues_are_queried_then_they_are_listed(
    sf: TypedSalesforce,
) -> None:
    users = sf.query("SELECT Id, Name, Username, IsActive FROM User ORDER BY Name")["records"]
    queues = sf.query("SELECT Name FROM Group WHERE Type = 'Queue'")["records"]

    assert {(u["Username"], u["IsActive"]) for u in users} == {
        (u.username, u.active) for u in ORG_USERS
    }
    assert {q["Name"] for q in queues} == {"Enterprise", "SDR", "Nurture", "Unscored"}


def test_given_the_default_org_when_the_active_lead_rule_is_queried_then_it_is_found(
    sf: TypedSalesforce,
) -> None:
    rules = sf.query(RULE_QUERY)["records"]

    assert [(r["Name"], r["Active"]) for r in rules] == [(LEAD_RULE_NAME, True)]
    assert rules[0]["Id"].startswith("01Q")


def test_given_an_org_without_an_active_rule_then_none_is_found_and_leads_keep_their_owner(
    start_crm_sandbox: SandboxFactory,
) -> None:
    org = start_crm_sandbox.salesforce_only(seed=6, companies=2, active_lead_rule=False)
    with sandbox_session(org) as http:
        sf = connect(org, http)

        rules = sf.query(RULE_QUERY)["records"]
        created = sf.Lead.create({"LastName": "Ng", "Company": "Acme", "ICP_Tier__c": "tier_1"})

        assert rules == []
        assert sf.Lead.get(created["id"])["OwnerId"] == org.salesforce.integration_user_id
        org.salesforce.reseed(6, 2, 2.0)  # the control plane's reset: still as started
        assert sf.query(RULE_QUERY)["records"] == []


def test_given_like_and_date_literals_when_queried_then_the_new_lead_matches(
    sf: TypedSalesforce,
) -> None:
    created = sf.Lead.create({"LastName": "Zed", "Company": "Percent 100% Co"})

    like = sf.query("SELECT Id FROM Lead WHERE Company LIKE 'percent 100\\% c_'")
    today = sf.query("SELECT Id FROM Lead WHERE CreatedDate = TODAY AND LastName = 'Zed'")
    old = sf.query("SELECT Id FROM Lead WHERE CreatedDate < LAST_N_DAYS:1 AND LastName = 'Zed'")

    assert [r["Id"] for r in like["records"]] == [created["id"]]
    assert [r["Id"] for r in today["records"]] == [created["id"]]
    assert old["totalSize"] == 0


def test_given_a_malformed_date_literal_when_queried_then_malformed_query(
    sf: TypedSalesforce,
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:many")

    error = error_list(caught.value)[0]
    assert error["errorCode"] == "MALFORMED_QUERY"
    assert "LAST_N_DAYS:many" in error["message"]
