"""The retry policy, with an injected sleep and clock: nothing here really waits."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

import pytest

from connectors.base import ApiStats
from connectors.errors import (
    AuthError,
    QuotaExhaustedError,
    RateLimitedError,
    RejectedError,
    RetryableError,
    error_from_response,
)
from connectors.retry import Retrier, RetryPolicy


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class Failing:
    """A call that raises each error in turn, then returns `result`; counts its calls."""

    def __init__(self, errors: Iterable[BaseException], result: str) -> None:
        self.pending = list(errors)
        self.result = result
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        if self.pending:
            raise self.pending.pop(0)
        return self.result


def failing(errors: Iterable[BaseException], result: str = "ok") -> Failing:
    return Failing(errors, result)


def retrier(time: FakeTime, policy: RetryPolicy | None = None, rand: float = 0.0) -> Retrier:
    return Retrier(
        policy=policy or RetryPolicy(),
        stats=ApiStats(),
        sleep=time.sleep,
        clock=time.clock,
        rand=lambda: rand,
    )


def rate_limited(**headers: str) -> RateLimitedError:
    error = error_from_response(
        429,
        {k.replace("_", "-"): v for k, v in headers.items()},
        json.dumps(
            {"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"}
        ),
        operation="companies.list",
    )
    assert isinstance(error, RateLimitedError)
    return error


def test_given_retry_after_when_rate_limited_then_waits_exactly_that_long() -> None:
    time = FakeTime()
    run = retrier(time)
    call = failing([rate_limited(Retry_After="3"), rate_limited(Retry_After="1.5")])

    assert run.call("companies.list", call) == "ok"

    assert time.sleeps == [3.0, 1.5]
    assert run.stats.retries == 2
    assert run.stats.rate_limited == 2


def test_given_remaining_zero_without_retry_after_when_rate_limited_then_waits_out_the_window() -> (
    None
):
    time = FakeTime()
    run = retrier(time)
    error = rate_limited(
        **{
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    )

    run.call("companies.list", failing([error]))

    assert time.sleeps == [10.0]


def test_given_no_hint_when_failing_repeatedly_then_backs_off_exponentially_with_jitter() -> None:
    policy = RetryPolicy(max_attempts=6, backoff_initial=0.5, backoff_max=30)
    low, high = FakeTime(), FakeTime()
    errors = [RetryableError("HTTP 503", status=503) for _ in range(5)]

    retrier(low, policy, rand=0.0).call("op", failing(errors))
    retrier(high, policy, rand=0.999999).call("op", failing(errors))

    assert low.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]  # half of each ceiling at least…
    assert high.sleeps == pytest.approx([0.5, 1.0, 2.0, 4.0, 8.0])  # …and never above it


def test_given_a_backoff_cap_when_failing_long_then_waits_never_exceed_it() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=10, backoff_initial=1, backoff_max=4, max_elapsed=1000)

    retrier(time, policy, rand=0.999999).call(
        "op", failing([RetryableError("x", status=502) for _ in range(9)])
    )

    assert max(time.sleeps) <= 4


def test_given_a_persistent_failure_when_attempts_run_out_then_the_last_error_is_raised() -> None:
    time = FakeTime()
    run = retrier(time, RetryPolicy(max_attempts=4))
    call = failing([RetryableError(f"HTTP 502 #{n}", status=502) for n in range(10)])

    with pytest.raises(RetryableError, match="#3"):
        run.call("op", call)

    assert call.count == 4
    assert len(time.sleeps) == 3
    assert run.stats.retries == 3


def test_given_a_time_budget_when_the_next_wait_would_pass_it_then_gives_up_without_sleeping() -> (
    None
):
    time = FakeTime()
    run = retrier(time, RetryPolicy(max_attempts=100, max_elapsed=120))
    call = failing([rate_limited(Retry_After="50") for _ in range(10)])

    with pytest.raises(RateLimitedError):
        run.call("op", call)

    assert time.sleeps == [50.0, 50.0]  # a third wait would end at 150 s > 120 s
    assert call.count == 3


def test_given_a_retry_after_beyond_the_budget_when_rate_limited_then_fails_fast() -> None:
    time = FakeTime()
    run = retrier(time, RetryPolicy(max_elapsed=60))

    with pytest.raises(RateLimitedError):
        run.call("op", failing([rate_limited(Retry_After="3600")]))

    assert time.sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        RejectedError("HTTP 400", status=400),
        RejectedError("HTTP 404", status=404),
        AuthError("HTTP 401", status=401),
        AuthError("HTTP 403", status=403),
    ],
    ids=["400", "404", "401", "403"],
)
def test_given_a_client_error_when_called_then_never_retried(error: Exception) -> None:
    time = FakeTime()
    run = retrier(time)
    call = failing([error])

    with pytest.raises(type(error)):
        run.call("op", call)

    assert call.count == 1
    assert time.sleeps == []
    assert run.stats.retries == 0


def test_given_the_daily_quota_is_spent_when_called_then_raises_at_once_and_counts_the_429() -> (
    None
):
    time = FakeTime()
    run = retrier(time)
    daily = error_from_response(
        429,
        {"Retry-After": "1"},
        json.dumps({"status": "error", "errorType": "RATE_LIMIT", "policyName": "DAILY"}),
        operation="companies.batch_update",
    )
    call = failing([daily])

    with pytest.raises(QuotaExhaustedError):
        run.call("op", call)

    assert not isinstance(daily, RetryableError)
    assert call.count == 1
    assert time.sleeps == []
    assert run.stats.rate_limited == 1


def test_given_a_423_without_retry_after_when_retried_then_waits_at_least_two_seconds() -> None:
    time = FakeTime()
    locked = error_from_response(423, {}, b"", operation="companies.batch_update")

    retrier(time).call("op", failing([locked]))

    assert time.sleeps == [2.0]


def test_given_a_retry_when_logged_then_the_log_names_the_operation_and_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, logger="connectors.retry")

    retrier(time).call("companies.search", failing([rate_limited(Retry_After="2")]))

    assert any(
        "companies.search" in r.getMessage() and "2.00s" in r.getMessage() for r in caplog.records
    )


def test_given_an_invalid_policy_when_built_then_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
