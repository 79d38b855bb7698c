"""POST /webhooks/salesforce/outbound-message: SOAP parsing, org check, Ack and faults."""

from __future__ import annotations

import logging
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.settings import Settings
from app.store.engine import make_engine
from app.store.tables import WebhookEvent

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PATH = "/webhooks/salesforce/outbound-message"
ORG_ID = "00D5e0000000001EAA"
SESSION_ID = "00D5e0000000001!AQ4AQKx9sVzBWt1TQkQ3yq9oZb.secret-session"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}

LEAD = """
   <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
    <sf:Id>00Q5e00000XyZaBEAV</sf:Id>
    <sf:Company>Acme &amp; Sons</sf:Company>
    <sf:Email>jane@acme.example</sf:Email>
    <sf:NumberOfEmployees>250</sf:NumberOfEmployees>
    <sf:Industry xsi:nil="true"/>
   </sObject>"""
ACCOUNT = """
   <sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
    <sf:Id>0015e00000AbCdEAAZ</sf:Id>
    <sf:Name>Globex</sf:Name>
    <sf:Website>https://globex.example</sf:Website>
   </sObject>"""


def envelope(
    *notifications: tuple[str, str], org_id: str = ORG_ID, session_id: str = SESSION_ID
) -> str:
    items = "".join(
        f"\n  <Notification>\n   <Id>{nid}</Id>{sobject}\n  </Notification>"
        for nid, sobject in notifications
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>{org_id}</OrganizationId>
  <ActionId>04k5e0000000001AAA</ActionId>
  <SessionId>{session_id}</SessionId>
  <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/59.0/00D5e0000000001</EnterpriseUrl>
  <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/59.0/00D5e0000000001</PartnerUrl>{items}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>
"""


TWO = envelope(("04l5e00000AbCdEAAA", LEAD), ("04l5e00000AbCdFAAA", ACCOUNT))


def inbox(database_url: str) -> list[WebhookEvent]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.event_id)))
    finally:
        engine.dispose()


def fault_string(text: str) -> tuple[str, str]:
    root = ET.fromstring(text)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or ""


@pytest.fixture(autouse=True)
def no_session_id_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert SESSION_ID not in caplog.text


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # The 15-character form of the org id: Salesforce sends the 18-character one.
    app = create_app(Settings(database_url=database_url, salesforce_org_id=ORG_ID[:15]))
    with TestClient(app) as started:
        yield started


def post(client: TestClient, body: str | bytes) -> Any:
    """The response, typed as the test client's HTTP library (httpx2, or httpx before it)."""
    content = body.encode() if isinstance(body, str) else body
    response = client.post(PATH, content=content, headers=HEADERS)
    assert SESSION_ID not in response.text
    return response


def test_given_outbound_message_with_lead_and_account_when_posted_then_ack_and_two_rows(
    client: TestClient, database_url: str
) -> None:
    response = client.post(PATH, content=TWO.encode(), headers=HEADERS)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.text)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    assert (
        root.findtext(f"{{{SOAP_ENV}}}Body/{{{OUTBOUND}}}notificationsResponse/{{{OUTBOUND}}}Ack")
        == "true"
    )
    rows = inbox(database_url)
    assert [(r.source, r.event_id, r.event_type, r.object_type, r.object_id) for r in rows] == [
        ("salesforce", "04l5e00000AbCdEAAA", "outbound_message", "lead", "00Q5e00000XyZaBEAV"),
        ("salesforce", "04l5e00000AbCdFAAA", "outbound_message", "account", "0015e00000AbCdEAAZ"),
    ]
    assert rows[0].payload == {
        "Id": "00Q5e00000XyZaBEAV",
        "Company": "Acme & Sons",
        "Email": "jane@acme.example",
        "NumberOfEmployees": "250",
        "Industry": None,
        "ActionId": "04k5e0000000001AAA",
        "OrganizationId": ORG_ID,
    }
    assert all(r.status == "pending" for r in rows)
    stored = " ".join(str(r.payload) for r in rows)
    assert SESSION_ID not in stored
    assert "SessionId" not in stored


def test_given_ack_when_compared_then_exactly_the_documented_text(client: TestClient) -> None:
    response = client.post(PATH, content=TWO.encode(), headers=HEADERS)

    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.'
        'xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.'
        'sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body>'
        "</soapenv:Envelope>"
    )


def test_given_redelivered_message_when_posted_again_then_acked_and_stored_once(
    client: TestClient, database_url: str
) -> None:
    first = post(client, TWO)
    second = post(client, TWO)

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(inbox(database_url)) == 2


def test_given_other_organisation_when_posted_then_401_fault(
    client: TestClient, database_url: str
) -> None:
    body = envelope(("04l5e00000AbCdEAAA", LEAD), org_id="00D5e0000000002EAA")

    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/xml")
    code, message = fault_string(response.text)
    assert code == "soapenv:Client"
    assert "is not the organisation configured in ICP_SYNC_SALESFORCE_ORG_ID" in message
    assert inbox(database_url) == []


def test_given_org_id_differing_only_in_case_suffix_when_posted_then_accepted(
    client: TestClient,
) -> None:
    # The 3-character suffix of an 18-character id only encodes the case of the first 15.
    body = envelope(("04l5e00000AbCdEAAA", LEAD), org_id=ORG_ID[:15] + "XYZ")

    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 200


def test_given_org_id_in_other_case_when_posted_then_401(client: TestClient) -> None:
    body = envelope(("04l5e00000AbCdEAAA", LEAD), org_id=ORG_ID.lower())

    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 401


def test_given_org_id_not_configured_when_posted_then_401_fault_saying_so(
    database_url: str,
) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.post(PATH, content=TWO.encode(), headers=HEADERS)

    assert response.status_code == 401
    _code, message = fault_string(response.text)
    assert "not configured" in message
    assert "ICP_SYNC_SALESFORCE_ORG_ID" in message
    assert inbox(database_url) == []


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<lolz>&lol2;</lolz>",
        '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + TWO.split("?>", 1)[1].replace("Acme &amp; Sons", "&xxe;"),
        '<!DOCTYPE foo SYSTEM "http://127.0.0.1:1/evil.dtd"><foo/>',
    ],
    ids=["billion-laughs", "external-entity", "external-dtd"],
)
def test_given_doctype_or_entity_when_posted_then_400_fault(
    client: TestClient, database_url: str, body: str
) -> None:
    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 400
    _code, message = fault_string(response.text)
    assert "<!DOCTYPE declarations are refused" in message
    assert inbox(database_url) == []


def test_given_doctype_in_utf16_when_posted_then_400_without_parsing(client: TestClient) -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>'

    response = client.post(PATH, content=body.encode("utf-16"), headers=HEADERS)

    assert response.status_code == 400
    _code, message = fault_string(response.text)
    assert message.startswith("body: not UTF-8 text")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            TWO.replace("</notifications>", ""),
            "body: not well-formed XML: mismatched tag: line 29, column 3",
        ),
        ("", "body: empty, expected a SOAP envelope"),
        ("not xml at all", "body: not well-formed XML: syntax error: line 1, column 0"),
        ("<a><b></a>", "body: not well-formed XML: mismatched tag: line 1, column 8"),
        (
            "<Envelope/>",
            "body: expected a SOAP 1.1 Envelope (http://schemas.xmlsoap.org/soap/envelope/), got <Envelope>",
        ),
        (
            TWO.replace("<sf:Id>00Q5e00000XyZaBEAV</sf:Id>", ""),
            "notifications/Notification[1]/sObject/Id: expected a Salesforce id, got null",
        ),
        (
            TWO.replace("<Id>04l5e00000AbCdFAAA</Id>", "<Id>not an id!</Id>"),
            "notifications/Notification[2]/Id: expected a Salesforce id, got 'not an id!'",
        ),
        (
            TWO.replace(' xsi:type="sf:Account"', ""),
            "notifications/Notification[2]/sObject: no xsi:type naming the object (e.g. sf:Lead)",
        ),
        (
            TWO.replace("<OrganizationId>00D5e0000000001EAA</OrganizationId>", ""),
            "notifications: no OrganizationId",
        ),
    ],
    ids=[
        "unclosed",
        "empty",
        "text",
        "mismatched",
        "not-soap",
        "no-record-id",
        "bad-notification-id",
        "no-type",
        "no-org",
    ],
)
def test_given_malformed_message_when_posted_then_400_fault_naming_the_problem(
    client: TestClient, database_url: str, body: str, expected: str
) -> None:
    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 400
    code, message = fault_string(response.text)
    assert (code, message) == ("soapenv:Client", expected)
    assert inbox(database_url) == []


def test_given_contact_notification_when_posted_then_acked_and_skipped(
    client: TestClient, database_url: str
) -> None:
    contact = LEAD.replace("sf:Lead", "sf:Contact").replace("00Q5e", "0035e")
    body = envelope(("04l5e00000AbCdEAAA", contact), ("04l5e00000AbCdFAAA", ACCOUNT))

    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 200
    assert [r.object_type for r in inbox(database_url)] == ["account"]


def test_given_101_notifications_when_posted_then_400(client: TestClient) -> None:
    body = envelope(*[(f"04l5e00000AbC{i:03d}AAA", LEAD) for i in range(101)])

    response = client.post(PATH, content=body.encode(), headers=HEADERS)

    assert response.status_code == 400
    assert fault_string(response.text)[1] == "notifications: 101 events, at most 100 per request"


def test_given_database_unavailable_when_posted_then_503_server_fault(tmp_path: Path) -> None:
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", salesforce_org_id=ORG_ID)
    )
    client = TestClient(app)  # not started: no migration, no inbox table

    response = client.post(PATH, content=TWO.encode(), headers=HEADERS)

    app.state.resources.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert fault_string(response.text)[0] == "soapenv:Server"
