"""Authentication, the rolling 10-second and daily rate limits, injected faults, and the
per-route request counts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import hubspot
import pytest
from hubspot.crm.companies import ApiException
from hubspot.crm.companies.exceptions import UnauthorizedException
from hubspot.crm.deals.exceptions import ServiceException
from urllib3 import Retry

from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.errors import HubSpotApiError
from crm_sandbox.hubspot.limits import RateLimiter
from crm_sandbox.pytest_plugin import SandboxFactory


@pytest.fixture(scope="module")
def limited(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    with start_shared_crm_sandbox(seed=3, companies=30, rate_limit=5) as running:
        yield running


@pytest.fixture
def limited_client(limited: RunningSandbox) -> hubspot.Client:
    limited.hubspot_limiter.reset()
    limited.hubspot_limiter.retry_after = True
    limited.hubspot_faults.clear()
    # No transparent retries: urllib3 would otherwise retry GETs answered 429 + Retry-After.
    return hubspot.Client.create(
        access_token=limited.hubspot_token, host=limited.hubspot_url, retry=Retry(0)
    )


@pytest.mark.parametrize("token", [None, "pat-na1-wrong"])
def test_given_no_or_a_wrong_token_when_calling_then_401_invalid_authentication(
    sandbox: RunningSandbox, token: str | None
) -> None:
    client = hubspot.Client.create(access_token=token, host=sandbox.hubspot_url)

    with pytest.raises(UnauthorizedException) as raised:
        client.crm.companies.basic_api.get_page(limit=1)

    body = json.loads(raised.value.body)
    assert raised.value.status == 401
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"]
    assert body["message"]


def test_given_a_limit_of_5_when_the_6th_call_comes_within_10_s_then_429_with_the_headers(
    limited_client: hubspot.Client,
) -> None:
    api = limited_client.crm.companies.basic_api
    remaining = []
    for _ in range(5):
        _, status, headers = api.get_page_with_http_info(limit=1)
        assert status == 200
        assert headers["X-HubSpot-RateLimit-Max"] == "5"
        assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        remaining.append(int(headers["X-HubSpot-RateLimit-Remaining"]))

    with pytest.raises(ApiException) as raised:
        api.get_page(limit=1)

    assert remaining == [4, 3, 2, 1, 0]
    assert raised.value.status == 429
    body = json.loads(raised.value.body)
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["correlationId"]
    assert body["requestId"]
    headers = raised.value.headers
    assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert headers["X-HubSpot-RateLimit-Max"] == "5"
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 625_000 - 5
    assert 1 <= int(headers["Retry-After"]) <= 10


def test_given_an_error_answer_when_served_then_it_carries_the_rate_limit_headers_too(
    limited: RunningSandbox, limited_client: hubspot.Client
) -> None:
    with pytest.raises(ApiException) as raised:
        limited_client.crm.companies.basic_api.get_by_id("999999999")

    assert raised.value.status == 404
    headers = raised.value.headers
    assert headers["X-HubSpot-RateLimit-Max"] == "5"
    assert headers["X-HubSpot-RateLimit-Remaining"] == "4"  # an error is a call like any
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 625_000 - 1


def test_given_retry_after_switched_off_when_limited_then_no_retry_after_header(
    limited: RunningSandbox, limited_client: hubspot.Client
) -> None:
    limited.hubspot_limiter.retry_after = False
    for _ in range(5):
        limited_client.crm.companies.basic_api.get_page(limit=1)

    with pytest.raises(ApiException) as raised:
        limited_client.crm.companies.basic_api.get_page(limit=1)

    assert raised.value.status == 429
    assert "Retry-After" not in raised.value.headers


def test_given_a_burst_of_injected_429s_when_calling_then_exactly_that_many_fail(
    limited: RunningSandbox, limited_client: hubspot.Client
) -> None:
    limited.hubspot_faults.fail_next(2, status=429, retry_after=3)
    before = limited.hubspot.stats.snapshot()["faults_injected"]
    assert isinstance(before, int)
    api = limited_client.crm.companies.basic_api

    refused: list[ApiException] = []
    for _ in range(2):
        with pytest.raises(ApiException) as raised:
            api.get_page(limit=1)
        refused.append(raised.value)
    after = api.get_page(limit=1)

    assert [error.status for error in refused] == [429, 429]
    assert [error.headers["Retry-After"] for error in refused] == ["3", "3"]
    assert json.loads(refused[0].body)["policyName"] == "TEN_SECONDLY_ROLLING"
    assert len(after.results) == 1
    assert limited.hubspot.stats.snapshot()["faults_injected"] == before + 2


def test_given_an_injected_503_on_one_path_when_calling_then_only_that_path_fails(
    limited: RunningSandbox, limited_client: hubspot.Client
) -> None:
    limited.hubspot_faults.fail_next(1, status=503, path="/objects/deals")

    limited_client.crm.companies.basic_api.get_page(limit=1)  # not the deals path
    with pytest.raises(ServiceException) as raised:
        limited_client.crm.deals.basic_api.get_page(limit=1)
    limited_client.crm.deals.basic_api.get_page(limit=1)

    assert raised.value.status == 503
    assert json.loads(raised.value.body)["status"] == "error"
    assert limited.hubspot_faults.pending == 0


def test_given_requests_when_served_then_stats_count_them_per_route_and_status(
    limited: RunningSandbox, limited_client: hubspot.Client
) -> None:
    stats = limited.hubspot.stats
    stats.reset()

    limited_client.crm.companies.basic_api.get_page(limit=1)
    limited_client.crm.companies.basic_api.get_page(limit=1)
    limited_client.crm.deals.basic_api.get_page(limit=1)

    assert stats.calls("GET /crm/v3/objects/companies") == 2
    assert stats.calls("/objects/deals") == 1
    assert stats.total == 3
    assert stats.snapshot()["by_status"] == {"200": 3}


def _clock(start: float = 1_000.0) -> tuple[RateLimiter, list[float]]:
    now = [start]
    return RateLimiter(burst=3, daily=5, clock=lambda: now[0], today=lambda: "d1"), now


def test_given_a_full_window_when_10_seconds_pass_then_requests_are_admitted_again() -> None:
    limiter, now = _clock()
    for _ in range(3):
        limiter.admit("t", search=False)
        now[0] += 1.0
    with pytest.raises(HubSpotApiError) as raised:
        limiter.admit("t", search=False)

    assert raised.value.headers["Retry-After"] == "7"  # the first call (at +0 s) leaves at +10 s
    now[0] = 1_010.01
    assert limiter.admit("t", search=False)["X-HubSpot-RateLimit-Remaining"] == "0"
    assert limiter.admit("other-token", search=False)["X-HubSpot-RateLimit-Remaining"] == "2"


def test_given_the_daily_budget_spent_when_calling_then_429_daily_until_the_day_changes() -> None:
    limiter, now = _clock()
    for _ in range(5):
        limiter.admit("t", search=False)
        now[0] += 20.0

    with pytest.raises(HubSpotApiError) as raised:
        limiter.admit("t", search=False)

    assert raised.value.status == 429
    assert raised.value.body("c")["policyName"] == "DAILY"
    assert raised.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
