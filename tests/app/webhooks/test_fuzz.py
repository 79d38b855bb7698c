"""Whatever arrives, a webhook endpoint answers 200 or a 4xx it documents, never a 500: arbitrary
bytes, JSON junk and near-valid deliveries, each correctly signed so the parser is reached, on
SQLite and PostgreSQL (which refuses more in JSON than SQLite does)."""

from __future__ import annotations

import json
import logging
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.app import create_app
from app.settings import Settings
from app.webhooks.hubspot import signature_v3
from app.webhooks.salesforce_json import signature as salesforce_signature

pytestmark = pytest.mark.slow  # hypothesis posts hundreds of bodies

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HUBSPOT_SECRET = "hs-fuzz-secret-0d3c"
SALESFORCE_SECRET = "sf-fuzz-secret-77ab"
ORG_ID = "00D5e0000000001EAA"
ANSWERS = {200, 400, 401, 413}

fuzz = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.sampled_from(["", "\x00", "\ud800", "x" * 200, "company.creation", "Lead", "created"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=30,
)
HUBSPOT_KEYS = [
    "eventId",
    "subscriptionType",
    "eventType",
    "objectId",
    "occurredAt",
    "propertyName",
    "propertyValue",
    "changeSource",
    "attemptNumber",
    "portalId",
]
SALESFORCE_KEYS = ["eventId", "objectType", "recordId", "changeType", "occurredAt"]


def near_valid(keys: list[str], valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid event, often with a field replaced by junk or an optional one added."""

    def mostly(value: Any) -> st.SearchStrategy[Any]:
        return st.one_of(*[st.just(value)] * 5, json_values)

    return st.fixed_dictionaries(
        {name: mostly(value) for name, value in valid.items()},
        optional={name: json_values for name in keys if name not in valid},
    )


hubspot_events = near_valid(
    HUBSPOT_KEYS,
    {
        "eventId": 1,
        "subscriptionType": "company.propertyChange",
        "objectId": 2,
        "occurredAt": 1_700_000_000_000,
        "propertyName": "industry",
        "propertyValue": "Software",
    },
)
salesforce_events = near_valid(
    SALESFORCE_KEYS,
    {
        "eventId": "e-1",
        "objectType": "Lead",
        "recordId": "00Q5e00000XyZaBEAV",
        "changeType": "updated",
    },
)
xml_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@st.composite
def outbound_messages(draw: st.DrawFn) -> bytes:
    """An Outbound Message envelope with junk in its values, tags or markup."""
    raw = draw(st.sampled_from([False, False, True]))  # unescaped junk may break the XML: a 400

    def text() -> str:
        value = draw(xml_text)
        return value if raw else escape(value)

    def notification_id() -> str:
        if draw(st.booleans()):
            return draw(st.sampled_from(["04l5e00000AbCdEAAA", "04l5e00000AbCdE"]))
        return text()

    notifications = "".join(
        f"<Notification><Id>{notification_id()}</Id>"
        f'<sObject xsi:type="sf:{draw(st.sampled_from(["Lead", "Account", "Opportunity", "Contact", ""]))}"'
        ' xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"<sf:Id>{draw(st.sampled_from(['00Q5e00000XyZaBEAV', '']) | xml_text.map(escape))}</sf:Id>"
        f"<sf:Company>{text()}</sf:Company></sObject></Notification>"
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    )
    org = draw(st.sampled_from([ORG_ID, ORG_ID[:15], "00D5e0000000002EAA", ""]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org}</OrganizationId><ActionId>{text()}</ActionId>"
        f"{notifications}</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode("utf-8", "surrogatepass")


def dumped(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


# Valid events carrying junk where it is stored as is (free text, extra keys): what reaches the
# database, where PostgreSQL is stricter than SQLite.
extras = st.dictionaries(st.text(max_size=10), json_values, max_size=3)
stored_hubspot_events = st.builds(
    lambda event_id, value, more: {
        **more,
        "eventId": event_id,
        "subscriptionType": "company.propertyChange",
        "objectId": 5,
        "occurredAt": 1_700_000_000_000,
        "propertyName": "industry",
        "propertyValue": value,
    },
    st.integers(min_value=0, max_value=2**62),
    st.text(),
    extras,
)
stored_salesforce_events = st.builds(
    lambda event_id, more: {
        **more,
        "eventId": event_id,
        "objectType": "Account",
        "recordId": "0015e00000AbCdEAAZ",
        "changeType": "updated",
    },
    st.text(min_size=1, max_size=130),
    extras,
)
junk = st.binary(max_size=300) | json_values.map(dumped)
hubspot_bodies = (
    junk
    | st.lists(hubspot_events, max_size=4).map(dumped)
    | st.lists(stored_hubspot_events, min_size=1, max_size=4).map(dumped)
)
salesforce_json_bodies = (
    junk
    | st.lists(salesforce_events, max_size=4).map(lambda events: dumped({"events": events}))
    | salesforce_events.map(dumped)
    | st.lists(stored_salesforce_events, min_size=1, max_size=4).map(
        lambda events: dumped({"events": events})
    )
)


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert HUBSPOT_SECRET not in caplog.text
    assert SALESFORCE_SECRET not in caplog.text


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        hubspot_app_secret=HUBSPOT_SECRET,
        salesforce_org_id=ORG_ID,
        salesforce_webhook_secret=SALESFORCE_SECRET,
    )
    with TestClient(create_app(settings), raise_server_exceptions=True) as started:
        yield started


def check(response: Any, *, soap: bool = False) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.text[:300])
    assert HUBSPOT_SECRET not in response.text
    assert SALESFORCE_SECRET not in response.text
    if soap:
        ET.fromstring(response.text)  # an Ack or a fault, always well-formed
    else:
        answer = response.json()
        assert set(answer) in ({"received", "duplicates", "ignored"}, {"detail", "reason"})


@fuzz
@given(body=hubspot_bodies)
def test_given_any_body_signed_for_hubspot_when_posted_then_200_or_4xx(
    client: TestClient, body: bytes
) -> None:
    timestamp = str(int(time.time() * 1000))
    signature = signature_v3(
        HUBSPOT_SECRET, "POST", "http://testserver/webhooks/hubspot", body, timestamp
    )
    headers = {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": timestamp}

    response = client.post("/webhooks/hubspot", content=body, headers=headers)

    check(response)
    assert response.status_code != 401


@fuzz
@given(body=salesforce_json_bodies)
def test_given_any_body_signed_for_salesforce_json_when_posted_then_200_or_4xx(
    client: TestClient, body: bytes
) -> None:
    timestamp = str(int(time.time()))
    headers = {
        "X-ICP-Sync-Timestamp": timestamp,
        "X-ICP-Sync-Signature": salesforce_signature(SALESFORCE_SECRET, timestamp, body),
    }

    response = client.post("/webhooks/salesforce", content=body, headers=headers)

    check(response)
    assert response.status_code != 401


@fuzz
@given(body=junk | outbound_messages())
def test_given_any_body_as_outbound_message_when_posted_then_200_or_4xx(
    client: TestClient, body: bytes
) -> None:
    response = client.post(
        "/webhooks/salesforce/outbound-message", content=body, headers={"Content-Type": "text/xml"}
    )

    check(response, soap=True)


@fuzz
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "X-HubSpot-Signature-v3",
                "X-HubSpot-Request-Timestamp",
                "X-ICP-Sync-Secret",
                "X-ICP-Sync-Signature",
                "X-ICP-Sync-Timestamp",
                "X-Forwarded-Proto",
            ]
        ),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    )
)
def test_given_any_auth_headers_when_posted_then_401_or_4xx(
    client: TestClient, headers: dict[str, str]
) -> None:
    for path in ("/webhooks/hubspot", "/webhooks/salesforce"):
        response = client.post(path, content=b"[]", headers=headers)

        check(response)
        assert response.status_code != 200
