"""The SDK wrapper on its own: transport failures, construction, secrets."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from connectors.base import ApiStats
from connectors.errors import NetworkError
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import Retrier, RetryPolicy

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was just released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def client(closed_port_url: str) -> Iterator[HubSpotClient]:
    sleeps: list[float] = []
    retrier = Retrier(policy=RetryPolicy(max_attempts=3), stats=ApiStats(), sleep=sleeps.append)
    made = HubSpotClient(closed_port_url, TOKEN, retrier=retrier, timeout=(1.0, 1.0))
    yield made
    made.close()


def test_given_nothing_listening_when_called_then_network_error_after_bounded_retries(
    client: HubSpotClient,
) -> None:
    with pytest.raises(NetworkError) as raised:
        client.list_page("companies", limit=10, after=None, properties=["name"])

    assert client.stats.calls == 3  # urllib3 retried nothing itself: every attempt is ours
    assert client.stats.retries == 2
    assert raised.value.__cause__ is None
    assert "companies.list" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_given_a_connector_when_represented_then_the_token_is_not_shown(
    closed_port_url: str,
) -> None:
    with HubSpotConnector(closed_port_url, TOKEN) as connector:
        assert TOKEN not in repr(connector)
        assert closed_port_url in repr(connector)


def test_given_an_empty_token_when_building_then_refused(closed_port_url: str) -> None:
    with pytest.raises(ValueError, match="token"):
        HubSpotClient(closed_port_url, "", retrier=Retrier())


def test_given_too_many_properties_for_a_search_body_when_building_then_refused(
    closed_port_url: str,
) -> None:
    extra = [f"custom_property_number_{n}" for n in range(200)]

    with pytest.raises(ValueError, match="3000"):
        HubSpotConnector(closed_port_url, TOKEN, extra_properties=extra)
