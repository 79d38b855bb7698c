"""Fixtures for the HubSpot connector tests: a real loopback sandbox and connectors on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hubspot_fixtures import FLAGS, TIERS, ConnectorFactory, RecordingSleep

from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import RetryPolicy
from connectors.sandbox.server import RunningSandbox, start_sandbox


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    # No search limit here: tests that record waits instead of sleeping would trip it; its
    # own test turns it back on.
    with start_sandbox(seed=7, companies=200, search_rate_limit=None) as running:
        yield running


@pytest.fixture
def make_connector(sandbox: RunningSandbox) -> Iterator[ConnectorFactory]:
    """Builds connectors on the sandbox (closed at teardown); keyword arguments override."""
    made: list[HubSpotConnector] = []

    def build(**overrides: Any) -> HubSpotConnector:
        options: dict[str, Any] = {
            "tiers": TIERS,
            "flags": FLAGS,
            "overlap": timedelta(seconds=1),
            "retry": RetryPolicy(max_attempts=8, max_elapsed=120),
            "sleep": RecordingSleep(),
        }
        options.update(overrides)
        url = options.pop("base_url", sandbox.hubspot_url)
        token = options.pop("token", sandbox.hubspot_token)
        connector = HubSpotConnector(url, token, **options)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()
