"""Private-app scopes: a token carries them, each route requires those its spec operation
lists (403 `MISSING_SCOPES` otherwise), and `access-token-info` says which the token has."""

from __future__ import annotations

import json
from collections.abc import Iterator

import hubspot
import pytest
import urllib3
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.deals import ApiException as DealsApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.responses.token_info import TOKEN_INFO_PATH
from crm_sandbox.hubspot.routes import ROUTES
from crm_sandbox.hubspot.scopes import DEFAULT_SCOPES, required_scopes
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import SandboxError, start_sandbox

READ_ONLY = ("crm.objects.companies.read",)


@pytest.fixture(scope="module")
def read_only(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    with start_shared_crm_sandbox(seed=3, companies=5, hubspot_scopes=READ_ONLY) as running:
        yield running


@pytest.fixture
def read_only_client(read_only: RunningSandbox) -> hubspot.Client:
    return hubspot.Client.create(
        access_token=read_only.hubspot_token, host=read_only.hubspot_url, retry=urllib3.Retry(0)
    )


def _post_json(url: str, body: object, token: str | None = None) -> urllib3.BaseHTTPResponse:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return urllib3.request("POST", url, body=json.dumps(body).encode(), headers=headers)


def test_given_the_read_scope_only_when_reading_companies_then_answered(
    read_only_client: hubspot.Client,
) -> None:
    page = read_only_client.crm.companies.basic_api.get_page(limit=2)
    definitions = read_only_client.crm.properties.core_api.get_all("companies")

    assert len(page.results) == 2
    assert definitions.results  # property reads accept crm.objects.<type>.read too (the spec)


def test_given_the_read_scope_only_when_updating_then_403_missing_scopes_naming_the_write_scope(
    read_only: RunningSandbox, read_only_client: hubspot.Client
) -> None:
    company_id = read_only.hubspot.company_ids()[0]
    api = read_only_client.crm.companies.batch_api

    with pytest.raises(CompaniesApiException) as raised:
        api.update({"inputs": [{"id": company_id, "properties": {"name": "x"}}]})

    assert raised.value.status == 403
    body = json.loads(raised.value.body)
    assert body["status"] == "error"
    assert body["category"] == "MISSING_SCOPES"
    assert body["correlationId"]
    assert "hasn't been granted all required scopes" in body["message"]
    assert body["errors"] == [
        {
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": ["crm.objects.companies.write"]},
        }
    ]
    assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
    assert "X-HubSpot-RateLimit-Remaining" in raised.value.headers  # counted like any call
    assert read_only.hubspot.company(company_id)["name"] != "x"


def test_given_no_deals_scope_when_listing_deals_then_403_names_the_deals_read_scope(
    read_only_client: hubspot.Client,
) -> None:
    with pytest.raises(DealsApiException) as raised:
        read_only_client.crm.deals.basic_api.get_page(limit=1)

    assert raised.value.status == 403
    scopes = json.loads(raised.value.body)["errors"][0]["context"]["requiredGranularScopes"]
    assert scopes == ["crm.objects.deals.read"]


def test_given_no_schema_write_scope_when_creating_a_property_then_403_names_it(
    read_only_client: hubspot.Client,
) -> None:
    definition = {"name": "p", "label": "P", "type": "string", "fieldType": "text"}

    with pytest.raises(PropertiesApiException) as raised:
        read_only_client.crm.properties.core_api.create("companies", definition)

    assert raised.value.status == 403
    scopes = json.loads(raised.value.body)["errors"][0]["context"]["requiredGranularScopes"]
    assert scopes == ["crm.schemas.companies.write"]


def test_given_every_route_when_listed_then_each_requires_scopes_of_its_object_type() -> None:
    for route in ROUTES:
        required = required_scopes(route.scopes, {"objectType": "0-2"})
        assert required, f"{route.method} {route.path} requires no scope"
        assert all(".companies." in scope for scope in required), route.path


def test_given_token_info_when_asked_with_the_token_key_then_ids_and_scopes(
    read_only: RunningSandbox,
) -> None:
    url = read_only.hubspot_url + TOKEN_INFO_PATH
    answered = _post_json(url, {"tokenKey": read_only.hubspot_token})  # no Authorization header
    unknown = _post_json(url, {"tokenKey": "pat-na1-unknown"})
    empty = _post_json(url, {})

    assert answered.status == 200
    info = answered.json()
    assert info == {
        "userId": read_only.hubspot_private_app.user_id,
        "hubId": read_only.hubspot_private_app.hub_id,
        "appId": read_only.hubspot_private_app.app_id,
        "scopes": list(READ_ONLY),
    }
    assert all(isinstance(info[key], int) for key in ("userId", "hubId", "appId"))
    assert unknown.status == 401
    assert unknown.json()["category"] == "INVALID_AUTHENTICATION"
    assert empty.status == 400


def test_given_scopes_taken_away_at_runtime_when_calling_then_refused(
    read_only: RunningSandbox, read_only_client: hubspot.Client
) -> None:
    app = read_only.hubspot_private_app
    app.scopes = frozenset()
    try:
        with pytest.raises(CompaniesApiException) as raised:
            read_only_client.crm.companies.basic_api.get_page(limit=1)
    finally:
        app.scopes = frozenset(READ_ONLY)

    assert raised.value.status == 403


def test_given_the_defaults_when_started_then_icp_syncs_scopes_and_professional_limits(
    sandbox: RunningSandbox,
) -> None:
    info = _post_json(sandbox.hubspot_url + TOKEN_INFO_PATH, {"tokenKey": sandbox.hubspot_token})
    client = hubspot.Client.create(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
    _, _, headers = client.crm.companies.basic_api.get_page_with_http_info(limit=1)

    assert set(info.json()["scopes"]) == DEFAULT_SCOPES
    assert {"crm.objects.companies.write", "crm.schemas.companies.write"} <= DEFAULT_SCOPES
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Daily"] == "625000"


def test_given_a_scope_with_a_space_when_starting_then_sandbox_error_naming_it() -> None:
    with pytest.raises(SandboxError, match="not a scope name"):
        start_sandbox(companies=0, hubspot_scopes=["crm.objects.deals read"])
