"""Fixtures for the sandbox tests: one seeded HubSpot sandbox on loopback for the session, and
the official client pointed at it (only the host differs from a real portal)."""

from __future__ import annotations

from datetime import UTC, datetime

import hubspot
import pytest

from crm_sandbox import RunningSandbox
from crm_sandbox.pytest_plugin import SandboxFactory

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def sandbox(start_shared_crm_sandbox: SandboxFactory) -> RunningSandbox:
    # Search limit relaxed: these tests are about the API's answers, through the bare client,
    # which does not pace its searches; the limit has its own tests (hubspot/test_search.py).
    return start_shared_crm_sandbox(
        seed=11, companies=250, as_of=AS_OF, search_rate_limit=None, contacts_per_company=1.5
    )


@pytest.fixture(scope="session")
def client(sandbox: RunningSandbox) -> hubspot.Client:
    return hubspot.Client.create(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)
