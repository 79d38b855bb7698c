"""Fixtures for the connector tests: real loopback sandboxes (HubSpot over HTTP, Salesforce over
HTTPS) and connectors on them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from connectors.hubspot.connector import HubSpotConnector
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import FLAGS, TIERS, ConnectorFactory, RecordingSleep
from tests.support.salesforce import AS_OF, SF_FLAGS, SF_TIERS, OrgFactory, SalesforceFactory


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    # Every default on: the search limit (the connector paces itself in real time) and the
    # search lag (tests that change records and then search wait for the index).
    return start_crm_sandbox(seed=7, companies=200)


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
            "sleep": time.sleep,  # real waits: pacing keeps the real search limit
        }
        options.update(overrides)
        if isinstance(options["sleep"], RecordingSleep):
            options.setdefault("clock", options["sleep"].clock)
        url = options.pop("base_url", sandbox.hubspot_url)
        token = options.pop("token", sandbox.hubspot_token)
        connector = HubSpotConnector(url, token, **options)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


# -- Salesforce --------------------------------------------------------------------------------


@pytest.fixture
def start_org(start_crm_sandbox: SandboxFactory) -> OrgFactory:
    """Starts small Salesforce sandbox orgs alone (stopped at teardown); keyword arguments go
    to `start_salesforce_sandbox`."""

    def start(**overrides: Any) -> RunningSalesforce:
        options: dict[str, Any] = {"seed": 5, "companies": 30, "as_of": AS_OF}
        options.update(overrides)
        return start_crm_sandbox.salesforce_only(**options)

    return start


@pytest.fixture(scope="module")
def shared_org(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSalesforce]:
    """One org for a module's tests that change nothing in it (saves a start and stop each)."""
    with start_shared_crm_sandbox.salesforce_only(
        seed=5, companies=30, as_of=AS_OF, page_size=10
    ) as running:
        yield running


@pytest.fixture
def org(start_org: OrgFactory) -> RunningSalesforce:
    """A seeded org of 30 companies with the ICP fields set up, 10 records a query page."""
    return start_org(page_size=10)


@pytest.fixture
def connect() -> Iterator[SalesforceFactory]:
    """Builds connectors on an org (closed at teardown); keyword arguments override."""
    made: list[SalesforceConnector] = []

    def build(org: RunningSalesforce, **overrides: Any) -> SalesforceConnector:
        options: dict[str, Any] = {
            "client_id": org.client_id,
            "client_secret": org.client_secret,
            "ca_bundle": org.ca_bundle,
            "tiers": SF_TIERS,
            "flags": SF_FLAGS,
            "overlap": timedelta(seconds=1),
            "retry": RetryPolicy(max_attempts=4, max_elapsed=60),
            "sleep": RecordingSleep(),
        }
        options.update(overrides)
        connector = SalesforceConnector(options.pop("instance_url", org.url), **options)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()
