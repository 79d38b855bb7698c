"""The status table and the error built from a HubSpot error response."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.errors import (
    AuthError,
    ConnectorError,
    MissingScopesError,
    QuotaExhaustedError,
    RateLimitedError,
    RejectedError,
    RetryableError,
    error_class,
    error_from_response,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("status", "policy", "expected"),
    [
        (400, None, RejectedError),
        (404, None, RejectedError),
        (409, None, RejectedError),
        (414, None, RejectedError),
        (401, None, AuthError),
        (403, None, AuthError),
        (408, None, RetryableError),
        (423, None, RetryableError),
        (429, "TEN_SECONDLY_ROLLING", RateLimitedError),
        (429, None, RateLimitedError),
        (429, "DAILY", QuotaExhaustedError),
        (477, None, RetryableError),
        (500, None, RetryableError),
        (502, None, RetryableError),
        (503, None, RetryableError),
        (504, None, RetryableError),
        (524, None, RetryableError),
        (302, None, ConnectorError),
    ],
)
def test_given_a_status_when_classified_then_the_table_picks_the_class(
    status: int, policy: str | None, expected: type[ConnectorError]
) -> None:
    assert error_class(status, policy=policy) is expected


def test_given_a_validation_error_body_when_built_then_category_code_and_property_are_read() -> (
    None
):
    body = json.dumps(
        {
            "status": "error",
            "message": 'Property values were not valid: [{"isValid":false,"message":"tier_9 was not one of the allowed options","error":"INVALID_OPTION","name":"icp_tier"}]',
            "correlationId": "8a3f6c3a",
            "category": "VALIDATION_ERROR",
            "errors": [
                {
                    "message": "tier_9 was not one of the allowed options",
                    "code": "INVALID_OPTION",
                    "context": {"propertyName": ["icp_tier"]},
                }
            ],
        }
    )

    error = error_from_response(400, {}, body, operation="companies.batch_update")

    assert isinstance(error, RejectedError)
    assert error.category == "VALIDATION_ERROR"
    assert error.code == "INVALID_OPTION"
    assert error.property_name == "icp_tier"
    assert error.correlation_id == "8a3f6c3a"
    assert error.message.startswith("companies.batch_update: HTTP 400 VALIDATION_ERROR:")


def test_given_only_the_embedded_json_names_the_property_when_built_then_it_is_found() -> None:
    body = json.dumps(
        {
            "status": "error",
            "category": "VALIDATION_ERROR",
            "message": 'Property values were not valid: [{"isValid":false,"error":"INVALID_INTEGER","name":"icp_fit_score"}]',
        }
    )

    error = error_from_response(400, None, body, operation="op")

    assert isinstance(error, RejectedError)
    assert error.property_name == "icp_fit_score"


def test_given_a_body_that_is_not_json_when_built_then_the_status_phrase_is_used() -> None:
    error = error_from_response(404, {}, b"<html>nope</html>", operation="companies.get")

    assert isinstance(error, RejectedError)
    assert "HTTP 404" in str(error)
    assert "Not Found" in str(error)
    assert "<html>" not in str(error)


def test_given_a_server_echoing_the_token_when_built_then_the_message_is_redacted() -> None:
    token = "pat-na1-secret-0000"
    body = json.dumps({"status": "error", "message": f"bad token {token}"})

    error = error_from_response(
        401,
        {},
        body,
        operation="companies.list",
        redact=lambda text: text.replace(token, "[redacted]"),
    )

    assert isinstance(error, AuthError)
    assert token not in str(error)
    assert "[redacted]" in str(error)


def test_given_a_missing_scopes_body_when_built_then_one_line_naming_the_scope_to_add() -> None:
    body = json.dumps(
        {
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call.",
            "correlationId": "c-1",
            "errors": [
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": ["crm.schemas.companies.write"]},
                }
            ],
            "links": {"scopes": "https://developers.hubspot.com/scopes"},
            "category": "MISSING_SCOPES",
        }
    )

    error = error_from_response(403, {}, body, operation="properties.companies.create")

    assert isinstance(error, MissingScopesError)
    assert isinstance(error, AuthError)  # never retried
    assert error.scopes == ("crm.schemas.companies.write",)
    assert "\n" not in error.message
    assert error.message.startswith("properties.companies.create: ")
    assert "the scope crm.schemas.companies.write" in error.message
    assert "add it to the app's scopes" in error.message
    assert (error.status, error.correlation_id) == (403, "c-1")


def test_given_missing_scopes_with_alternatives_or_none_when_built_then_the_message_says_so() -> (
    None
):
    several = {"category": "MISSING_SCOPES", "context": {"requiredScopes": ["a.read", "a.write"]}}
    unnamed = {"category": "MISSING_SCOPES", "message": "missing scopes"}

    first = error_from_response(403, {}, json.dumps(several), operation="op")
    second = error_from_response(403, {}, json.dumps(unnamed), operation="op")

    assert isinstance(first, MissingScopesError)
    assert "one of the scopes a.read, a.write" in first.message
    assert isinstance(second, MissingScopesError)
    assert second.scopes == ()
    assert "a scope it has not been granted" in second.message


def test_given_a_429_with_headers_when_built_then_window_hints_are_kept() -> None:
    error = error_from_response(
        429,
        {
            "x-hubspot-ratelimit-remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        },
        json.dumps({"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}),
        operation="op",
    )

    assert isinstance(error, RateLimitedError)
    assert (error.window_remaining, error.window_ms, error.retry_after) == (0, 10000, None)


def test_given_retry_after_forms_when_parsed_then_seconds_dates_and_garbage_are_handled() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("nan", now=now) is None
    assert parse_retry_after(None) is None


def test_given_a_long_message_when_built_then_it_is_cut_short() -> None:
    body = json.dumps({"message": "x" * 10_000, "category": "VALIDATION_ERROR"})

    error = error_from_response(400, {}, body, operation="op")

    assert len(str(error)) <= 500
