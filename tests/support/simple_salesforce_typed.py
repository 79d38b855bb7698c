"""simple-salesforce as the sandbox tests drive it, with the types the library leaves loose: it
types `sf.<Object>` as a union with its bulk handlers, and an error's parsed JSON `content` as
bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError

if TYPE_CHECKING:
    from crm_sandbox.salesforce.server import RunningSalesforce


class TypedSalesforce(Salesforce):
    """`sf.Account`, `sf.Lead`, …: the `SFType` simple-salesforce returns for every name but
    `bulk` and `bulk2`, which these tests do not use."""

    def __getattr__(self, name: str) -> SFType:
        handle = super().__getattr__(name)
        assert isinstance(handle, SFType), f"sf.{name} is a bulk handler, not an sObject type"
        return handle


def error_list(error: SalesforceError) -> list[dict[str, Any]]:
    """The REST API's error list, which simple-salesforce keeps parsed in `content`."""
    content: object = error.content
    assert isinstance(content, list), content
    return content


def client_credentials(org: RunningSalesforce, http: requests.Session) -> dict[str, Any]:
    """The org's token answer for its connected app (client-credentials flow), asserted 200."""
    response = http.post(
        org.token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": org.client_id,
            "client_secret": org.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def connect(org: RunningSalesforce, http: requests.Session) -> TypedSalesforce:
    """simple-salesforce on the org, authenticated as its connected app, over `http`."""
    token = client_credentials(org, http)
    return TypedSalesforce(
        session_id=token["access_token"], instance_url=token["instance_url"], session=http
    )


def sandbox_session(org: RunningSalesforce) -> requests.Session:
    """An HTTPS session trusting the org's CA only (`trust_env` off: REQUESTS_CA_BUNDLE would
    override `verify` otherwise). Close it after use."""
    http = requests.Session()
    http.trust_env = False
    http.verify = org.ca_bundle
    return http
