"""POST /webhooks/hubspot: v3 signature, batch parsing, inbox writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubspot.utils.signature import Signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.metrics import REGISTRY
from app.settings import Settings
from app.store.engine import make_engine
from app.store.tables import WebhookEvent

with warnings.catch_warnings():
    # Starlette's TestClient asks for `httpx2`; until it is a dev dependency, httpx still works.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SECRET = "hs-app-secret-7c1e0f52-9a1b"
URL = "http://testserver/webhooks/hubspot"
PATH = "/webhooks/hubspot"


def hubspot_v3(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    """The v3 signature as HubSpot documents it (written independently of app.webhooks)."""
    source = f"{method}{uri}{body}{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def now_ms() -> str:
    return str(int(time.time() * 1000))


def event(event_id: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventId": event_id,
        "subscriptionId": 25,
        "portalId": 33,
        "appId": 1160452,
        "occurredAt": 1_700_000_000_000 + event_id,
        "subscriptionType": "company.propertyChange",
        "attemptNumber": 0,
        "objectId": 1_246_965,
        "propertyName": "industry",
        "propertyValue": "COMPUTER_SOFTWARE",
        "changeSource": "CRM_UI",
    }
    base.update(fields)
    return base


def signed(
    body: str, *, secret: str = SECRET, uri: str = URL, timestamp: str | None = None
) -> dict[str, str]:
    timestamp = timestamp or now_ms()
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": hubspot_v3(secret, "POST", uri, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


def inbox(database_url: str) -> list[WebhookEvent]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.event_id)))
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert SECRET not in caplog.text


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, hubspot_app_secret=SECRET))
    with TestClient(app) as started:
        yield started


def post(client: TestClient, body: str, headers: dict[str, str], path: str = PATH) -> Any:
    response = client.post(path, content=body.encode(), headers=headers)
    assert SECRET not in response.text
    assert all(SECRET not in value for value in response.headers.values())
    return response


def test_given_documented_test_vector_when_signed_then_official_utility_and_ours_agree() -> None:
    body = (
        '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
        '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    )
    secret, uri, timestamp = (
        "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
        "http://127.0.0.1:8000/hook",
        "1700000000000",
    )
    expected = "DvaM3IbDXwmEDZ+2bk5Od1roLqRjpdN9GjJznfGTQaE="

    ours = hubspot_v3(secret, "POST", uri, body, timestamp)
    official = Signature.get_signature(secret, body, "v3", uri, "POST", timestamp)

    assert ours == official == expected


def test_given_delivery_signed_like_hubspot_when_posted_then_stored_and_counted(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps(
        [
            event(101),
            event(102, subscriptionType="deal.creation", objectId=555, propertyName=None),
            event(103, subscriptionType="contact.creation", objectId=777),
            event(104, subscriptionType="company.deletion", objectId=888),
            event(105, subscriptionType="ticket.creation", objectId=999),
        ]
    )
    headers = signed(body)
    official_ok = Signature.is_valid(
        headers["X-HubSpot-Signature-v3"],
        SECRET,
        body,
        URL,
        "POST",
        "v3",
        headers["X-HubSpot-Request-Timestamp"],
    )
    received_before = (
        REGISTRY.get_sample_value("icp_sync_webhook_events_received_total", {"source": "hubspot"})
        or 0.0
    )

    response = post(client, body, headers)

    assert official_ok
    assert response.status_code == 200
    assert response.json() == {"received": 4, "duplicates": 0, "ignored": 1}
    rows = inbox(database_url)
    assert [(r.event_id, r.event_type, r.object_type, r.object_id) for r in rows] == [
        ("101", "company.propertyChange", "company", "1246965"),
        ("102", "deal.creation", "deal", "555"),
        ("103", "contact.creation", "contact", "777"),
        ("104", "company.deletion", "company", "888"),
    ]
    first = rows[0]
    assert (first.source, first.status, first.attempts) == ("hubspot", "pending", 0)
    assert first.payload == event(101)
    assert first.next_attempt_at == first.received_at
    received_after = REGISTRY.get_sample_value(
        "icp_sync_webhook_events_received_total", {"source": "hubspot"}
    )
    assert received_after == received_before + 4


def test_given_contact_events_when_posted_then_each_names_the_contact(
    client: TestClient, database_url: str
) -> None:
    association = {
        "fromObjectId": 901,
        "toObjectId": 512,
        "associationRemoved": False,
        "isPrimaryAssociation": True,
        "propertyName": None,
        "objectId": None,
    }
    body = json.dumps(
        [
            event(201, subscriptionType="contact.propertyChange", objectId=901,
                  propertyName="jobtitle", propertyValue="CRO"),
            event(202, subscriptionType="contact.deletion", objectId=902, propertyName=None),
            event(203, subscriptionType="contact.associationChange",
                  associationType="CONTACT_TO_COMPANY", **association),
            event(204, subscriptionType="contact.associationChange",
                  associationType="CONTACT_TO_DEAL", **association),
        ]
    )  # fmt: skip

    response = post(client, body, signed(body))

    assert response.json() == {"received": 3, "duplicates": 0, "ignored": 1}
    assert [(r.event_type, r.object_type, r.object_id) for r in inbox(database_url)] == [
        ("contact.propertyChange", "contact", "901"),
        ("contact.deletion", "contact", "902"),
        ("contact.associationChange", "contact", "901"),
    ]


@pytest.mark.parametrize(
    ("case", "change"),
    [
        ("tampered body", lambda body, headers: (body.replace("COMPUTER", "COMPUTOR"), headers)),
        ("wrong secret", lambda body, headers: (body, signed(body, secret="not-the-secret"))),
        ("no signature", lambda body, headers: (body, _without(headers, "X-HubSpot-Signature-v3"))),
        (
            "no timestamp",
            lambda body, headers: (body, _without(headers, "X-HubSpot-Request-Timestamp")),
        ),
        ("no headers", lambda body, headers: (body, {"Content-Type": "application/json"})),
        (
            "timestamp changed",
            lambda body, headers: (
                body,
                {
                    **headers,
                    "X-HubSpot-Request-Timestamp": str(
                        int(headers["X-HubSpot-Request-Timestamp"]) + 1
                    ),
                },
            ),
        ),
        (
            "signed without the path",
            lambda body, headers: (body, signed(body, uri="http://testserver")),
        ),
        (
            "signed for https",
            lambda body, headers: (body, signed(body, uri="https://testserver/webhooks/hubspot")),
        ),
    ],
)
def test_given_bad_signature_when_posted_then_401_and_nothing_stored(
    client: TestClient, database_url: str, case: str, change: Any
) -> None:
    body = json.dumps([event(1)])
    body, headers = change(body, signed(body))

    response = post(client, body, headers)

    assert response.status_code == 401, case
    assert response.json()["reason"] == "signature"
    assert inbox(database_url) == []


def _without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key != name}


@pytest.mark.parametrize(
    ("offset_ms", "said"), [(-6 * 60_000, "old"), (6 * 60_000, "in the future")]
)
def test_given_timestamp_six_minutes_off_when_posted_then_401_saying_stale(
    client: TestClient, database_url: str, offset_ms: int, said: str
) -> None:
    body = json.dumps([event(1)])
    headers = signed(body, timestamp=str(int(time.time() * 1000) + offset_ms))

    response = post(client, body, headers)

    assert response.status_code == 401
    assert response.json()["reason"] == "stale"
    assert "stale" in response.json()["detail"]
    assert said in response.json()["detail"]
    assert inbox(database_url) == []


def test_given_timestamp_four_minutes_old_when_posted_then_accepted(client: TestClient) -> None:
    body = json.dumps([event(1)])

    response = post(client, body, signed(body, timestamp=str(int(time.time() * 1000) - 240_000)))

    assert response.status_code == 200


def test_given_101_events_when_posted_then_400(client: TestClient, database_url: str) -> None:
    body = json.dumps([event(i) for i in range(101)])

    response = post(client, body, signed(body))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "body: 101 events, at most 100 per request",
        "reason": "malformed",
    }
    assert inbox(database_url) == []


def test_given_100_events_when_posted_then_all_stored(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps([event(i) for i in range(100)])

    response = post(client, body, signed(body))

    assert response.json() == {"received": 100, "duplicates": 0, "ignored": 0}
    assert len(inbox(database_url)) == 100


def test_given_replayed_delivery_when_posted_again_then_stored_once_and_duplicates_counted(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps([event(1), event(2)])
    replay = json.dumps([event(2, attemptNumber=1), event(1, attemptNumber=1), event(3)])
    duplicates_before = (
        REGISTRY.get_sample_value("icp_sync_webhook_events_duplicate_total", {"source": "hubspot"})
        or 0.0
    )

    first = post(client, body, signed(body))
    second = post(client, replay, signed(replay))

    assert first.json() == {"received": 2, "duplicates": 0, "ignored": 0}
    assert second.json() == {"received": 1, "duplicates": 2, "ignored": 0}
    rows = inbox(database_url)
    assert [r.event_id for r in rows] == ["1", "2", "3"]
    assert rows[0].payload["attemptNumber"] == 0  # the first delivery is the one kept
    duplicates_after = REGISTRY.get_sample_value(
        "icp_sync_webhook_events_duplicate_total", {"source": "hubspot"}
    )
    assert duplicates_after == duplicates_before + 2


def test_given_same_event_twice_in_one_delivery_when_posted_then_stored_once(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps([event(7), event(7)])

    response = post(client, body, signed(body))

    assert response.json() == {"received": 1, "duplicates": 1, "ignored": 0}
    assert len(inbox(database_url)) == 1


def test_given_secret_not_configured_when_posted_then_401_saying_so(
    database_url: str,
) -> None:
    body = json.dumps([event(1)])
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = post(client, body, signed(body))

    assert response.status_code == 401
    assert response.json()["reason"] == "not_configured"
    assert "not configured" in response.json()["detail"]
    assert "ICP_SYNC_HUBSPOT_APP_SECRET" in response.json()["detail"]
    assert inbox(database_url) == []


@pytest.mark.parametrize(
    ("events", "detail"),
    [
        (
            [event(1), event(2), event(3), event(4, objectId="x")],
            "events[3].objectId: expected a number, got 'x'",
        ),
        ([event(1, eventId=None)], "events[0].eventId: expected a number, got null"),
        (
            [{"subscriptionType": "company.creation", "objectId": 1, "occurredAt": 1}],
            "events[0].eventId: required but missing",
        ),
        ([event(1, propertyName=7)], "events[0].propertyName: expected a string, got 7"),
        ([event(1, occurredAt=1.5)], "events[0].occurredAt: expected a number, got 1.5"),
        ([event(1, eventId=True)], "events[0].eventId: expected a number, got true"),
        (
            [event(1, propertyValue="a\u0000b")],
            "events[0].propertyValue: contains a NUL character or an unpaired surrogate",
        ),
        ([["not an object"]], "events[0]: expected an object, got a list"),
        ({"events": []}, "body: expected a JSON array of events, got an object"),
    ],
)
def test_given_malformed_event_when_posted_then_400_naming_the_path(
    client: TestClient, database_url: str, events: Any, detail: str
) -> None:
    body = json.dumps(events)

    response = post(client, body, signed(body))

    assert (response.status_code, response.json()) == (
        400,
        {"detail": detail, "reason": "malformed"},
    )
    assert inbox(database_url) == []


def test_given_body_not_json_when_posted_then_400_naming_the_position(client: TestClient) -> None:
    body = '[{"eventId": 1,'

    response = post(client, body, signed(body))

    assert response.status_code == 400
    assert response.json()["detail"].startswith("body: not valid JSON: ")
    assert "line 1, column 16" in response.json()["detail"]


def test_given_nan_in_body_when_posted_then_400(client: TestClient) -> None:
    body = '[{"eventId": NaN}]'

    response = post(client, body, signed(body))

    assert response.status_code == 400
    assert "NaN" in response.json()["detail"]


def test_given_query_string_with_escapes_when_signed_as_hubspot_decodes_then_accepted(
    client: TestClient,
) -> None:
    body = json.dumps([event(1)])
    sent = "/webhooks/hubspot?portal=33&next=%2Fa%3Ab%40c&space=%20"
    as_signed = "http://testserver/webhooks/hubspot?portal=33&next=/a:b@c&space=%20"

    accepted = post(client, body, signed(body, uri=as_signed), path=sent)
    undecoded = post(client, body, signed(body, uri=f"http://testserver{sent}"), path=sent)
    without_query = post(client, body, signed(body, uri=URL), path=sent)

    assert accepted.status_code == 200
    assert undecoded.status_code == 401
    assert without_query.status_code == 401


def test_given_proxy_passing_host_and_proto_when_signed_for_public_url_then_accepted(
    client: TestClient,
) -> None:
    body = json.dumps([event(1)])
    public = "https://icp.example.com/webhooks/hubspot"
    headers = {**signed(body, uri=public), "Host": "icp.example.com", "X-Forwarded-Proto": "https"}

    response = post(client, body, headers)

    assert response.status_code == 200


def test_given_database_unavailable_when_posted_then_503_with_retry_after(tmp_path: Path) -> None:
    # Not started: no migration ran, so the inbox table does not exist.
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", hubspot_app_secret=SECRET)
    )
    client = TestClient(app)
    body = json.dumps([event(1)])

    response = post(client, body, signed(body))

    app.state.resources.engine.dispose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json()["reason"] == "unavailable"


def test_given_app_when_openapi_read_then_webhook_endpoints_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    for path in (
        "/webhooks/hubspot",
        "/webhooks/salesforce/outbound-message",
        "/webhooks/salesforce",
    ):
        operation = spec["paths"][path]["post"]
        assert operation["summary"]
        assert operation["description"]
        assert {"200", "400", "401", "413"} <= set(operation["responses"])
        assert "500" not in operation["responses"]
        assert "requestBody" in operation


def test_given_our_echo_and_a_persons_edit_of_a_score_when_posted_then_only_the_edit_is_stored(
    client: TestClient, database_url: str
) -> None:
    ours = event(41, propertyName="icp_tier", propertyValue="tier_1", changeSource="INTEGRATION")
    person = event(42, propertyName="icp_tier", propertyValue="tier_3", changeSource="CRM_UI")
    body = json.dumps([ours, person])

    response = post(client, body, signed(body))

    assert response.json() == {"received": 1, "duplicates": 0, "ignored": 1}
    assert [(r.event_id, r.payload) for r in inbox(database_url)] == [("42", person)]
