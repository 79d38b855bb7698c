"""The Salesforce sandbox over real HTTPS, driven by the official simple-salesforce client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.values import sf_datetime
from tests.support.simple_salesforce_typed import (
    TypedSalesforce,
    client_credentials,
    connect,
    error_list,
)

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    with start_shared_crm_sandbox.salesforce_only(seed=11, companies=450, as_of=AS_OF) as running:
        yield running


@pytest.fixture
def session(org: RunningSalesforce) -> Iterator[requests.Session]:
    http = requests.Session()
    http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify otherwise
    http.verify = org.ca_bundle
    yield http
    http.close()


@pytest.fixture
def sf(org: RunningSalesforce, session: requests.Session) -> TypedSalesforce:
    return connect(org, session)


def test_given_client_credentials_when_token_requested_then_token_json_has_instance_url(
    org: RunningSalesforce, session: requests.Session
) -> None:
    body = client_credentials(org, session)
    assert body["instance_url"] == org.url
    assert body["token_type"] == "Bearer"
    assert body["access_token"].startswith("00D")
    assert org.auth.valid(body["access_token"])


def test_given_basic_auth_or_bad_secret_when_token_requested_then_ok_or_invalid_client(
    org: RunningSalesforce, session: requests.Session
) -> None:
    good = session.post(
        org.token_url,
        data={"grant_type": "client_credentials"},
        auth=(org.client_id, org.client_secret),
    )
    assert good.status_code == 200
    bad = session.post(
        org.token_url,
        data={"grant_type": "client_credentials", "client_id": org.client_id,
              "client_secret": "wrong"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_client"


def test_given_expired_session_when_querying_then_expired_session_and_reauth_works(
    org: RunningSalesforce, session: requests.Session
) -> None:
    org.auth.token_ttl_s = 0.2
    try:
        token = client_credentials(org, session)["access_token"]
    finally:
        org.auth.token_ttl_s = 7200.0
    short = TypedSalesforce(session_id=token, instance_url=org.url, session=session)
    assert short.query("SELECT Id FROM Lead LIMIT 1")["totalSize"] == 1
    time.sleep(0.3)
    with pytest.raises(SalesforceExpiredSession) as caught:
        short.query("SELECT Id FROM Lead LIMIT 1")
    assert caught.value.status == 401
    assert error_list(caught.value) == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    fresh = TypedSalesforce(
        session_id=client_credentials(org, session)["access_token"],
        instance_url=org.url,
        session=session,
    )
    assert fresh.query("SELECT Id FROM Lead LIMIT 1")["totalSize"] == 1


# --- query ----------------------------------------------------------------------------------


def test_given_more_rows_than_a_page_when_query_all_then_next_records_url_pages_are_followed(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    text = "SELECT Id, Name, SystemModstamp FROM Account ORDER BY SystemModstamp, Id"
    first = sf.query(text, headers={"Sforce-Query-Options": "batchSize=200"})
    assert first["done"] is False
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-200")
    everything = sf.query_all(text, headers={"Sforce-Query-Options": "batchSize=200"})
    live = org.salesforce.snapshot("Account")
    assert everything["totalSize"] == len(live) == first["totalSize"]
    ids = [r["Id"] for r in everything["records"]]
    assert len(set(ids)) == len(ids) == len(live)
    stamps = [r["SystemModstamp"] for r in everything["records"]]
    assert stamps == sorted(stamps)
    assert everything["records"][0]["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v59.0/sobjects/Account/{ids[0]}",
    }


def test_given_modstamp_window_when_queried_then_only_rows_inside_are_returned(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    rows = org.salesforce.snapshot("Account")
    stamps = sorted(int(r["SystemModstamp"]) for r in rows)
    low, high = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
    low_text = datetime.fromtimestamp(low / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    high_text = datetime.fromtimestamp(high / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = sf.query_all(
        f"SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > {low_text} "
        f"AND SystemModstamp <= {high_text} ORDER BY SystemModstamp"
    )
    low_s, high_s = low // 1000 * 1000, high // 1000 * 1000
    expected = {r["Id"] for r in rows if low_s < int(r["SystemModstamp"]) <= high_s}
    assert {r["Id"] for r in result["records"]} == expected
    assert expected
    assert all(r["SystemModstamp"].endswith("+0000") for r in result["records"])


def test_given_deleted_account_when_query_all_with_include_deleted_then_it_shows_is_deleted(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    victim = str(org.salesforce.snapshot("Account")[5]["Id"])
    sf.Account.delete(victim)
    text = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{victim}'"
    try:
        assert sf.query(text)["totalSize"] == 0
        deleted = sf.query_all(text, include_deleted=True)
        assert deleted["records"][0]["IsDeleted"] is True
        with pytest.raises(SalesforceResourceNotFound):
            sf.Account.get(victim)
    finally:
        org.salesforce.undelete("Account", victim)


def test_given_malformed_and_invalid_queries_when_sent_then_malformed_request_with_error_code(
    sf: TypedSalesforce,
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Account WHERE")
    assert error_list(malformed.value)[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        sf.query("SELECT ICP_Nope__c FROM Account")
    assert error_list(invalid.value)[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'ICP_Nope__c'" in error_list(invalid.value)[0]["message"]


# --- writes ---------------------------------------------------------------------------------


def test_given_account_patch_when_sent_then_204_and_the_value_and_modstamp_change(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    account = org.salesforce.snapshot("Account")[7]
    status = sf.Account.update(account["Id"], {"ICP_Fit_Score__c": 77, "ICP_Tier__c": "tier_2"})
    assert status == 204
    fetched = sf.Account.get(account["Id"])
    assert fetched["ICP_Fit_Score__c"] == 77
    assert fetched["ICP_Tier__c"] == "tier_2"
    assert fetched["SystemModstamp"] > sf_datetime(int(account["SystemModstamp"]))


def test_given_collection_with_bad_records_when_patched_then_per_record_results_in_order(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    accounts = org.salesforce.snapshot("Account")[10:13]
    lead = org.salesforce.snapshot("Lead")[0]
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "id": accounts[0]["Id"],
                 "ICP_Fit_Score__c": 91, "ICP_Tier__c": "tier_1"},
                {"attributes": {"type": "Account"}, "id": accounts[1]["Id"],
                 "ICP_Tier__c": "Platinum"},
                {"attributes": {"type": "Account"}, "id": accounts[2]["Id"], "Bogus__c": 1},
                {"attributes": {"type": "Lead"}, "id": lead["Id"], "ICP_Fit_Score__c": 12},
            ],
        },
        headers={"Sforce-Auto-Assign": "FALSE"},
    )  # fmt: skip
    assert results is not None
    assert [r["success"] for r in results] == [True, False, False, True]
    assert results[0] == {"id": accounts[0]["Id"], "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[2]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert org.salesforce.get("Account", accounts[0]["Id"])["ICP_Fit_Score__c"] == 91
    assert org.salesforce.get("Account", accounts[1]["Id"])["ICP_Tier__c"] is None
    assert org.salesforce.get("Lead", lead["Id"])["OwnerId"] == lead["OwnerId"]  # FALSE: kept


def test_given_all_or_none_with_one_bad_record_when_patched_then_nothing_is_saved(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    accounts = org.salesforce.snapshot("Account")[20:22]
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Account"}, "id": accounts[0]["Id"], "ICP_Fit_Score__c": 5},
                {"attributes": {"type": "Account"}, "id": accounts[1]["Id"], "ICP_Tier__c": "x"},
            ],
        },
    )
    assert results is not None
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert org.salesforce.get("Account", accounts[0]["Id"])["ICP_Fit_Score__c"] is None


def test_given_more_than_200_records_when_patched_then_exceeded_id_limit(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    account_id = org.salesforce.snapshot("Account")[0]["Id"]
    records = [{"attributes": {"type": "Account"}, "id": account_id}] * 201
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="PATCH", json={"records": records})
    assert error_list(caught.value)[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_given_lead_tier_patch_when_auto_assign_default_or_false_then_owner_changes_or_stays(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    leads = org.salesforce.snapshot("Lead")
    routed, kept = leads[1], leads[2]
    assert sf.Lead.update(routed["Id"], {"ICP_Tier__c": "tier_1"}) == 204
    assert sf.Lead.get(routed["Id"])["OwnerId"] == org.salesforce.queues["Enterprise"]
    assert (
        sf.Lead.update(
            kept["Id"], {"ICP_Tier__c": "tier_1"}, headers={"Sforce-Auto-Assign": "FALSE"}
        )
        == 204
    )
    assert sf.Lead.get(kept["Id"])["OwnerId"] == kept["OwnerId"]
    sf.Lead.update(
        kept["Id"], {"ICP_Tier__c": "disqualified"}, headers={"Sforce-Auto-Assign": "TRUE"}
    )
    assert sf.Lead.get(kept["Id"])["OwnerId"] == org.salesforce.queues["Nurture"]


def test_given_a_collection_update_of_leads_then_assignment_runs_unless_auto_assign_false(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    leads = org.salesforce.snapshot("Lead")
    routed, kept = leads[3], leads[4]

    def patch(lead: dict[str, object], headers: dict[str, str]) -> None:
        body = {
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "id": lead["Id"], "ICP_Tier__c": "tier_2"}
            ],
        }
        results = sf.restful("composite/sobjects", method="PATCH", json=body, headers=headers)
        assert results is not None
        assert results[0]["success"] is True

    patch(routed, {})
    patch(kept, {"Sforce-Auto-Assign": "FALSE"})

    assert org.salesforce.get("Lead", routed["Id"])["OwnerId"] == org.salesforce.queues["SDR"]
    assert org.salesforce.get("Lead", kept["Id"])["OwnerId"] == kept["OwnerId"]


def test_given_describe_and_tooling_field_when_created_then_hidden_by_fls_and_duplicate_fails(
    sf: TypedSalesforce,
) -> None:
    describe = sf.Lead.describe()
    tier = next(f for f in describe["fields"] if f["name"] == "ICP_Tier__c")
    assert tier["restrictedPicklist"] is True
    assert [v["value"] for v in tier["picklistValues"]][:1] == ["tier_1"]
    body = {"FullName": "Lead.ICP_Version__c", "Metadata": {"label": "ICP Version", "type": "Text",
                                                             "length": 40}}  # fmt: skip
    created = sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
    assert created["success"] is True
    assert created["id"].startswith("00N")
    assert "ICP_Version__c" not in {f["name"] for f in sf.Lead.describe()["fields"]}  # no FLS
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
    assert error_list(caught.value)[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


# --- limits ---------------------------------------------------------------------------------


def test_given_daily_limit_reached_when_calling_then_403_request_limit_exceeded_with_usage_header(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    sf.query("SELECT Id FROM Lead LIMIT 1")
    usage = sf.api_usage["api-usage"]
    assert usage.total == org.usage.daily_limit
    assert usage.used == org.usage.used
    saved = org.usage.used
    org.usage.used = org.usage.daily_limit
    try:
        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.query("SELECT Id FROM Lead LIMIT 1")
        assert caught.value.status == 403
        assert error_list(caught.value)[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    finally:
        org.usage.used = saved


def test_given_new_lead_when_created_with_tier_then_201_id_and_routing_unless_auto_assign_false(
    org: RunningSalesforce, sf: TypedSalesforce
) -> None:
    routed = sf.Lead.create({"LastName": "Ng", "Company": "Acme", "ICP_Tier__c": "tier_2"})
    assert routed["success"] is True
    assert routed["id"].startswith("00Q")
    assert len(routed["id"]) == 18
    assert sf.Lead.get(routed["id"])["OwnerId"] == org.salesforce.queues["SDR"]
    kept = sf.Lead.create(
        {"LastName": "Ng", "Company": "Acme", "ICP_Tier__c": "tier_2"},
        headers={"Sforce-Auto-Assign": "FALSE"},
    )
    fetched = sf.Lead.get(kept["id"])
    assert fetched["OwnerId"] == org.salesforce.integration_user_id
    assert fetched["Status"] == "Open - Not Contacted"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.create({"LastName": "Ng"})
    assert error_list(caught.value)[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_given_records_updated_when_the_sandbox_writes_are_read_then_each_counts_its_updates(
    org: RunningSalesforce, sf: TypedSalesforce, session: requests.Session
) -> None:
    first, second = (account["Id"] for account in org.salesforce.snapshot("Account")[20:22])

    def writes() -> dict[str, int]:
        answer = session.get(f"{org.url}/_sandbox/writes")
        assert answer.status_code == 200, answer.text
        counts: dict[str, int] = answer.json()
        return counts

    before = writes()
    sf.Account.update(first, {"ICP_Fit_Score__c": 10})
    sf.Account.update(first, {"ICP_Fit_Score__c": 11})
    sf.Account.update(second, {"ICP_Fit_Score__c": 12})
    sf.Account.create({"Name": "Created, not updated"})
    after = writes()

    assert after[first] - before.get(first, 0) == 2
    assert after[second] - before.get(second, 0) == 1
    assert sum(after.values()) - sum(before.values()) == 3  # the creation is not an update
