"""Salesforce contract: every call the connectors make, sent to the sandbox org over HTTPS as
`connectors.salesforce` sends it (method, path, query, headers, body shape), and the answer
checked against Salesforce's documented shape (`schemas/salesforce/`, each citing what it was
written from; describe against Salesforce's own describe JSON schema): the successes and the
error answers the connector relies on (the OAuth error JSON, the REST error list for 400, 401
`INVALID_SESSION_ID`, 403 `REQUEST_LIMIT_EXCEEDED` and 404, failed records inside a 200 from
sObject Collections).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.salesforce.auth import JwtBearer
from connectors.salesforce.client import DEFAULT_API_VERSION, QUERY_BATCH_SIZE, SalesforceClient
from connectors.salesforce.schema import FIT_SCORE, TIER, writeback_fields
from connectors.salesforce.soql import select
from crm_sandbox import RunningSandbox
from crm_sandbox.salesforce.metadata import describe, standard_schema
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.crm_sandbox.contract.contract import Answer, Case, check, json_or_none, uncovered

DATA = f"/services/data/v{DEFAULT_API_VERSION}"
MISSING_ACCOUNT = "001000000000000AAA"  # well-formed, no such record
SMALLEST_BATCH = 200  # Salesforce's minimum `batchSize`


class Org:
    """The org over HTTPS with a token for its connected app, and records that exist in it."""

    def __init__(self, org: RunningSalesforce, http: requests.Session) -> None:
        self.org = org
        self.http = http
        token = self.token({"grant_type": "client_credentials", **self._app()}).body
        self.access_token: str = token["access_token"]
        self.base: str = token["instance_url"]
        rows = self.call("GET", f"{DATA}/query/", params={"q": "SELECT Id FROM Lead LIMIT 2"})
        self.leads = [row["Id"] for row in rows.body["records"]]
        rows = self.call("GET", f"{DATA}/query/", params={"q": "SELECT Id FROM Account LIMIT 2"})
        self.accounts = [row["Id"] for row in rows.body["records"]]

    def _app(self) -> dict[str, str]:
        return {"client_id": self.org.client_id, "client_secret": self.org.client_secret}

    def token(self, form: dict[str, str]) -> Answer:
        response = self.http.post(self.org.token_url, data=form, timeout=30)
        return _answer(response)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Answer:
        response = self.http.request(
            method,
            self.base + path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token or self.access_token}", **(headers or {})},
            timeout=30,
        )
        return _answer(response)


def _answer(response: requests.Response) -> Answer:
    return Answer(response.status_code, json_or_none(response.content), dict(response.headers))


Send = Callable[[Org], Answer]


@pytest.fixture(scope="module")
def org(contract_sandbox: RunningSandbox) -> Iterator[Org]:
    running = contract_sandbox.salesforce_sandbox
    assert running is not None
    with requests.Session() as http:
        http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify otherwise
        http.verify = running.ca_bundle
        yield Org(running, http)


def _describe_pending() -> str | None:
    """Until the sandbox's describe carries Salesforce's keys (`soapType`, `filterable` …)."""
    sample = describe("Account", standard_schema()["Account"])
    if "soapType" in sample["fields"][0] and "childRelationships" in sample:
        return None
    return "describe lacks DescribeSObjectResult keys: served once branch w/sf-api lands"


# -- requests as the connector sends them ---------------------------------------------------


def _token(kind: str) -> Send:
    def send(api: Org) -> Answer:
        if kind == "jwt unknown user":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            grant = JwtBearer(api.org.client_id, "nobody@example.invalid", key, api.org.url)
            return api.token(grant.form())
        form = {"grant_type": "client_credentials", "client_id": api.org.client_id}
        form["client_secret"] = api.org.client_secret if kind == "ok" else "not-the-secret"
        return api.token(form)

    return send


def _query(soql: str, *, resource: str = "query", batch: int = QUERY_BATCH_SIZE) -> Send:
    def send(api: Org) -> Answer:
        return api.call(
            "GET",
            f"{DATA}/{resource}/",
            params={"q": soql},
            headers={"Sforce-Query-Options": f"batchSize={batch}"},
        )

    return send


def _query_more(api: Org) -> Answer:
    first = _query(select(["Id", "StageName"], "Opportunity"), batch=SMALLEST_BATCH)(api)
    assert first.status == 200, first
    assert first.body.get("nextRecordsUrl"), "a first batch of several names the next one"
    return api.call("GET", first.body["nextRecordsUrl"])


def _get(path: str) -> Send:
    def send(api: Org) -> Answer:
        return api.call("GET", path)

    return send


def _get_record(api: Org) -> Answer:
    return api.call("GET", f"{DATA}/sobjects/Account/{api.accounts[0]}")


def _create_lead(api: Org) -> Answer:
    body = {
        "LastName": "Contract",
        "Company": "Contract Probe Ltd",
        "Status": "Open - Not Contacted",
    }
    return api.call("POST", f"{DATA}/sobjects/Lead/", json=body)


def _update_record(field: str) -> Send:
    def send(api: Org) -> Answer:
        return api.call(
            "PATCH",
            f"{DATA}/sobjects/Lead/{api.leads[0]}",
            json={field: 87},
            headers={"Sforce-Auto-Assign": "FALSE"},
        )

    return send


def _update_collection(*, too_many: bool = False) -> Send:
    def send(api: Org) -> Answer:
        records = [
            {"attributes": {"type": "Lead"}, "id": api.leads[0], FIT_SCORE: 64, TIER: "tier_2"},
            {"attributes": {"type": "Account"}, "id": MISSING_ACCOUNT, FIT_SCORE: 12},
        ]
        if too_many:
            records = [records[0]] * 201
        return api.call(
            "PATCH",
            f"{DATA}/composite/sobjects",
            json={"allOrNone": False, "records": records},
            headers={"Sforce-Auto-Assign": "FALSE"},
        )

    return send


def _create_custom_field(*, twice: bool) -> Send:
    """A new field as `setup salesforce` creates one; `twice`: the same field again, which
    Salesforce refuses (400 `DUPLICATE_DEVELOPER_NAME`)."""

    def send(api: Org) -> Answer:
        spec = next(f for f in writeback_fields(("tier_1",), ()) if f.name == FIT_SCORE)
        body = {
            "FullName": f"Lead.ICP_Contract_{uuid.uuid4().hex[:8]}__c",
            "Metadata": dict(spec.metadata),
        }
        answer = api.call("POST", f"{DATA}/tooling/sobjects/CustomField", json=body)
        if twice:
            assert answer.status == 201, answer
            answer = api.call("POST", f"{DATA}/tooling/sobjects/CustomField", json=body)
        return answer

    return send


def _expired_session(api: Org) -> Answer:
    return api.call("GET", f"{DATA}/limits/", token="00Dxx0000000000!expired")


def _over_daily_limit(api: Org) -> Answer:
    usage = api.org.usage
    saved = usage.used
    usage.used = usage.daily_limit
    try:
        return _query(select(["Id"], "Account"))(api)
    finally:
        usage.used = saved


# -- the cases -------------------------------------------------------------------------------

OAUTH = "salesforce/oauth.json#"
REST = "salesforce/rest.json#"
ACCOUNTS = select(["Id", "Name", "Website", "SystemModstamp"], "Account", order_by=["Id"])
SINCE = "SystemModstamp >= 2020-01-01T00:00:00.000Z"

CASES: tuple[Case, ...] = (
    Case("oauth2/token client credentials", 200, OAUTH + "Token", _token("ok"), ("request_token",)),
    Case("oauth2/token bad secret 400", 400, OAUTH + "Error", _token("bad secret")),
    Case(
        "oauth2/token jwt unknown user 400",
        400,
        OAUTH + "Error",
        _token("jwt unknown user"),
        pending="the sandbox issues a token for any JWT subject: served once JWT bearer "
        "verification (issue 14, point 1) lands",
    ),
    Case(
        "query",
        200,
        REST + "QueryResult",
        _query(ACCOUNTS),
        ("SalesforceClient.query",),
    ),
    Case(
        "query first of several batches",
        200,
        REST + "QueryResult",
        _query(select(["Id", "StageName"], "Opportunity"), batch=SMALLEST_BATCH),
    ),
    Case("query_more", 200, REST + "QueryResult", _query_more, ("SalesforceClient.query_more",)),
    Case(
        "queryAll",
        200,
        REST + "QueryResult",
        _query(select(["Id", "IsDeleted"], "Lead", where=SINCE), resource="queryAll"),
        ("SalesforceClient.query",),
    ),
    Case("query malformed 400", 400, REST + "Errors", _query("SELECT FROM Account WHERE")),
    Case("query unknown field 400", 400, REST + "Errors", _query("SELECT Id, NoSuch__c FROM Lead")),
    Case(
        "Account.describe",
        200,
        "salesforce/describe.json",
        _get(f"{DATA}/sobjects/Account/describe"),
        ("SalesforceClient.describe",),
        pending=_describe_pending(),
    ),
    Case(
        "Lead.describe",
        200,
        "salesforce/describe.json",
        _get(f"{DATA}/sobjects/Lead/describe"),
        ("SalesforceClient.describe",),
        pending=_describe_pending(),
    ),
    Case(
        "describe unknown object 404",
        404,
        REST + "Errors",
        _get(f"{DATA}/sobjects/NoSuch__c/describe"),
    ),
    Case("limits", 200, REST + "Limits", _get(f"{DATA}/limits/")),
    Case("Account.get", 200, REST + "Record", _get_record),
    Case(
        "Account.get missing 404",
        404,
        REST + "Errors",
        _get(f"{DATA}/sobjects/Account/{MISSING_ACCOUNT}"),
    ),
    Case("Lead.create", 201, REST + "SaveResult", _create_lead),
    Case("Lead.update", 204, None, _update_record(FIT_SCORE), ("SalesforceClient.update_record",)),
    Case("Lead.update unknown field 400", 400, REST + "Errors", _update_record("NoSuch__c")),
    Case(
        "composite/sobjects.update with a failed record",
        200,
        REST + "CollectionSaveResults",
        _update_collection(),
        ("SalesforceClient.update_collection",),
    ),
    Case(
        "composite/sobjects.update over 200 records 400",
        400,
        REST + "Errors",
        _update_collection(too_many=True),
    ),
    Case(
        "tooling.CustomField.create",
        201,
        REST + "SaveResult",
        _create_custom_field(twice=False),
        ("SalesforceClient.create_custom_field",),
    ),
    Case(
        "tooling.CustomField.create twice 400",
        400,
        REST + "Errors",
        _create_custom_field(twice=True),
    ),
    Case("any call with an expired session 401", 401, REST + "Errors", _expired_session),
    Case("any call over the daily limit 403", 403, REST + "Errors", _over_daily_limit),
)


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_given_a_connector_call_when_sent_to_the_org_then_the_answer_matches_salesforces_docs(
    org: Org, case: Case
) -> None:
    check(case, case.send(org))


def test_given_the_salesforce_client_then_every_public_call_has_a_contract_case() -> None:
    missing = uncovered(SalesforceClient, CASES, not_http=frozenset({"close", "translate"}))
    if not any("request_token" in case.covers for case in CASES):
        missing.append("connectors.salesforce.auth.request_token")
    assert not missing, f"add a contract case (Case.covers) for {missing}"
