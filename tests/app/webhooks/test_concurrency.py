"""The service under load over real HTTP: uvicorn on a loopback port, 500 concurrent deliveries
from an async client, every one answered 200 and stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.app import create_app
from app.settings import Settings
from app.store.engine import make_engine
from app.store.tables import WebhookEvent
from tests.support.service import ServedApp

pytestmark = pytest.mark.slow  # hundreds of concurrent deliveries over HTTP

HUBSPOT_SECRET = "hs-load-secret-51d2"
SALESFORCE_SECRET = "sf-load-secret-a9e0"
ORG_ID = "00D5e0000000001EAA"
DELIVERIES = 500


@pytest.fixture
def server(database_url: str) -> Iterator[ServedApp]:
    settings = Settings(
        database_url=database_url,
        hubspot_app_secret=HUBSPOT_SECRET,
        salesforce_org_id=ORG_ID,
        salesforce_webhook_secret=SALESFORCE_SECRET,
    )
    app = create_app(settings)
    with ServedApp(
        app, log_level="warning", access_log=False, backlog=2048, timeout_graceful_shutdown=2
    ) as running:
        yield running


def hubspot_request(url: str, index: int) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps(
        [
            {
                "eventId": 10_000 + index,
                "subscriptionType": "company.propertyChange",
                "objectId": index,
                "occurredAt": 1_700_000_000_000,
                "propertyName": "industry",
                "propertyValue": "Software",
                "portalId": 33,
                "attemptNumber": 0,
            }
        ]
    ).encode()
    uri = f"{url}/webhooks/hubspot"
    timestamp = str(int(time.time() * 1000))
    digest = hmac.new(
        HUBSPOT_SECRET.encode(), b"POST" + uri.encode() + body + timestamp.encode(), hashlib.sha256
    ).digest()
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
    return "/webhooks/hubspot", body, headers


def outbound_message_request(index: int) -> tuple[str, bytes, dict[str, str]]:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">
  <OrganizationId>{ORG_ID}</OrganizationId><ActionId>04k5e0000000001AAA</ActionId>
  <SessionId xsi:nil="true"/>
  <Notification><Id>04l5e0000{index:09d}</Id>
   <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
    <sf:Id>00Q5e0000{index:09d}</sf:Id><sf:Company>Company {index}</sf:Company>
   </sObject></Notification>
 </notifications></soapenv:Body></soapenv:Envelope>""".encode()
    return "/webhooks/salesforce/outbound-message", body, {"Content-Type": "text/xml"}


def json_request(index: int) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps(
        {
            "events": [
                {
                    "eventId": f"flow-{index}",
                    "objectType": "Account",
                    "recordId": f"0015e0000{index:09d}",
                    "changeType": "updated",
                }
            ]
        }
    ).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(
        SALESFORCE_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-ICP-Sync-Timestamp": timestamp,
        "X-ICP-Sync-Signature": signature,
    }
    return "/webhooks/salesforce", body, headers


async def deliver_all(url: str, count: int) -> list[httpx.Response]:
    requests = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            requests.append(hubspot_request(url, index))
        elif kind == 1:
            requests.append(outbound_message_request(index))
        else:
            requests.append(json_request(index))
    # All in flight at once, on one connection each. Spread over several clients: httpcore's
    # pool scans every connection for every request, which is quadratic at 500 connections and
    # would make the client, not the service, the bottleneck.
    per_client = 25
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url,
                    limits=httpx.Limits(max_connections=per_client),
                    timeout=60,
                )
            )
            for _ in range(-(-count // per_client))
        ]
        return await asyncio.gather(
            *(
                clients[index // per_client].post(path, content=body, headers=headers)
                for index, (path, body, headers) in enumerate(requests)
            )
        )


def test_given_500_concurrent_deliveries_over_http_when_sent_then_all_200_and_all_stored(
    server: ServedApp, database_url: str
) -> None:
    started = time.monotonic()

    responses = asyncio.run(deliver_all(server.url, DELIVERIES))

    elapsed = time.monotonic() - started
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: DELIVERIES}, [r.text for r in responses if r.status_code != 200][:3]
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(WebhookEvent))
            by_source = dict(
                session.execute(
                    select(WebhookEvent.source, func.count()).group_by(WebhookEvent.source)
                ).all()
            )
    finally:
        engine.dispose()
    assert stored == DELIVERIES
    assert by_source == {"hubspot": 167, "salesforce": 333}
    assert elapsed < 20, f"500 deliveries took {elapsed:.1f} s"
    for response in responses:
        assert HUBSPOT_SECRET not in response.text
        assert SALESFORCE_SECRET not in response.text


def test_given_same_delivery_sent_50_times_concurrently_when_sent_then_stored_once(
    server: ServedApp, database_url: str
) -> None:
    path, body, headers = json_request(7)

    async def send() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            return await asyncio.gather(
                *(client.post(path, content=body, headers=headers) for _ in range(50))
            )

    responses = asyncio.run(send())

    assert {response.status_code for response in responses} == {200}
    answers: list[dict[str, Any]] = [response.json() for response in responses]
    assert sum(answer["received"] for answer in answers) == 1
    assert sum(answer["duplicates"] for answer in answers) == 49
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    finally:
        engine.dispose()


def test_given_declared_length_over_1_mib_when_headers_sent_then_413_before_any_body(
    server: ServedApp,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /webhooks/salesforce HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(65_536)
            if not chunk:
                break
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 413 ")
