"""Contact webhooks over real HTTP: `contact.creation`, one `contact.propertyChange` per changed
property, `contact.deletion` and `contact.associationChange` (HubSpot's shape: no `objectId`),
with the change source of who wrote (API → INTEGRATION, the state → CRM_UI, the simulated
workflow → AUTOMATION_PLATFORM); company events keep their shape."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_sandbox import RunningSandbox
from crm_sandbox.core.delivery import RetryPolicy
from crm_sandbox.hubspot.workflows import DEFAULT_OWNERS
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.serving import serve_app

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
FAST = RetryPolicy(first_delay_s=0.05, factor=2.0, max_delay_s=0.2, max_attempts=11)


class Events:
    """Every HubSpot event POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.url = ""
        self.app = Starlette(routes=[Route("/webhooks/hubspot", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        events = json.loads(await request.body())
        with self.lock:
            self.received.extend(events)
        return Response(status_code=204)

    def about(self, object_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                e
                for e in self.received
                if str(e.get("objectId", e.get("fromObjectId"))) == str(object_id)
            ]

    def wait_for(self, found: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not found():
            assert time.monotonic() < deadline, f"not received in {timeout} s"
            time.sleep(0.01)


@pytest.fixture(scope="module")
def events() -> Iterator[Events]:
    received = Events()
    url, stop = serve_app(received.app, name="contact-webhooks-receiver")
    received.url = url
    yield received
    stop()


@pytest.fixture(scope="module")
def running(events: Events, start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    with start_shared_crm_sandbox(
        seed=5,
        companies=20,
        contacts_per_company=1.5,
        as_of=AS_OF,
        webhook_target=events.url,
        hubspot_app_secret="contact-events-secret",
        webhook_retry=FAST,
        search_lag_s=0,
    ) as sandbox:
        yield sandbox


@pytest.fixture
def http(running: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=running.hubspot_url,
        headers={"Authorization": f"Bearer {running.hubspot_token}"},
        trust_env=False,
    ) as client:
        yield client


def _settled(running: RunningSandbox) -> None:
    assert running.wait_notifications_idle(10)


def test_given_a_contact_created_with_a_company_then_creation_then_association_change(
    running: RunningSandbox, events: Events, http: httpx.Client
) -> None:
    company = running.hubspot.company_ids()[0]
    body = {
        "properties": {"email": "new.person@events.example", "firstname": "New"},
        "associations": [
            {
                "to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
            }
        ],
    }

    contact = http.post("/crm/v3/objects/contacts", json=body).json()["id"]
    _settled(running)

    creation, association = events.about(contact)
    assert (creation["subscriptionType"], creation["changeSource"]) == (
        "contact.creation",
        "INTEGRATION",
    )
    assert {k: v for k, v in association.items() if k not in ("eventId", "occurredAt")} == {
        "subscriptionId": association["subscriptionId"],
        "portalId": creation["portalId"],
        "appId": creation["appId"],
        "subscriptionType": "contact.associationChange",
        "attemptNumber": 0,
        "changeSource": "INTEGRATION",
        "associationType": "CONTACT_TO_COMPANY",
        "fromObjectId": int(contact),
        "toObjectId": int(company),
        "associationRemoved": False,
        "isPrimaryAssociation": True,
    }


def test_given_contact_writes_then_one_property_change_each_with_who_wrote_it(
    running: RunningSandbox, events: Events, http: httpx.Client
) -> None:
    contact = running.hubspot.contact_ids()[1]
    patch = {"properties": {"jobtitle": "VP Sales", "lifecyclestage": "salesqualifiedlead"}}

    assert http.patch(f"/crm/v3/objects/contacts/{contact}", json=patch).status_code == 200
    running.hubspot.touch_contact(contact, city="Lyon")
    _settled(running)

    changes = [
        (e["propertyName"], e["propertyValue"], e["changeSource"])
        for e in events.about(contact)
        if e["subscriptionType"] == "contact.propertyChange"
    ]
    assert changes == [
        ("jobtitle", "VP Sales", "INTEGRATION"),
        ("lifecyclestage", "salesqualifiedlead", "INTEGRATION"),
        ("city", "Lyon", "CRM_UI"),
    ]


def test_given_an_association_removed_and_a_contact_archived_then_removal_and_deletion_events(
    running: RunningSandbox, events: Events, http: httpx.Client
) -> None:
    state = running.hubspot
    contact = next(i for i in state.contact_ids() if state.contact_company_ids(i))
    [company] = state.contact_company_ids(contact)

    path = f"/crm/v4/objects/contacts/{contact}/associations/companies/{company}"
    assert http.delete(path).status_code == 204
    assert http.delete(f"/crm/v3/objects/contacts/{contact}").status_code == 204
    _settled(running)

    kinds = [
        (e["subscriptionType"], e.get("propertyName"), e.get("associationRemoved"))
        for e in events.about(contact)
    ]
    assert kinds == [
        ("contact.propertyChange", "associatedcompanyid", None),  # no primary company any more
        ("contact.associationChange", None, True),
        ("contact.deletion", None, None),
    ]


def test_given_the_tier_workflow_when_a_tier_is_written_then_its_owner_write_is_automation(
    running: RunningSandbox, events: Events, http: httpx.Client
) -> None:
    tier = {
        "name": "icp_tier", "label": "ICP tier", "type": "enumeration", "fieldType": "select",
        "groupName": "contactinformation",
        "options": [{"label": "Tier 1", "value": "tier_1", "displayOrder": 0, "hidden": False}],
    }  # fmt: skip
    assert http.post("/crm/v3/properties/contacts", json=tier).status_code == 201
    contact = running.hubspot.contact_ids()[2]

    update = {"inputs": [{"id": contact, "properties": {"icp_tier": "tier_1"}}]}
    assert http.post("/crm/v3/objects/contacts/batch/update", json=update).status_code == 200
    _settled(running)

    changes = [
        (e["propertyName"], e["propertyValue"], e["changeSource"])
        for e in events.about(contact)
        if e["subscriptionType"] == "contact.propertyChange"
    ]
    assert changes == [
        ("icp_tier", "tier_1", "INTEGRATION"),
        ("hubspot_owner_id", DEFAULT_OWNERS["tier_1"], "AUTOMATION_PLATFORM"),
    ]


def test_given_a_company_write_then_its_event_keeps_its_fields_and_their_order(
    running: RunningSandbox, events: Events
) -> None:
    company = running.hubspot.company_ids()[5]

    running.hubspot.touch_company(company, industry="INTERNET")
    _settled(running)

    [event] = events.about(company)
    assert list(event) == [
        "eventId", "subscriptionId", "portalId", "appId", "occurredAt", "subscriptionType",
        "attemptNumber", "objectId", "changeSource", "propertyName", "propertyValue",
    ]  # fmt: skip
    assert (event["subscriptionType"], event["changeSource"]) == (
        "company.propertyChange",
        "CRM_UI",
    )


def test_given_a_users_link_of_a_second_company_then_a_non_primary_association_change(
    running: RunningSandbox, events: Events
) -> None:
    state = running.hubspot
    contact = next(i for i in state.contact_ids() if len(state.contact_company_ids(i)) == 1)
    [primary] = state.contact_company_ids(contact)
    other = next(c for c in state.company_ids() if c != primary)

    assert state.link_contact(contact, other)
    assert not state.link_contact(contact, other)  # already linked: nothing happens
    _settled(running)

    [event] = [e for e in events.about(contact) if e.get("toObjectId") == int(other)]
    assert (event["subscriptionType"], event["isPrimaryAssociation"], event["changeSource"]) == (
        "contact.associationChange",
        False,
        "CRM_UI",
    )
    assert state.contact(contact)["associatedcompanyid"] == primary
