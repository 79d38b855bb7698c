"""What the webhook parsers accept is what the OpenAPI schema says: the cases schemathesis found
where the two disagreed (tests/app/api/test_openapi_fuzz.py), pinned down, and the schema's patterns
checked against the parsers themselves."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.api.app import create_app
from app.settings import Settings
from app.webhooks import hubspot, salesforce_json, salesforce_soap
from app.webhooks.common import require_id
from app.webhooks.errors import WebhookError

ORG_ID = "00D5e0000000001EAA"


def hubspot_event(**fields: Any) -> bytes:
    event = {"eventId": 1, "subscriptionType": "company.creation", "objectId": 2, "occurredAt": 3}
    return json.dumps([{**event, **fields}]).encode()


def salesforce_event(**fields: Any) -> bytes:
    event = {
        "eventId": "e-1",
        "objectType": "Lead",
        "recordId": "00Q5e00000XyZaBEAV",
        "changeType": "updated",
    }
    return json.dumps({**event, **fields}).encode()


def refusal(parse: Any, body: bytes) -> str:
    with pytest.raises(WebhookError) as caught:
        parse(body)
    assert caught.value.status == 400
    return caught.value.message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {"propertyValue": {}},
            "events[0].propertyValue: expected a string, got an object",
            id="property_value_of_a_creation_event",
        ),
        pytest.param(
            {"objectId": 2**63},
            "events[0].objectId: larger than a 64-bit id: 9223372036854775808",
            id="object_id_past_64_bits",
        ),
        pytest.param(
            {"eventId": 1.5}, "events[0].eventId: expected a number, got 1.5", id="fraction"
        ),
    ],
)
def test_given_a_hubspot_event_the_schema_refuses_when_parsed_then_400_naming_it(
    fields: dict[str, Any], message: str
) -> None:
    assert refusal(hubspot.parse_delivery, hubspot_event(**fields)) == message


def test_given_whole_numbers_written_with_a_point_when_parsed_then_read_as_integers() -> None:
    # JSON Schema's `integer` (the OpenAPI schema) includes 7.0.
    (event,) = hubspot.parse_delivery(hubspot_event(eventId=7.0, objectId=8.0)).events

    assert (event.event_id, event.object_id) == ("7", "8")


@pytest.mark.parametrize(
    ("occurred_at", "accepted"),
    [
        ("2026-01-05T10:00:00Z", True),
        ("2026-01-05t10:00:00.123456789z", True),
        ("2024-02-29T23:59:59-23:59", True),
        ("2023-02-29T00:00:00Z", False),
        ("2026-01-05 10:00:00+00:00", False),
        ("2026-01-05T10:00Z", False),
        ("2026-01-05T10:00:60Z", False),
        ("2026-01-05T10:00:00", False),
        ("", False),
    ],
)
def test_given_an_occurred_at_when_parsed_then_only_rfc_3339_date_times_are_accepted(
    occurred_at: str, accepted: bool
) -> None:
    body = salesforce_event(occurredAt=occurred_at)
    assert bool(re.fullmatch(salesforce_json.DATE_TIME_PATTERN, occurred_at)) == accepted

    if accepted:
        (event,) = salesforce_json.parse_delivery(body).events
        assert event.occurred_at is not None
    else:
        assert refusal(salesforce_json.parse_delivery, body).startswith("occurredAt: expected")


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    text=st.from_regex(salesforce_json.DATE_TIME_PATTERN, fullmatch=True)
    | st.text(alphabet="0123456789-:TtZz+.", max_size=30)
)
def test_given_any_date_time_text_when_parsed_then_the_parser_agrees_with_the_schema_pattern(
    text: str,
) -> None:
    matches = re.fullmatch(salesforce_json.DATE_TIME_PATTERN, text) is not None
    try:
        salesforce_json.parse_delivery(salesforce_event(occurredAt=text))
    except WebhookError:
        assert not matches, text
    else:
        assert matches, text


@given(value=st.text(max_size=6))
def test_given_any_event_id_when_checked_then_the_parser_agrees_with_the_schema_pattern(
    value: str,
) -> None:
    pattern = _schema_pattern("/webhooks/salesforce", "eventId")
    matches = re.fullmatch(pattern, value) is not None
    try:
        require_id(value, "eventId", 128)
    except WebhookError:
        assert not matches, repr(value)
    else:
        assert matches or not value, repr(value)


@functools.cache
def _schema_pattern(path: str, name: str) -> str:
    app = create_app(Settings(database_url="sqlite://"))
    try:
        document = app.openapi()
    finally:
        app.state.resources.engine.dispose()
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    pattern: str = body["oneOf"][1]["properties"][name]["pattern"]
    return pattern


def outbound_message(sobject_type: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{ORG_ID}</OrganizationId>"
        "<Notification><Id>04l5e00000AbCdEAAA</Id>"
        f'<sObject xsi:type="{sobject_type}"><Id>00Q5e00000XyZaBEAV</Id></sObject>'
        "</Notification></notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    ("sobject_type", "stored", "ignored"),
    [("sf:Lead", 1, 0), ("Lead", 1, 0), ("sf:Contact", 0, 1), ("sf:Custom_Object__c", 0, 1)],
)
def test_given_an_xsi_type_name_when_parsed_then_stored_or_skipped(
    sobject_type: str, stored: int, ignored: int
) -> None:
    delivery = salesforce_soap.parse_delivery(outbound_message(sobject_type), org_id=ORG_ID)

    assert (len(delivery.events), delivery.ignored) == (stored, ignored)


@pytest.mark.parametrize("sobject_type", ["+", "sf:", "sf:Lead x", "1Lead", "\u00e9"])
def test_given_an_xsi_type_that_is_no_type_name_when_parsed_then_400(sobject_type: str) -> None:
    message = refusal(
        lambda body: salesforce_soap.parse_delivery(body, org_id=ORG_ID),
        outbound_message(sobject_type),
    )

    assert "xsi:type is not a type name such as sf:Lead" in message
