"""The sandbox sends webhooks: HubSpot's signed event arrays and Salesforce's Outbound
Messages reach a receiver run by the test, with the CRMs' retries, and inbound leads arrive at
a given rate."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_sandbox import RunningSandbox
from crm_sandbox.core.delivery import RetryPolicy
from crm_sandbox.hubspot.notifications import (
    HubSpotNotifications,
    signature_v1,
    signature_v3,
    signed_uri,
)
from crm_sandbox.inbound import WEB_USER_ID
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.outbound_messages import ack_body
from crm_sandbox.serving import serve_app
from tests.support.processes import stop_process
from tests.support.simple_salesforce_typed import TypedSalesforce, connect

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "test-app-secret-0f6c"
FAST = RetryPolicy(first_delay_s=0.05, factor=2.0, max_delay_s=0.2, max_attempts=11)
HUBSPOT_PATH = "/webhooks/hubspot"
SALESFORCE_PATH = "/webhooks/salesforce/outbound-message"
NS = {
    "soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
    "out": "http://soap.sforce.com/2005/09/outbound",
    "sf": "urn:sobject.enterprise.soap.sforce.com",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


# --- a receiver -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.body)
        return events


class Receiver:
    """Records every POST. `failures[path]` lists the statuses of the next answers on that
    path (200 on the Salesforce path: `<Ack>false</Ack>`); then 204, or an Ack for Salesforce.
    `delay_s` slows every answer; `max_in_flight[path]` is the most concurrent requests seen."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.failures: dict[str, list[int]] = {}
        self.delay_s = 0.0
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])
        self.url = ""

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        with self.lock:
            self.in_flight[path] = self.in_flight.get(path, 0) + 1
            self.max_in_flight[path] = max(self.max_in_flight.get(path, 0), self.in_flight[path])
            planned = self.failures.get(path, [])
            failure = planned.pop(0) if planned else None
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            outbound = path == SALESFORCE_PATH
            if failure == 200 and outbound:
                response = Response(ack_body(False), media_type="text/xml")
            elif failure is not None:
                response = Response("nope", status_code=failure)
            elif outbound:
                response = Response(ack_body(True), media_type="text/xml")
            else:
                response = Response(status_code=204)
        finally:
            with self.lock:
                self.in_flight[path] -= 1
                self.requests.append(
                    Received(
                        path,
                        str(request.url),
                        dict(request.headers),
                        body,
                        response.status_code,
                        time.monotonic(),
                    )
                )
        return response

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.delay_s = 0.0
            self.max_in_flight.clear()

    def received(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def hubspot_events(self, path: str = HUBSPOT_PATH) -> list[tuple[Received, dict[str, Any]]]:
        return [(r, event) for r in self.received(path) for event in r.events()]

    def wait_for(self, found: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not found():
            assert time.monotonic() < deadline, f"not received in {timeout} s: {self.requests}"
            time.sleep(0.01)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    rx.url, stop = serve_app(rx.app, name="test-webhook-receiver")
    yield rx
    stop()


@pytest.fixture(scope="module")
def running(
    receiver: Receiver, start_shared_crm_sandbox: SandboxFactory
) -> Iterator[RunningSandbox]:
    with start_shared_crm_sandbox(
        seed=5,
        companies=30,
        as_of=AS_OF,
        salesforce_port=0,
        webhook_target=receiver.url + "/",
        hubspot_app_secret=SECRET,
        webhook_retry=FAST,
    ) as sandbox:
        yield sandbox


@pytest.fixture
def rx(receiver: Receiver, running: RunningSandbox) -> Iterator[Receiver]:
    assert running.wait_notifications_idle(10)
    receiver.reset()
    yield receiver
    receiver.reset()


@pytest.fixture
def hubspot_http(running: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=running.hubspot_url,
        headers={"Authorization": f"Bearer {running.hubspot_token}"},
        trust_env=False,
    ) as client:
        yield client


@pytest.fixture
def sf(running: RunningSandbox) -> Iterator[TypedSalesforce]:
    assert running.salesforce_sandbox is not None
    org = running.salesforce_sandbox
    with requests.Session() as http:
        http.trust_env = False
        http.verify = org.ca_bundle
        yield connect(org, http)


def _expected_v3(secret: str, url: str, body: bytes, timestamp: str) -> str:
    message = b"POST" + url.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _outbound(received: Received) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(received.body)
    notifications = root.find("soapenv:Body/out:notifications", NS)
    assert notifications is not None
    return notifications, notifications.findall("out:Notification", NS)


def _notified_ids(received: Received) -> list[str]:
    _, notifications = _outbound(received)
    return [n.findtext("out:sObject/sf:Id", namespaces=NS) or "" for n in notifications]


# --- signatures -----------------------------------------------------------------------------


def test_given_the_documented_test_vectors_when_signing_then_v1_and_v3_match_them() -> None:
    body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
        b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    )
    secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"

    v3 = signature_v3(secret, "POST", "http://127.0.0.1:8000/hook", body, 1_700_000_000_000)
    v1 = signature_v1(secret, body)

    assert v3 == "DvaM3IbDXwmEDZ+2bk5Od1roLqRjpdN9GjJznfGTQaE="
    assert v1 == "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    assert signed_uri("http://h/a%3Ab?x=%2F%20%40") == "http://h/a:b?x=/%20@"


# --- HubSpot --------------------------------------------------------------------------------


def test_given_a_company_update_through_the_api_when_sent_then_a_v3_signed_property_change_arrives(
    running: RunningSandbox, rx: Receiver, hubspot_http: httpx.Client
) -> None:
    company_id = running.hubspot.company_ids()[0]
    city = f"Testville {uuid.uuid4().hex[:6]}"

    answer = hubspot_http.patch(
        f"/crm/v3/objects/companies/{company_id}", json={"properties": {"city": city}}
    )

    assert answer.status_code == 200
    rx.wait_for(lambda: any(e.get("propertyValue") == city for _, e in rx.hubspot_events()))
    request, event = next((r, e) for r, e in rx.hubspot_events() if e.get("propertyValue") == city)
    timestamp = request.headers["x-hubspot-request-timestamp"]
    assert request.url == f"{rx.url}{HUBSPOT_PATH}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-hubspot-signature-version"] == "v3"
    assert request.headers["x-hubspot-signature-v3"] == _expected_v3(
        SECRET, request.url, request.body, timestamp
    )
    assert abs(int(timestamp) - time.time() * 1000) < 10_000
    assert event["subscriptionType"] == "company.propertyChange"
    assert event["objectId"] == int(company_id)
    assert event["propertyName"] == "city"
    assert event["changeSource"] == "INTEGRATION"
    assert event["attemptNumber"] == 0
    assert running.hubspot_notifications is not None
    assert event["portalId"] == running.hubspot_notifications.portal_id
    for key in ("eventId", "subscriptionId", "portalId", "appId", "occurredAt", "objectId"):
        assert isinstance(event[key], int), key
    assert all(e.get("propertyName") != "hs_lastmodifieddate" for _, e in rx.hubspot_events())


def test_given_a_batch_update_of_three_companies_when_sent_then_each_change_is_an_integration_event(
    running: RunningSandbox, rx: Receiver, hubspot_http: httpx.Client
) -> None:
    ids = running.hubspot.company_ids()[1:4]
    tag = uuid.uuid4().hex[:6]
    inputs = [{"id": i, "properties": {"city": f"Batch {tag} {n}"}} for n, i in enumerate(ids)]

    answer = hubspot_http.post("/crm/v3/objects/companies/batch/update", json={"inputs": inputs})

    assert answer.status_code == 200

    def tagged() -> list[dict[str, Any]]:
        return [
            e
            for _, e in rx.hubspot_events()
            if str(e.get("propertyValue", "")).startswith(f"Batch {tag}")
        ]

    rx.wait_for(lambda: len(tagged()) == 3)
    events = tagged()
    assert sorted(e["objectId"] for e in events) == sorted(int(i) for i in ids)
    assert {e["changeSource"] for e in events} == {"INTEGRATION"}
    assert {e["subscriptionType"] for e in events} == {"company.propertyChange"}
    assert len({e["eventId"] for e in events}) == 3


def test_given_a_direct_change_a_new_deal_and_an_archive_when_sent_then_creation_deletion_and_crm_ui(
    running: RunningSandbox, rx: Receiver
) -> None:
    company_id = running.hubspot.company_ids()[5]
    state = running.hubspot

    state.touch_company(company_id, numberofemployees=4321)
    deal_id = state.create_deal(company_id, dealname="Webhook deal", dealstage="qualifiedtobuy")
    state.archive_deal(deal_id)

    def mine() -> list[dict[str, Any]]:
        wanted = {int(company_id), int(deal_id)}
        return [e for _, e in rx.hubspot_events() if e["objectId"] in wanted]

    rx.wait_for(lambda: len(mine()) == 3)
    by_type = {e["subscriptionType"]: e for e in mine()}
    assert set(by_type) == {"company.propertyChange", "deal.creation", "deal.deletion"}
    assert by_type["company.propertyChange"]["propertyValue"] == "4321"
    assert {e["changeSource"] for e in mine()} == {"CRM_UI"}
    assert "propertyName" not in by_type["deal.creation"]


def test_given_a_contact_created_with_a_company_when_sent_then_contact_creation_and_v4_association(
    running: RunningSandbox, rx: Receiver, hubspot_http: httpx.Client
) -> None:
    company_id = running.hubspot.company_ids()[6]
    email = f"ada.{uuid.uuid4().hex[:6]}@example.org"
    body = {
        "properties": {"email": email, "firstname": "Ada", "lastname": "Ng"},
        "associations": [
            {
                "to": {"id": company_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
    }

    created = hubspot_http.post("/crm/v3/objects/contacts", json=body)

    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    assert created.json()["properties"]["email"] == email
    rx.wait_for(
        lambda: any(
            e["subscriptionType"] == "contact.creation" and e["objectId"] == int(contact_id)
            for _, e in rx.hubspot_events()
        )
    )
    event = next(e for _, e in rx.hubspot_events() if e["objectId"] == int(contact_id))
    assert event["changeSource"] == "INTEGRATION"
    links = hubspot_http.get(f"/crm/v4/objects/contacts/{contact_id}/associations/companies")
    assert links.status_code == 200
    assert [r["toObjectId"] for r in links.json()["results"]] == [int(company_id)]
    assert {t["typeId"] for t in links.json()["results"][0]["associationTypes"]} == {1, 279}
    back = hubspot_http.get(f"/crm/v4/objects/companies/{company_id}/associations/contacts")
    assert int(contact_id) in [r["toObjectId"] for r in back.json()["results"]]
    read = hubspot_http.get(f"/crm/v3/objects/contacts/{contact_id}")
    assert read.status_code == 200
    assert read.json()["properties"]["firstname"] == "Ada"
    again = hubspot_http.post("/crm/v3/objects/contacts", json={"properties": {"email": email}})
    assert again.status_code == 409
    assert f"Existing ID: {contact_id}" in again.json()["message"]


def test_given_a_failing_receiver_when_sent_then_retries_keep_the_event_id_and_count_attempts_up(
    running: RunningSandbox, rx: Receiver
) -> None:
    company_id = running.hubspot.company_ids()[7]
    hooks = running.hubspot_notifications
    assert hooks is not None
    before = hooks.stats
    rx.failures[HUBSPOT_PATH] = [503, 429]

    running.hubspot.touch_company(company_id, city=f"Retry {uuid.uuid4().hex[:6]}")

    def attempts() -> list[tuple[Received, dict[str, Any]]]:
        return [(r, e) for r, e in rx.hubspot_events() if e["objectId"] == int(company_id)]

    rx.wait_for(lambda: any(r.status == 204 for r, _ in attempts()))
    assert running.wait_notifications_idle(5)
    seen = attempts()
    assert [e["attemptNumber"] for _, e in seen] == [0, 1, 2]
    assert len({e["eventId"] for _, e in seen}) == 1
    assert [r.status for r, _ in seen] == [503, 429, 204]
    for request, _ in seen:  # each attempt signed afresh
        timestamp = request.headers["x-hubspot-request-timestamp"]
        expected = _expected_v3(SECRET, request.url, request.body, timestamp)
        assert request.headers["x-hubspot-signature-v3"] == expected
    after = hooks.stats
    assert after.failed_attempts - before.failed_attempts == 2
    assert after.delivered - before.delivered == 1
    assert after.gave_up == before.gave_up


def test_given_a_receiver_that_never_accepts_when_attempts_run_out_then_the_sender_gives_up(
    running: RunningSandbox, rx: Receiver
) -> None:
    hooks = HubSpotNotifications(
        running.hubspot,
        f"{rx.url}/other-app",
        app_secret="other",
        retry=RetryPolicy(first_delay_s=0.01, max_delay_s=0.02, max_attempts=3),
    ).start()
    try:
        rx.failures["/other-app"] = [500] * 1_000
        running.hubspot.touch_company(running.hubspot.company_ids()[8], city="Nowhere")
        assert hooks.wait_idle(5)
    finally:
        hooks.stop()
    stats = hooks.stats
    assert (stats.sent, stats.failed_attempts, stats.gave_up, stats.delivered) == (3, 3, 1, 0)
    numbers = [e["attemptNumber"] for _, e in rx.hubspot_events("/other-app")]
    assert numbers == [0, 1, 2]


def test_given_queued_events_when_stopped_then_drain_delivers_and_abandon_drops_pending_retries(
    running: RunningSandbox, rx: Receiver
) -> None:
    company_id = running.hubspot.company_ids()[9]
    draining = HubSpotNotifications(running.hubspot, f"{rx.url}/drain", app_secret="d").start()
    running.hubspot.touch_company(company_id, city="Drained")
    draining.stop(drain=True, timeout=5)
    slow = RetryPolicy(first_delay_s=30.0, max_delay_s=30.0, max_attempts=5)
    abandoning = HubSpotNotifications(
        running.hubspot, f"{rx.url}/abandon", app_secret="a", retry=slow
    ).start()
    rx.failures["/abandon"] = [503]
    running.hubspot.touch_company(company_id, city="Abandoned")
    rx.wait_for(lambda: bool(rx.received("/abandon")))
    assert not abandoning.wait_idle(0.1)  # a retry is due in 30 s

    started = time.monotonic()
    abandoning.stop()

    assert time.monotonic() - started < 2
    assert (draining.stats.delivered, draining.stats.abandoned) == (1, 0)
    assert [e["propertyValue"] for _, e in rx.hubspot_events("/drain")] == ["Drained"]
    assert (abandoning.stats.sent, abandoning.stats.abandoned) == (1, 1)
    running.hubspot.touch_company(company_id, city="After stop")  # no longer subscribed
    time.sleep(0.1)
    assert abandoning.stats.queued == 1


def test_given_many_changes_and_a_slow_receiver_when_sent_then_batches_of_100_and_concurrency_capped(
    running: RunningSandbox, rx: Receiver
) -> None:
    hooks = HubSpotNotifications(
        running.hubspot, f"{rx.url}/capped", app_secret="capped", max_concurrent=2
    ).start()
    rx.delay_s = 0.2
    ids = running.hubspot.company_ids()[:25]
    try:
        with running.hubspot.lock:  # all in one window
            for n in range(10):
                for company_id in ids:
                    running.hubspot.touch_company(company_id, city=f"Cap {n}")
        assert hooks.wait_idle(10)
    finally:
        hooks.stop()
    sizes = [len(r.events()) for r in rx.received("/capped")]
    assert sum(sizes) == 250
    assert max(sizes) == 100
    assert len(sizes) >= 3
    assert rx.max_in_flight["/capped"] == 2
    assert hooks.stats.items_delivered == 250


# --- Salesforce -----------------------------------------------------------------------------


def test_given_a_lead_created_through_rest_when_sent_then_an_outbound_message_is_retried_until_acked(
    running: RunningSandbox, rx: Receiver, sf: TypedSalesforce
) -> None:
    rx.failures[SALESFORCE_PATH] = [200, 500]  # <Ack>false</Ack>, then a server error

    created = sf.Lead.create({"LastName": "Webhook", "Company": "Outbound Test Co"})

    lead_id = created["id"]

    def seen() -> list[Received]:
        return [r for r in rx.received(SALESFORCE_PATH) if lead_id in _notified_ids(r)]

    rx.wait_for(lambda: len(seen()) == 3)
    assert running.wait_notifications_idle(5)
    assert len(seen()) == 3
    first, *retries = seen()
    assert all(r.body == first.body for r in retries)  # same notification ids, same content
    request = first
    assert request.headers["content-type"] == "text/xml; charset=utf-8"
    assert request.headers["soapaction"] == '""'
    notifications, items = _outbound(request)
    assert notifications.findtext("out:OrganizationId", namespaces=NS) == running.salesforce_org_id
    assert (notifications.findtext("out:ActionId", namespaces=NS) or "").startswith("04k")
    assert notifications.findtext("out:SessionId", namespaces=NS)
    enterprise_url = notifications.findtext("out:EnterpriseUrl", namespaces=NS) or ""
    assert enterprise_url.startswith(f"{running.salesforce_url}/services/Soap/c/")
    assert notifications.findtext("out:PartnerUrl", namespaces=NS)
    assert len(items) == 1
    notification_id = items[0].findtext("out:Id", namespaces=NS) or ""
    assert notification_id.startswith("04l")
    assert len(notification_id) == 18
    sobject = items[0].find("out:sObject", NS)
    assert sobject is not None
    assert sobject.get(f"{{{NS['xsi']}}}type") == "sf:Lead"
    assert sobject.findtext("sf:Id", namespaces=NS) == lead_id
    assert sobject.findtext("sf:Company", namespaces=NS) == "Outbound Test Co"
    org = running.salesforce_outbound_messages
    assert org is not None
    assert org.stats.gave_up == 0


def test_given_a_collection_update_when_sent_then_one_outbound_message_per_object_type(
    running: RunningSandbox, rx: Receiver, sf: TypedSalesforce
) -> None:
    assert running.salesforce is not None
    accounts = [a["Id"] for a in running.salesforce.snapshot("Account")[:2]]
    lead = running.salesforce.snapshot("Lead")[0]["Id"]
    records = [
        {"attributes": {"type": "Account"}, "id": accounts[0], "BillingCity": "Oslo"},
        {"attributes": {"type": "Lead"}, "id": lead, "Title": "CTO"},
        {"attributes": {"type": "Account"}, "id": accounts[1], "BillingCity": "Bergen"},
    ]

    results = sf.restful("composite/sobjects", method="PATCH", json={"records": records})

    assert results is not None
    assert all(r["success"] for r in results)

    def mine() -> list[Received]:
        wanted = {*accounts, lead}
        return [r for r in rx.received(SALESFORCE_PATH) if set(_notified_ids(r)) & wanted]

    rx.wait_for(lambda: len(mine()) == 2)
    assert running.wait_notifications_idle(5)
    by_ids = sorted(sorted(_notified_ids(r)) for r in mine())
    assert by_ids == sorted([sorted(accounts), [lead]])


# --- inbound leads ----------------------------------------------------------------------------


def test_given_a_rate_when_simulating_hubspot_inbound_then_contacts_at_new_companies_at_that_rate(
    running: RunningSandbox, rx: Receiver
) -> None:
    companies_before = running.hubspot.count("companies")

    run = running.simulate_inbound(20.0, 8, "hubspot")

    assert run.wait(5)
    leads = run.leads
    assert run.error is None
    assert len(leads) == 8
    span = leads[-1].created_monotonic - leads[0].created_monotonic
    assert 7 / 20 * 0.8 <= span <= 7 / 20 + 0.5
    assert all(b.created_wall_ms >= a.created_wall_ms for a, b in itertools.pairwise(leads))
    assert running.hubspot.count("companies") == companies_before + 8
    for lead in leads:
        assert lead.company_id is not None
        assert running.hubspot.contact_company_ids(lead.object_id) == [lead.company_id]
        assert running.hubspot.company(lead.company_id)["domain"] == lead.domain
        assert running.hubspot.contact(lead.object_id)["email"].endswith("@" + lead.domain)
    contact_ids = {int(lead.object_id) for lead in leads}
    rx.wait_for(
        lambda: (
            contact_ids
            <= {
                e["objectId"]
                for _, e in rx.hubspot_events()
                if e["subscriptionType"] == "contact.creation"
            }
        )
    )
    company_events = {
        e["objectId"] for _, e in rx.hubspot_events() if e["subscriptionType"] == "company.creation"
    }
    assert {int(lead.company_id or 0) for lead in leads} <= company_events


def test_given_a_rate_when_simulating_salesforce_inbound_then_new_leads_arrive_by_outbound_message(
    running: RunningSandbox, rx: Receiver
) -> None:
    assert running.salesforce is not None

    run = running.simulate_inbound(25.0, 5, "salesforce")

    assert run.wait(5)
    leads = run.leads
    assert len(leads) == 5
    assert 4 / 25 * 0.8 <= leads[-1].created_monotonic - leads[0].created_monotonic <= 4 / 25 + 0.5
    for lead in leads:
        record = running.salesforce.get("Lead", lead.object_id)
        assert record["Company"] == lead.company_name
        assert record["LastModifiedById"] == WEB_USER_ID
        assert record["Email"].endswith("@" + lead.domain)
    wanted = {lead.object_id for lead in leads}
    rx.wait_for(
        lambda: wanted <= {i for r in rx.received(SALESFORCE_PATH) for i in _notified_ids(r)}
    )


# --- no target ----------------------------------------------------------------------------


def test_given_no_webhook_target_when_records_change_then_nothing_is_sent(
    rx: Receiver, start_crm_sandbox: SandboxFactory
) -> None:
    with start_crm_sandbox(seed=2, companies=3, as_of=AS_OF, salesforce_port=0) as sandbox:
        assert sandbox.salesforce is not None
        sandbox.hubspot.touch_company(sandbox.hubspot.company_ids()[0], city="Silent")
        sandbox.salesforce.create("Lead", {"LastName": "Quiet", "Company": "Silent Co"})
        time.sleep(0.2)

        assert sandbox.webhook_target is None
        assert sandbox.hubspot_notifications is None
        assert sandbox.salesforce_outbound_messages is None
        assert sandbox.hubspot._listeners == []
        assert sandbox.salesforce._listeners == []
        assert sandbox.wait_notifications_idle(0)
        assert sandbox.hubspot_app_secret  # still made, for a receiver configured later
        assert sandbox.salesforce_org_id is not None
        assert sandbox.salesforce_org_id.startswith("00D")
    assert rx.requests == []


# --- the command ------------------------------------------------------------------------------


@pytest.mark.slow
def test_given_the_command_with_a_target_and_inbound_leads_then_settings_and_webhooks_flow(
    rx: Receiver,
) -> None:
    command = [sys.executable, "-c", "from app.cli.main import run; run()", "sandbox"]
    process = subprocess.Popen(
        [
            *command,
            "--hubspot-port", "0", "--salesforce-port", "0", "--companies", "10",
            "--webhook-target", rx.url,
            "--hubspot-app-secret", "cli-secret",
            "--inbound-leads-per-second", "10",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(8)]
        rx.wait_for(
            lambda: (
                bool(rx.received(SALESFORCE_PATH))
                and any(e["subscriptionType"] == "contact.creation" for _, e in rx.hubspot_events())
            ),
            timeout=15,
        )
    finally:
        _out, err = stop_process(process)
    assert process.returncode == 0, err
    settings = dict(line.split("=", 1) for line in lines)
    assert list(settings)[:2] == ["ICP_SYNC_HUBSPOT_BASE_URL", "ICP_SYNC_HUBSPOT_TOKEN"]
    assert list(settings)[-2:] == ["ICP_SYNC_HUBSPOT_APP_SECRET", "ICP_SYNC_SALESFORCE_ORG_ID"]
    assert settings["ICP_SYNC_HUBSPOT_APP_SECRET"] == "cli-secret"
    assert settings["ICP_SYNC_SALESFORCE_ORG_ID"].startswith("00D")
    request = rx.received(HUBSPOT_PATH)[0]
    timestamp = request.headers["x-hubspot-request-timestamp"]
    assert request.headers["x-hubspot-signature-v3"] == _expected_v3(
        "cli-secret", request.url, request.body, timestamp
    )
    notifications, _ = _outbound(rx.received(SALESFORCE_PATH)[0])
    org_id = settings["ICP_SYNC_SALESFORCE_ORG_ID"]
    assert notifications.findtext("out:OrganizationId", namespaces=NS) == org_id
    assert "Traceback" not in err
