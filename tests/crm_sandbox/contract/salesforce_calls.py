"""The Salesforce calls of the contract cases, made over HTTPS as `connectors.salesforce` makes
them through simple-salesforce and requests (method, path, query, headers, body shape): `Org`
is the org with a token for its connected app and records that exist in it; each builder
returns a `Send` for one `Case`."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from connectors.salesforce.auth import JwtBearer
from connectors.salesforce.client import DEFAULT_API_VERSION, QUERY_BATCH_SIZE
from connectors.salesforce.schema import FIT_SCORE, TIER, writeback_fields
from connectors.salesforce.soql import select
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.crm_sandbox.contract.contract import Answer, json_or_none

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
        return answer(response)

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
        return answer(response)


def answer(response: requests.Response) -> Answer:
    return Answer(response.status_code, json_or_none(response.content), dict(response.headers))


Send = Callable[[Org], Answer]


def token(kind: str) -> Send:
    def send(api: Org) -> Answer:
        if kind == "jwt unknown user":
            with open(api.org.jwt_private_key_path, "rb") as pem:
                key = load_pem_private_key(pem.read(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            grant = JwtBearer(api.org.client_id, "nobody@example.invalid", key, api.org.url)
            return api.token(grant.form())
        form = {"grant_type": "client_credentials", "client_id": api.org.client_id}
        form["client_secret"] = api.org.client_secret if kind == "ok" else "not-the-secret"
        return api.token(form)

    return send


def query(soql: str, *, resource: str = "query", batch: int = QUERY_BATCH_SIZE) -> Send:
    def send(api: Org) -> Answer:
        return api.call(
            "GET",
            f"{DATA}/{resource}/",
            params={"q": soql},
            headers={"Sforce-Query-Options": f"batchSize={batch}"},
        )

    return send


def query_more(api: Org) -> Answer:
    first = query(select(["Id", "StageName"], "Opportunity"), batch=SMALLEST_BATCH)(api)
    assert first.status == 200, first
    assert first.body.get("nextRecordsUrl"), "a first batch of several names the next one"
    return api.call("GET", first.body["nextRecordsUrl"])


def get(path: str) -> Send:
    def send(api: Org) -> Answer:
        return api.call("GET", path)

    return send


def tooling_custom_fields(api: Org) -> Answer:
    soql = (
        "SELECT Id, DeveloperName, TableEnumOrId FROM CustomField WHERE TableEnumOrId = 'Account'"
    )
    return api.call("GET", f"{DATA}/tooling/query/", params={"q": soql})


def create_permission_set(api: Org) -> Answer:
    body = {"Name": f"Contract_{secrets.token_hex(4)}", "Label": "Contract probe"}
    return api.call("POST", f"{DATA}/sobjects/PermissionSet/", json=body)


def get_record(api: Org) -> Answer:
    return api.call("GET", f"{DATA}/sobjects/Account/{api.accounts[0]}")


def create_lead(api: Org) -> Answer:
    body = {
        "LastName": "Contract",
        "Company": "Contract Probe Ltd",
        "Status": "Open - Not Contacted",
    }
    return api.call("POST", f"{DATA}/sobjects/Lead/", json=body)


def update_record(field: str) -> Send:
    def send(api: Org) -> Answer:
        return api.call(
            "PATCH",
            f"{DATA}/sobjects/Lead/{api.leads[0]}",
            json={field: 87},
            headers={"Sforce-Auto-Assign": "FALSE"},
        )

    return send


def update_collection(*, too_many: bool = False) -> Send:
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


def create_custom_field(*, twice: bool) -> Send:
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


def expired_session(api: Org) -> Answer:
    return api.call("GET", f"{DATA}/limits/", token="00Dxx0000000000!expired")


def over_daily_limit(api: Org) -> Answer:
    usage = api.org.usage
    saved = usage.used
    usage.used = usage.daily_limit
    try:
        return query(select(["Id"], "Account"))(api)
    finally:
        usage.used = saved
