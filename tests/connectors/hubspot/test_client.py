"""The SDK wrapper on its own: transport failures, construction, secrets, a missing scope,
the rate-limit status, and pacing shared by clients of one token."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from connectors.base import ApiStats
from connectors.errors import MissingScopesError, NetworkError
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import Retrier, RetryPolicy
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox

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


def _client_for(sandbox: RunningSandbox, stats: ApiStats | None = None) -> HubSpotClient:
    retrier = Retrier(policy=RetryPolicy(max_attempts=3), stats=stats or ApiStats())
    return HubSpotClient(sandbox.hubspot_url, sandbox.hubspot_token, retrier=retrier)


def test_given_a_token_without_a_scope_when_calling_then_one_line_missing_scopes_error(
    start_crm_sandbox: SandboxFactory,
) -> None:
    sandbox = start_crm_sandbox(
        companies=3, hubspot_scopes=["crm.objects.companies.read", "crm.schemas.companies.read"]
    )
    client = _client_for(sandbox)
    try:
        with pytest.raises(MissingScopesError) as raised:
            client.create_property("companies", {"name": "p", "type": "string"})
    finally:
        client.close()

    error = raised.value
    assert error.scopes == ("crm.schemas.companies.write",)
    assert error.message.startswith("properties.companies.create: ")
    assert "crm.schemas.companies.write" in error.message
    assert "\n" not in error.message
    assert sandbox.hubspot_token not in error.message
    assert client.stats.calls == 1  # not retried


def test_given_answers_when_read_then_the_client_reports_the_daily_limit_status(
    start_crm_sandbox: SandboxFactory,
) -> None:
    sandbox = start_crm_sandbox(companies=3)
    client = _client_for(sandbox)
    try:
        client.list_page("companies", limit=1, after=None, properties=["name"])
        status = client.rate_limit_status
    finally:
        client.close()

    assert status.daily_max == 625_000
    assert status.daily_remaining == 625_000 - 1
    assert status.burst_max == 190


@pytest.mark.slow  # waits out one real 10-second window
def test_given_threads_with_their_own_clients_on_one_token_when_hammering_then_no_429(
    start_crm_sandbox: SandboxFactory,
) -> None:
    sandbox = start_crm_sandbox(companies=3, rate_limit=20)
    stats = [ApiStats() for _ in range(3)]
    clients = [_client_for(sandbox, s) for s in stats]
    errors: list[BaseException] = []

    def hammer(client: HubSpotClient) -> None:
        try:
            for _ in range(10):
                client.list_page("companies", limit=1, after=None, properties=["name"])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for client in clients:
        client.close()

    assert errors == []
    assert sum(s.calls for s in stats) == 30  # 30 calls against 20 per 10 s: one window waited
    assert sum(s.rate_limited for s in stats) == 0
    assert sandbox.hubspot.stats.rate_limited == 0
    assert sandbox.hubspot.stats.calls("GET /crm/v3/objects/companies") == 30
