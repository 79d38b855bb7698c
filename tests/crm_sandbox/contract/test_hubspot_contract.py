"""HubSpot contract: every call the connectors make, sent to the sandbox over HTTP as the
connector sends it (method, path, query, body shape), and the answer checked against the
response schema of HubSpot's published OpenAPI spec (`schemas/hubspot/`, each citing its spec
file, commit and version): the successes and the error answers the connector relies on (404 on
a missing property or group, 409 on one that exists, 207 for unknown ids in a batch, 400 for a
bad value or filter, 401, 429).

Calls the connectors do not make yet but the issue adds to the sandbox (pipelines, Associations
v4 batch create and labels) have cases too; while the sandbox has no route for one, the case is
a strict xfail, so it turns into a failure to look at the day the route lands.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.schema import GROUP_NAME, TIER, PropertySpec, writeback_properties
from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.routes import ROUTES
from tests.crm_sandbox.contract.contract import Answer, Case, check, json_or_none, uncovered

COMPANY_PROPERTIES = ["name", "domain", "industry", "numberofemployees", "hs_lastmodifieddate"]
DEAL_PROPERTIES = ["dealstage", "amount", "closedate", "pipeline", "hs_lastmodifieddate"]
MISSING_ID = "999999999"
TIERS = ("tier_1", "tier_2", "tier_3")
FLAGS = ("too_small",)
V4_BATCH_CREATE = "/crm/v4/associations/companies/companies/batch/create"
V4_BATCH_DEFAULT = "/crm/v4/associations/deals/companies/batch/associate/default"
V4_LABELS = "/crm/v4/associations/deals/companies/labels"  # the path hubspot-api-client calls
PIPELINES = "/crm/v3/pipelines/deals"


class HubSpot:
    """The portal over HTTP with its private-app token, and ids that exist in it."""

    def __init__(self, sandbox: RunningSandbox, http: requests.Session) -> None:
        self.sandbox = sandbox
        self.http = http
        self.companies = self._ids("companies")
        self.deals = self._ids("deals")
        # The connector reads contacts only through associations; the sandbox lists none.
        with sandbox.hubspot.lock:
            self.contacts = [str(i) for i in list(sandbox.hubspot.contacts.records)[:2]]

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        token: str | None = None,
    ) -> Answer:
        response = self.http.request(
            method,
            self.sandbox.hubspot_url + path,
            params=params,
            json=json,
            headers={"Authorization": f"Bearer {token or self.sandbox.hubspot_token}"},
            timeout=30,
        )
        return Answer(response.status_code, json_or_none(response.content), dict(response.headers))

    def _ids(self, object_type: str) -> list[str]:
        answer = self.call("GET", f"/crm/v3/objects/{object_type}", params={"limit": 3})
        assert answer.status == 200, answer
        return [str(item["id"]) for item in answer.body["results"]]


Send = Callable[[HubSpot], Answer]


@pytest.fixture(scope="module")
def hubspot(contract_sandbox: RunningSandbox) -> Iterator[HubSpot]:
    with requests.Session() as http:
        http.trust_env = False
        portal = HubSpot(contract_sandbox, http)
        # The ICP group and tier property exist, as after `icp-sync setup hubspot`.
        group = {"name": GROUP_NAME, "label": "ICP Sync", "displayOrder": -1}
        portal.call("POST", "/crm/v3/properties/companies/groups", json=group)
        portal.call("POST", "/crm/v3/properties/companies", json=_tier_property().create_body())
        yield portal


def _tier_property() -> PropertySpec:
    return next(spec for spec in writeback_properties(TIERS, FLAGS) if spec.name == TIER)


def _pending(method: str, path: str) -> str | None:
    """Why the case cannot pass yet: the sandbox has no route for this request (matched the
    way Starlette matches, `{name}` standing for one path segment)."""
    for route in ROUTES:
        template = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route.path))
        if route.method == method and re.fullmatch(template, path):
            return None
    return "served once branch w/hs-api lands"


# -- requests as the connector sends them ---------------------------------------------------


def _list(object_type: str, properties: list[str], associations: list[str]) -> Send:
    def send(api: HubSpot) -> Answer:
        params: dict[str, Any] = {"limit": 2, "properties": properties, "archived": "false"}
        if associations:
            params["associations"] = associations
        return api.call("GET", f"/crm/v3/objects/{object_type}", params=params)

    return send


def _search(object_type: str, properties: list[str], *, operator: str = "GTE") -> Send:
    """The incremental pull's search: modified since a moment, oldest first, one page."""
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "hs_lastmodifieddate", "operator": operator, "value": "0"}
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": properties,
        "limit": 2,
    }

    def send(api: HubSpot) -> Answer:
        return api.call("POST", f"/crm/v3/objects/{object_type}/search", json=body)

    return send


def _batch_read(object_type: str, properties: list[str], *, missing: bool) -> Send:
    def send(api: HubSpot) -> Answer:
        ids = api.companies if object_type == "companies" else api.deals
        wanted = [*ids[:2], *([MISSING_ID] if missing else [])]
        body = {"inputs": [{"id": i} for i in wanted], "properties": properties}
        return api.call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/read",
            params={"archived": "false"},
            json=body,
        )

    return send


def _batch_update(*, missing: bool = False, bad_value: bool = False) -> Send:
    def send(api: HubSpot) -> Answer:
        score = "not a number" if bad_value else "87"
        inputs: list[dict[str, Any]] = [
            {"id": i, "properties": {"icp_tier": "tier_1"}} for i in api.companies[:2]
        ]
        if missing:
            inputs.append({"id": MISSING_ID, "properties": {"icp_tier": "tier_2"}})
        inputs[0]["properties"]["numberofemployees"] = score
        return api.call("POST", "/crm/v3/objects/companies/batch/update", json={"inputs": inputs})

    return send


def _associations(from_type: str, *, missing: bool = False) -> Send:
    def send(api: HubSpot) -> Answer:
        ids = api.deals if from_type == "deals" else api.contacts
        wanted = [*ids[:2], *([MISSING_ID] if missing else [])]
        return api.call(
            "POST",
            f"/crm/v4/associations/{from_type}/companies/batch/read",
            json={"inputs": [{"id": i} for i in wanted]},
        )

    return send


def _get(path: str) -> Send:
    def send(api: HubSpot) -> Answer:
        return api.call("GET", path)

    return send


def _create_property(name: str | None) -> Send:
    def send(api: HubSpot) -> Answer:
        spec = _tier_property()
        if name is None:  # a new one
            spec = dataclasses.replace(spec, name=f"icp_contract_{uuid.uuid4().hex[:8]}")
        return api.call("POST", "/crm/v3/properties/companies", json=spec.create_body())

    return send


def _create_group(name: str | None) -> Send:
    def send(api: HubSpot) -> Answer:
        group = name or f"icp_contract_{uuid.uuid4().hex[:8]}"
        body = {"name": group, "label": "ICP Sync", "displayOrder": -1}
        return api.call("POST", "/crm/v3/properties/companies/groups", json=body)

    return send


def _patch(path: str, body: dict[str, Any]) -> Send:
    def send(api: HubSpot) -> Answer:
        return api.call("PATCH", path, json=body)

    return send


def _bad_token(api: HubSpot) -> Answer:
    return api.call(
        "GET", "/crm/v3/objects/companies", params={"limit": 1}, token="pat-na1-not-a-token"
    )


def _over_limit(policy: str) -> Send:
    """Two calls with the burst (or daily) limit set to one call: the second is refused."""

    def send(api: HubSpot) -> Answer:
        limiter = api.sandbox.hubspot_limiter
        saved = (limiter.burst, limiter.daily)
        if policy == "DAILY":
            limiter.daily = 1
        else:
            limiter.burst = 1
        limiter.reset()
        try:
            api.call("GET", "/crm/v3/objects/companies", params={"limit": 1})
            return api.call("GET", "/crm/v3/objects/companies", params={"limit": 1})
        finally:
            limiter.burst, limiter.daily = saved
            limiter.reset()

    return send


def _default_association(api: HubSpot) -> Answer:
    deal, company = api.deals[0], api.companies[0]
    return api.call("PUT", f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}")


def _object_associations(api: HubSpot) -> Answer:
    return api.call("GET", f"/crm/v4/objects/deals/{api.deals[0]}/associations/companies")


def _v4_batch_create(api: HubSpot) -> Answer:
    parent, child = api.companies[0], api.companies[1]
    body = {
        "inputs": [
            {
                "from": {"id": child},
                "to": {"id": parent},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 14}],
            }
        ]
    }
    return api.call("POST", V4_BATCH_CREATE, json=body)


def _v4_batch_default(api: HubSpot) -> Answer:
    body = {"inputs": [{"from": {"id": api.deals[0]}, "to": {"id": api.companies[0]}}]}
    return api.call("POST", V4_BATCH_DEFAULT, json=body)


# -- the cases -------------------------------------------------------------------------------

C = "hubspot/companies.json#"
D = "hubspot/deals.json#"
P = "hubspot/properties.json#"
A4 = "hubspot/associations_v4.json#"
PROPS = "/crm/v3/properties/companies"
GROUPS = PROPS + "/groups"

CASES: tuple[Case, ...] = (
    Case(
        "companies.list",
        200,
        C + "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
        _list("companies", COMPANY_PROPERTIES, []),
        ("HubSpotClient.list_page",),
    ),
    Case(
        "deals.list with associations",
        200,
        D + "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging",
        _list("deals", DEAL_PROPERTIES, ["companies"]),
        ("HubSpotClient.list_page",),
    ),
    Case(
        "companies.search",
        200,
        C + "CollectionResponseWithTotalSimplePublicObject",
        _search("companies", COMPANY_PROPERTIES),
        ("HubSpotClient.search",),
    ),
    Case(
        "deals.search",
        200,
        D + "CollectionResponseWithTotalSimplePublicObject",
        _search("deals", DEAL_PROPERTIES),
        ("HubSpotClient.search",),
    ),
    Case(
        "companies.search bad operator 400",
        400,
        C + "Error",
        _search("companies", COMPANY_PROPERTIES, operator="SINCE"),
    ),
    Case(
        "companies.batch_read",
        200,
        C + "BatchResponseSimplePublicObject",
        _batch_read("companies", COMPANY_PROPERTIES, missing=False),
        ("HubSpotClient.batch_read",),
    ),
    Case(
        "companies.batch_read unknown id 207",
        207,
        C + "BatchResponseSimplePublicObjectWithErrors",
        _batch_read("companies", COMPANY_PROPERTIES, missing=True),
    ),
    Case(
        "deals.batch_read",
        200,
        D + "BatchResponseSimplePublicObject",
        _batch_read("deals", DEAL_PROPERTIES, missing=False),
        ("HubSpotClient.batch_read",),
    ),
    Case(
        "deals.batch_read unknown id 207",
        207,
        D + "BatchResponseSimplePublicObjectWithErrors",
        _batch_read("deals", DEAL_PROPERTIES, missing=True),
    ),
    Case(
        "companies.batch_update",
        200,
        C + "BatchResponseSimplePublicObject",
        _batch_update(),
        ("HubSpotClient.batch_update",),
    ),
    Case(
        "companies.batch_update unknown id 207",
        207,
        C + "BatchResponseSimplePublicObjectWithErrors",
        _batch_update(missing=True),
    ),
    Case(
        "companies.batch_update bad value 400",
        400,
        C + "Error",
        _batch_update(bad_value=True),
    ),
    Case(
        "associations.deals_companies.batch_read",
        200,
        A4 + "BatchResponsePublicAssociationMultiWithLabel",
        _associations("deals"),
        ("HubSpotClient.company_ids",),
    ),
    Case(
        "associations.contacts_companies.batch_read",
        200,
        A4 + "BatchResponsePublicAssociationMultiWithLabel",
        _associations("contacts"),
        ("HubSpotClient.company_ids",),
    ),
    Case(
        "associations.deals_companies.batch_read unknown id 207",
        207,
        A4 + "BatchResponsePublicAssociationMultiWithLabelWithErrors",
        _associations("deals", missing=True),
    ),
    Case(
        "properties.companies.get",
        200,
        P + "Property",
        _get(f"{PROPS}/{TIER}?archived=false"),
        ("HubSpotClient.get_property",),
    ),
    Case(
        "properties.companies.get missing 404",
        404,
        P + "Error",
        _get(f"{PROPS}/icp_no_such_property?archived=false"),
    ),
    Case(
        "properties.companies.create",
        201,
        P + "Property",
        _create_property(None),
        ("HubSpotClient.create_property",),
    ),
    Case(
        "properties.companies.create existing 409",
        409,
        P + "Error",
        _create_property(TIER),
    ),
    Case(
        "properties.companies.update",
        200,
        P + "Property",
        _patch(f"{PROPS}/{TIER}", {"label": "ICP tier"}),
        ("HubSpotClient.update_property",),
    ),
    Case(
        "property_groups.companies.get",
        200,
        P + "PropertyGroup",
        _get(f"{GROUPS}/{GROUP_NAME}"),
        ("HubSpotClient.get_group",),
    ),
    Case(
        "property_groups.companies.get missing 404",
        404,
        P + "Error",
        _get(f"{GROUPS}/icp_no_such_group"),
    ),
    Case(
        "property_groups.companies.create",
        201,
        P + "PropertyGroup",
        _create_group(None),
        ("HubSpotClient.create_group",),
    ),
    Case(
        "property_groups.companies.create existing 409",
        409,
        P + "Error",
        _create_group(GROUP_NAME),
    ),
    Case(
        "property_groups.companies.update",
        200,
        P + "PropertyGroup",
        _patch(f"{GROUPS}/{GROUP_NAME}", {"label": "ICP Sync"}),
        ("HubSpotClient.update_group",),
    ),
    Case("any call with a bad token 401", 401, C + "Error", _bad_token),
    Case(
        "any call over the ten-second limit 429",
        429,
        "hubspot/rate_limit_error.json",
        _over_limit("TEN_SECONDLY_ROLLING"),
    ),
    Case(
        "any call over the daily limit 429",
        429,
        "hubspot/rate_limit_error.json",
        _over_limit("DAILY"),
    ),
    Case(
        "associations.v4 default (one pair)",
        200,
        A4 + "BatchResponsePublicDefaultAssociation",
        _default_association,
    ),
    Case(
        "associations.v4 of one object",
        200,
        A4 + "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging",
        _object_associations,
    ),
    Case(
        "associations.v4 batch create company to company",
        201,
        A4 + "BatchResponseLabelsBetweenObjectPair",
        _v4_batch_create,
        pending=_pending("POST", V4_BATCH_CREATE),
    ),
    Case(
        "associations.v4 batch associate default",
        200,
        A4 + "BatchResponsePublicDefaultAssociation",
        _v4_batch_default,
        pending=_pending("POST", V4_BATCH_DEFAULT),
    ),
    Case(
        "associations.v4 labels deals to companies",
        200,
        "hubspot/associations_v4_schema.json#CollectionResponseAssociationSpecWithLabelNoPaging",
        _get(V4_LABELS),
        pending=_pending("GET", V4_LABELS),
    ),
    Case(
        "pipelines.deals",
        200,
        "hubspot/pipelines.json#CollectionResponsePipelineNoPaging",
        _get(PIPELINES),
        pending=_pending("GET", PIPELINES),
    ),
)


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_given_a_connector_call_when_sent_to_the_sandbox_then_the_answer_matches_hubspots_spec(
    hubspot: HubSpot, case: Case
) -> None:
    check(case, case.send(hubspot))


def test_given_the_hubspot_client_then_every_public_call_has_a_contract_case() -> None:
    missing = uncovered(HubSpotClient, CASES, not_http=frozenset({"close"}))
    assert not missing, f"add a contract case (Case.covers) for {missing}"
