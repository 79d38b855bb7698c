"""Bodies over 1 MiB are refused with 413 on every webhook endpoint, whether or not the
request says its length up front (chunked)."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from app.api.app import create_app
from app.settings import Settings
from app.webhooks.body import MAX_BODY_BYTES, read_body
from app.webhooks.errors import WebhookError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ENDPOINTS = ["/webhooks/hubspot", "/webhooks/salesforce/outbound-message", "/webhooks/salesforce"]
OVER = MAX_BODY_BYTES + 1


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        hubspot_app_secret="hs-secret",
        salesforce_org_id="00D5e0000000001EAA",
        salesforce_webhook_secret="sf-secret",
    )
    with TestClient(create_app(settings)) as started:
        yield started


@pytest.mark.parametrize("path", ENDPOINTS)
def test_given_body_over_1_mib_with_content_length_when_posted_then_413(
    client: TestClient, path: str
) -> None:
    response = client.post(path, content=b"[" + b" " * OVER + b"]")

    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.text


@pytest.mark.parametrize("path", ENDPOINTS)
def test_given_chunked_body_over_1_mib_when_posted_then_413(client: TestClient, path: str) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        for _ in range(64):
            yield b" " * 65_536

    response = client.post(path, content=chunks())

    assert response.status_code == 413
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers


@pytest.mark.parametrize("path", ENDPOINTS)
def test_given_body_of_exactly_1_mib_when_posted_then_not_413(
    client: TestClient, path: str
) -> None:
    response = client.post(path, content=b" " * MAX_BODY_BYTES)

    assert response.status_code in (400, 401)


async def _chunks(count: int, size: int, read: list[int]) -> AsyncIterator[bytes]:
    for _ in range(count):
        read.append(size)
        yield b"x" * size


def test_given_endless_stream_when_read_then_reading_stops_past_the_limit() -> None:
    read: list[int] = []

    with pytest.raises(WebhookError) as raised:
        asyncio.run(read_body(_chunks(10_000, 65_536, read), None))

    assert raised.value.status == 413
    assert sum(read) <= MAX_BODY_BYTES + 65_536


def test_given_content_length_over_limit_when_read_then_413_before_reading() -> None:
    read: list[int] = []

    with pytest.raises(WebhookError) as raised:
        asyncio.run(read_body(_chunks(1, 10, read), str(OVER)))

    assert (raised.value.status, read) == (413, [])


def test_given_content_length_not_a_number_when_read_then_400() -> None:
    with pytest.raises(WebhookError) as raised:
        asyncio.run(read_body(_chunks(1, 10, []), "12abc"))

    assert raised.value.status == 400


def test_given_body_within_limit_when_read_then_returned_whole() -> None:
    read: list[int] = []

    body = asyncio.run(read_body(_chunks(3, 1000, read), "3000"))

    assert body == b"x" * 3000
