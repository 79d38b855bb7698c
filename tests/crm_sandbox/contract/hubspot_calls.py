"""The HubSpot calls of the contract cases, made over HTTP as `connectors.hubspot` makes them
through hubspot-api-client (method, path, query, body shape): `HubSpot` is the portal with its
token and ids that exist in it; each builder returns a `Send` for one `Case`."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from typing import Any

import requests

from connectors.hubspot.schema import TIER, PropertySpec, writeback_properties
from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.routes import ROUTES
from tests.crm_sandbox.contract.contract import Answer, json_or_none

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
        # The connector reads a new contact's companies through associations: contacts that have one.
        self.contacts = [
            i for i in sandbox.hubspot.contact_ids() if sandbox.hubspot.contact_company_ids(i)
        ][:2]

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


def tier_property() -> PropertySpec:
    return next(spec for spec in writeback_properties(TIERS, FLAGS) if spec.name == TIER)


def pending(method: str, path: str) -> str | None:
    """Why the case cannot pass yet: the sandbox has no route for this request (matched the
    way Starlette matches, `{name}` standing for one path segment)."""
    for route in ROUTES:
        template = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(route.path))
        if route.method == method and re.fullmatch(template, path):
            return None
    return "served once branch w/hs-api lands"


def list_objects(object_type: str, properties: list[str], associations: list[str]) -> Send:
    def send(api: HubSpot) -> Answer:
        params: dict[str, Any] = {"limit": 2, "properties": properties, "archived": "false"}
        if associations:
            params["associations"] = associations
        return api.call("GET", f"/crm/v3/objects/{object_type}", params=params)

    return send


def search(
    object_type: str,
    properties: list[str],
    *,
    operator: str = "GTE",
    modified: str = "hs_lastmodifieddate",
) -> Send:
    """The incremental pull's search: modified since a moment, oldest first, one page
    (contacts' last-modified property is `lastmodifieddate`)."""
    body = {
        "filterGroups": [
            {"filters": [{"propertyName": modified, "operator": operator, "value": "0"}]}
        ],
        "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": 2,
    }

    def send(api: HubSpot) -> Answer:
        return api.call("POST", f"/crm/v3/objects/{object_type}/search", json=body)

    return send


def batch_read(object_type: str, properties: list[str], *, missing: bool) -> Send:
    def send(api: HubSpot) -> Answer:
        ids = {"companies": api.companies, "deals": api.deals, "contacts": api.contacts}[
            object_type
        ]
        wanted = [*ids[:2], *([MISSING_ID] if missing else [])]
        body = {"inputs": [{"id": i} for i in wanted], "properties": properties}
        return api.call(
            "POST",
            f"/crm/v3/objects/{object_type}/batch/read",
            params={"archived": "false"},
            json=body,
        )

    return send


def batch_update(*, missing: bool = False, bad_value: bool = False) -> Send:
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


def associations(from_type: str, *, missing: bool = False) -> Send:
    def send(api: HubSpot) -> Answer:
        ids = api.deals if from_type == "deals" else api.contacts
        wanted = [*ids[:2], *([MISSING_ID] if missing else [])]
        return api.call(
            "POST",
            f"/crm/v4/associations/{from_type}/companies/batch/read",
            json={"inputs": [{"id": i} for i in wanted]},
        )

    return send


def get(path: str) -> Send:
    def send(api: HubSpot) -> Answer:
        return api.call("GET", path)

    return send


def create_property(name: str | None) -> Send:
    def send(api: HubSpot) -> Answer:
        spec = tier_property()
        if name is None:  # a new one
            spec = dataclasses.replace(spec, name=f"icp_contract_{uuid.uuid4().hex[:8]}")
        return api.call("POST", "/crm/v3/properties/companies", json=spec.create_body())

    return send


def create_group(name: str | None) -> Send:
    def send(api: HubSpot) -> Answer:
        group = name or f"icp_contract_{uuid.uuid4().hex[:8]}"
        body = {"name": group, "label": "ICP Sync", "displayOrder": -1}
        return api.call("POST", "/crm/v3/properties/companies/groups", json=body)

    return send


def patch(path: str, body: dict[str, Any]) -> Send:
    def send(api: HubSpot) -> Answer:
        return api.call("PATCH", path, json=body)

    return send


def bad_token(api: HubSpot) -> Answer:
    return api.call(
        "GET", "/crm/v3/objects/companies", params={"limit": 1}, token="pat-na1-not-a-token"
    )


def missing_scope(api: HubSpot) -> Answer:
    """A batch update with a token that may only read companies: 403 MISSING_SCOPES."""
    private_app = api.sandbox.hubspot_private_app
    saved = private_app.scopes
    private_app.scopes = frozenset({"crm.objects.companies.read", "crm.schemas.companies.read"})
    try:
        body = {"inputs": [{"id": api.companies[0], "properties": {"name": "Contract"}}]}
        return api.call("POST", "/crm/v3/objects/companies/batch/update", json=body)
    finally:
        private_app.scopes = saved


def over_limit(policy: str) -> Send:
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


def default_association(api: HubSpot) -> Answer:
    deal, company = api.deals[0], api.companies[0]
    return api.call("PUT", f"/crm/v4/objects/deals/{deal}/associations/default/companies/{company}")


def object_associations(api: HubSpot) -> Answer:
    return api.call("GET", f"/crm/v4/objects/deals/{api.deals[0]}/associations/companies")


def v4_batch_create(api: HubSpot) -> Answer:
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


def v4_batch_default(api: HubSpot) -> Answer:
    body = {"inputs": [{"from": {"id": api.deals[0]}, "to": {"id": api.companies[0]}}]}
    return api.call("POST", V4_BATCH_DEFAULT, json=body)
