"""`HubSpotProbe` against the HubSpot sandbox: the property list with the daily-limit headers,
token info (None where the endpoint is missing), and HubSpot's errors as connector errors."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError
from connectors.hubspot.probe import HubSpotProbe
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=2, companies=2)


def test_given_a_sandbox_then_the_company_properties_come_with_the_daily_budget(
    sandbox: RunningSandbox,
) -> None:
    sandbox.hubspot_limiter.daily = 500
    probe = HubSpotProbe(sandbox.hubspot_url, sandbox.hubspot_token)
    try:
        properties = probe.company_properties()
    finally:
        probe.close()

    names = {definition["name"] for definition in properties.definitions}
    assert {"name", "domain", "industry", "icp_buying_signals"} <= names
    assert properties.limits.daily_max == 500
    assert properties.limits.daily_remaining is not None
    assert properties.limits.daily_remaining < 500


def test_given_a_refused_token_then_a_401_auth_error_without_the_token(
    sandbox: RunningSandbox,
) -> None:
    token = "pat-na1-99999999-8888-7777-6666-555555555555"
    probe = HubSpotProbe(sandbox.hubspot_url, token)
    try:
        with pytest.raises(AuthError) as raised:
            probe.company_properties()
    finally:
        probe.close()

    assert raised.value.status == 401
    assert token not in str(raised.value)
    assert str(raised.value).startswith("properties.companies.list: HTTP 401")
