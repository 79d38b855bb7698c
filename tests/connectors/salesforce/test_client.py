"""Salesforce responses as connector errors: the daily limit, server errors, refused requests,
and the usage header kept for summaries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.errors import (
    AuthError,
    QuotaExhaustedError,
    RateLimitedError,
    RejectedError,
    RetryableError,
)
from connectors.retry import Retrier, RetryPolicy
from connectors.salesforce.auth import ClientCredentials
from connectors.salesforce.client import SalesforceClient
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.hubspot import RecordingSleep
from tests.support.salesforce import SalesforceFactory, records_of

CONCURRENT = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."


@pytest.fixture
def client(shared_org: RunningSalesforce) -> Iterator[SalesforceClient]:
    made = SalesforceClient(
        shared_org.url,
        ClientCredentials(shared_org.client_id, shared_org.client_secret),
        retrier=Retrier(policy=RetryPolicy(max_attempts=3), sleep=RecordingSleep()),
        ca_bundle=shared_org.ca_bundle,
    )
    yield made
    made.close()


def test_given_the_daily_limit_is_spent_when_pulling_then_quota_exhausted_with_usage_and_no_retry(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    org.usage.used = org.usage.daily_limit
    connector = connect(org)

    with pytest.raises(QuotaExhaustedError) as caught:
        list(connector.pull_accounts(None))

    message = str(caught.value)
    assert "daily API request limit is exhausted" in message
    assert f"api-usage={org.usage.daily_limit}/{org.usage.daily_limit}" in message
    assert "resumes from the stored cursor" in message
    assert caught.value.category == "REQUEST_LIMIT_EXCEEDED"
    assert connector.stats.calls == 2  # the token, then one refused call: never retried
    assert connector.stats.retries == 0
    assert connector.stats.rate_limited == 1
    assert connector.api_usage is not None
    assert connector.api_usage.used == org.usage.daily_limit


def test_given_server_errors_when_pulling_then_retried_with_backoff_and_the_pull_completes(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    org.faults.fail_next(2, status=503, path="/query")
    sleep = RecordingSleep()
    connector = connect(org, sleep=sleep)

    pages = list(connector.pull_accounts(None))

    assert len(records_of(pages)) == len(org.salesforce.snapshot("Account"))
    assert connector.stats.retries == 2
    assert len(sleep.waits) == 2
    # token, describe, signpost, 2 failures, pages
    assert connector.stats.calls == 3 + 2 + len(pages)


def test_given_server_errors_outlasting_the_policy_when_pulling_then_retryable_error(
    org: RunningSalesforce, connect: SalesforceFactory
) -> None:
    org.faults.fail_next(10, status=500)
    connector = connect(org, retry=RetryPolicy(max_attempts=3))

    with pytest.raises(RetryableError, match="HTTP 500 UNKNOWN_EXCEPTION"):
        list(connector.pull_accounts(None))

    assert connector.stats.retries == 2


def test_given_a_malformed_query_when_sent_then_rejected_with_salesforce_code_and_reason(
    client: SalesforceClient,
) -> None:
    with pytest.raises(RejectedError) as caught:
        client.query("SELECT Id FROM Account WHERE")

    assert caught.value.code == "MALFORMED_QUERY"
    assert caught.value.status == 400
    assert "query: HTTP 400 MALFORMED_QUERY" in str(caught.value)
    assert client.stats.retries == 0


def test_given_an_unknown_field_when_queried_then_rejected_with_the_last_line_of_the_reason(
    client: SalesforceClient,
) -> None:
    with pytest.raises(RejectedError) as caught:
        client.query("SELECT Id, Nope__c FROM Account")

    assert caught.value.code == "INVALID_FIELD"
    assert "No such column 'Nope__c' on entity 'Account'" in str(caught.value)
    assert "ERROR at Row" not in str(caught.value)


def test_given_an_unknown_object_when_described_then_rejected_not_found(
    client: SalesforceClient,
) -> None:
    with pytest.raises(RejectedError) as caught:
        client.describe("Nope__c")

    assert caught.value.status == 404
    assert caught.value.code == "NOT_FOUND"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, [{"errorCode": "INSUFFICIENT_ACCESS", "message": "no"}], AuthError),
        (403, [{"errorCode": "API_DISABLED_FOR_ORG", "message": "API is disabled"}], AuthError),
        (403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": CONCURRENT}], RateLimitedError),
        (400, [{"errorCode": "UNABLE_TO_LOCK_ROW", "message": "unable to obtain"}], RetryableError),
        (
            503,
            [{"errorCode": "SERVER_UNAVAILABLE", "message": "Server unavailable"}],
            RetryableError,
        ),
        (502, "<html>Bad gateway</html>", RetryableError),
        (404, [{"errorCode": "NOT_FOUND", "message": "gone"}], RejectedError),
        (300, [{"errorCode": "MULTIPLE_CHOICES", "message": "many"}], RejectedError),
    ],
)
def test_given_an_error_response_when_translated_then_the_right_error_class(
    client: SalesforceClient, status: int, body: object, expected: type[Exception]
) -> None:
    error = client.translate("op", status, body)

    assert type(error) is expected
    assert str(error).startswith(f"op: HTTP {status}")


def test_given_a_token_in_an_error_body_when_translated_then_it_is_redacted(
    shared_org: RunningSalesforce, client: SalesforceClient
) -> None:
    client.describe("Account")  # gets a token
    token = list(shared_org.auth.tokens)[-1]

    error = client.translate("op", 400, [{"errorCode": "X", "message": f"bad token {token}"}])

    assert token not in str(error)
    assert "[redacted]" in str(error)
