"""POST /webhooks/salesforce: shared secret or HMAC, our JSON contract, inbox writes."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import warnings
from collections.abc import Iterator
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

PATH = "/webhooks/salesforce"
SECRET = "sf-flow-secret-3b9d1a77e0"


def event(event_id: str = "evt-1", **fields: Any) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "objectType": "Lead",
        "recordId": "00Q5e00000XyZaBEAV",
        "changeType": "created",
        **fields,
    }


def apex_signature(secret: str, timestamp: str, body: str) -> str:
    """What `Crypto.generateMac('hmacSHA256', Blob.valueOf(ts + '.' + body), key)` gives."""
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": "application/json",
        "X-ICP-Sync-Timestamp": stamp,
        "X-ICP-Sync-Signature": apex_signature(secret, stamp, body),
    }


def with_secret(secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-ICP-Sync-Secret": secret}


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
    app = create_app(Settings(database_url=database_url, salesforce_webhook_secret=SECRET))
    with TestClient(app) as started:
        yield started


def post(client: TestClient, body: str, headers: dict[str, str]) -> Any:
    response = client.post(PATH, content=body.encode(), headers=headers)
    assert SECRET not in response.text
    return response


def test_given_shared_secret_header_when_posted_then_stored(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps(
        {
            "events": [
                event("evt-1"),
                event(
                    "evt-2",
                    objectType="Account",
                    recordId="0015e00000AbCdEAAZ",
                    changeType="updated",
                    occurredAt="2026-01-05T10:00:00Z",
                ),
                event(
                    "evt-3",
                    objectType="Opportunity",
                    recordId="0065e00000AbCdE",
                    changeType="deleted",
                ),
            ]
        }
    )

    response = post(client, body, with_secret())

    assert (response.status_code, response.json()) == (
        200,
        {"received": 3, "duplicates": 0, "ignored": 0},
    )
    rows = inbox(database_url)
    assert [(r.source, r.event_id, r.event_type, r.object_type, r.object_id) for r in rows] == [
        ("salesforce", "evt-1", "created", "lead", "00Q5e00000XyZaBEAV"),
        ("salesforce", "evt-2", "updated", "account", "0015e00000AbCdEAAZ"),
        ("salesforce", "evt-3", "deleted", "opportunity", "0065e00000AbCdE"),
    ]
    assert rows[1].payload["occurredAt"] == "2026-01-05T10:00:00Z"


def test_given_hmac_signature_when_posted_then_stored(
    client: TestClient, database_url: str
) -> None:
    body = json.dumps(event("evt-9"))  # a single event object, not wrapped in "events"

    response = post(client, body, signed(body))

    assert (response.status_code, response.json()) == (
        200,
        {"received": 1, "duplicates": 0, "ignored": 0},
    )
    assert [r.event_id for r in inbox(database_url)] == ["evt-9"]


def test_given_upper_case_hex_signature_when_posted_then_accepted(client: TestClient) -> None:
    body = json.dumps(event())
    headers = signed(body)
    headers["X-ICP-Sync-Signature"] = headers["X-ICP-Sync-Signature"].upper()

    assert post(client, body, headers).status_code == 200


def test_given_redelivery_when_posted_then_duplicates_counted(client: TestClient) -> None:
    body = json.dumps({"events": [event("a"), event("b")]})

    post(client, body, with_secret())
    response = post(client, body, with_secret())

    assert response.json() == {"received": 0, "duplicates": 2, "ignored": 0}


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("wrong shared secret", lambda body: with_secret("not-it")),
        ("empty shared secret", lambda body: with_secret("")),
        ("signed with another secret", lambda body: signed(body, secret="not-it")),
        ("signature of another body", lambda body: signed(body + " ")),
        ("no credentials", lambda body: {"Content-Type": "application/json"}),
        (
            "signature without timestamp",
            lambda body: {"X-ICP-Sync-Signature": signed(body)["X-ICP-Sync-Signature"]},
        ),
        (
            "good signature, wrong secret",
            lambda body: {**signed(body), "X-ICP-Sync-Secret": "not-it"},
        ),
        (
            "non-numeric timestamp",
            lambda body: {**signed(body), "X-ICP-Sync-Timestamp": "yesterday"},
        ),
    ],
)
def test_given_wrong_credentials_when_posted_then_401(
    client: TestClient, database_url: str, case: str, headers: Any
) -> None:
    body = json.dumps(event())

    response = post(client, body, headers(body))

    assert response.status_code == 401, case
    assert response.json()["reason"] == "signature"
    assert inbox(database_url) == []


def test_given_signature_six_minutes_old_when_posted_then_401_stale(client: TestClient) -> None:
    body = json.dumps(event())

    response = post(client, body, signed(body, timestamp=int(time.time()) - 360))

    assert response.status_code == 401
    assert response.json()["reason"] == "stale"
    assert "stale" in response.json()["detail"]


def test_given_secret_not_configured_when_posted_then_401_saying_so(database_url: str) -> None:
    body = json.dumps(event())
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = post(client, body, with_secret())

    assert response.status_code == 401
    assert "not configured" in response.json()["detail"]
    assert "ICP_SYNC_SALESFORCE_WEBHOOK_SECRET" in response.json()["detail"]


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        (
            {
                "events": [
                    event("a"),
                    {
                        "objectType": "Lead",
                        "recordId": "00Q5e00000XyZaBEAV",
                        "changeType": "created",
                    },
                ]
            },
            "events[1].eventId: required but missing",
        ),
        (
            {"objectType": "Lead", "recordId": "00Q5e00000XyZaBEAV", "changeType": "created"},
            "eventId: required but missing",
        ),
        (event(eventId=12), "eventId: expected a string, got 12"),
        (event(eventId=""), "eventId: expected an id, got ''"),
        (event(eventId="x" * 129), "eventId: longer than 128 characters"),
        (
            event(objectType="Contact"),
            "objectType: expected Lead, Account or Opportunity, got 'Contact'",
        ),
        (
            event(recordId="00Q"),
            "recordId: expected a 15- or 18-character Salesforce id, got '00Q'",
        ),
        (
            event(changeType="merged"),
            "changeType: expected one of created, updated, deleted, got 'merged'",
        ),
        (
            event(occurredAt="2026-01-05 10:00"),
            "occurredAt: expected a date-time with a time zone (e.g. Z), got '2026-01-05 10:00'",
        ),
        ({"events": {"a": 1}}, "events: expected a list of events, got an object"),
        (
            {"events": [event(str(i)) for i in range(101)]},
            "events: 101 events, at most 100 per request",
        ),
        ([event()], "body: expected an object, got a list"),
    ],
)
def test_given_malformed_body_when_posted_then_400_naming_it(
    client: TestClient, database_url: str, document: Any, detail: str
) -> None:
    body = json.dumps(document)

    response = post(client, body, with_secret())

    assert (response.status_code, response.json()) == (
        400,
        {"detail": detail, "reason": "malformed"},
    )
    assert inbox(database_url) == []
