"""Salesforce contract: every call the connectors make, sent to the sandbox org over HTTPS as
`connectors.salesforce` sends it (method, path, query, headers, body shape), and the answer
checked against Salesforce's documented shape (`schemas/salesforce/`, each citing what it was
written from; describe against Salesforce's own describe JSON schema): the successes and the
error answers the connector relies on (the OAuth error JSON, the REST error list for 400, 401
`INVALID_SESSION_ID`, 403 `REQUEST_LIMIT_EXCEEDED` and 404, failed records inside a 200 from
sObject Collections).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.schema import FIT_SCORE
from connectors.salesforce.soql import select
from crm_sandbox import RunningSandbox
from tests.crm_sandbox.contract import salesforce_calls as call
from tests.crm_sandbox.contract.contract import Case, assert_every_call_covered, check
from tests.crm_sandbox.contract.salesforce_calls import DATA, MISSING_ACCOUNT, SMALLEST_BATCH, Org


@pytest.fixture(scope="module")
def org(contract_sandbox: RunningSandbox) -> Iterator[Org]:
    running = contract_sandbox.salesforce_sandbox
    assert running is not None
    with requests.Session() as http:
        http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify otherwise
        http.verify = running.ca_bundle
        yield Org(running, http)


# -- the cases -------------------------------------------------------------------------------

OAUTH = "salesforce/oauth.json#"
REST = "salesforce/rest.json#"
ACCOUNTS = select(["Id", "Name", "Website", "SystemModstamp"], "Account", order_by=["Id"])
SINCE = "SystemModstamp >= 2020-01-01T00:00:00.000Z"

CASES: tuple[Case, ...] = (
    Case(
        "oauth2/token client credentials",
        200,
        OAUTH + "Token",
        call.token("ok"),
        ("auth.request_token", "SalesforceClient.connect"),
    ),
    Case("oauth2/token bad secret 400", 400, OAUTH + "Error", call.token("bad secret")),
    Case(
        "oauth2/token jwt unknown user 400",
        400,
        OAUTH + "Error",
        call.token("jwt unknown user"),
    ),
    Case(
        "query",
        200,
        REST + "QueryResult",
        call.query(ACCOUNTS),
        ("SalesforceClient.query",),
    ),
    Case(
        "query first of several batches",
        200,
        REST + "QueryResult",
        call.query(select(["Id", "StageName"], "Opportunity"), batch=SMALLEST_BATCH),
    ),
    Case(
        "query_more", 200, REST + "QueryResult", call.query_more, ("SalesforceClient.query_more",)
    ),
    Case(
        "queryAll",
        200,
        REST + "QueryResult",
        call.query(select(["Id", "IsDeleted"], "Lead", where=SINCE), resource="queryAll"),
        ("SalesforceClient.query",),
    ),
    Case("query malformed 400", 400, REST + "Errors", call.query("SELECT FROM Account WHERE")),
    Case(
        "query unknown field 400",
        400,
        REST + "Errors",
        call.query("SELECT Id, NoSuch__c FROM Lead"),
    ),
    *(
        Case(
            f"{name}.describe",
            200,
            "salesforce/describe.json",
            call.get(f"{DATA}/sobjects/{name}/describe"),
            ("SalesforceClient.describe",),
        )
        for name in ("Account", "Lead")
    ),
    Case(
        "describe unknown object 404",
        404,
        REST + "Errors",
        call.get(f"{DATA}/sobjects/NoSuch__c/describe"),
    ),
    Case("limits", 200, REST + "Limits", call.get(f"{DATA}/limits/")),
    Case("Account.get", 200, REST + "Record", call.get_record),
    Case(
        "Account.get missing 404",
        404,
        REST + "Errors",
        call.get(f"{DATA}/sobjects/Account/{MISSING_ACCOUNT}"),
    ),
    Case("Lead.create", 201, REST + "SaveResult", call.create_lead),
    Case(
        "Lead.update", 204, None, call.update_record(FIT_SCORE), ("SalesforceClient.update_record",)
    ),
    Case("Lead.update unknown field 400", 400, REST + "Errors", call.update_record("NoSuch__c")),
    Case(
        "composite/sobjects.update with a failed record",
        200,
        REST + "CollectionSaveResults",
        call.update_collection(),
        ("SalesforceClient.update_collection",),
    ),
    Case(
        "composite/sobjects.update over 200 records 400",
        400,
        REST + "Errors",
        call.update_collection(too_many=True),
    ),
    Case(
        "tooling.CustomField.create",
        201,
        REST + "SaveResult",
        call.create_custom_field(twice=False),
        ("SalesforceClient.create_custom_field",),
    ),
    Case(
        "tooling.CustomField.create twice 400",
        400,
        REST + "Errors",
        call.create_custom_field(twice=True),
    ),
    Case(
        "tooling/query CustomField (SalesforceClient.rest: field access)",
        200,
        REST + "QueryResult",
        call.tooling_custom_fields,
        ("SalesforceClient.rest",),
    ),
    Case(
        "PermissionSet.create (SalesforceClient.rest: field access grant)",
        201,
        REST + "SaveResult",
        call.create_permission_set,
    ),
    Case("any call with an expired session 401", 401, REST + "Errors", call.expired_session),
    Case("any call over the daily limit 403", 403, REST + "Errors", call.over_daily_limit),
)


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_given_a_connector_call_when_sent_to_the_org_then_the_answer_matches_salesforces_docs(
    org: Org, case: Case
) -> None:
    check(case, case.send(org))


def test_given_the_salesforce_client_then_every_public_call_has_a_contract_case() -> None:
    assert_every_call_covered(
        SalesforceClient,
        CASES,
        not_http=frozenset({"close", "translate"}),
        functions=("auth.request_token",),
    )
