"""Failed logins per address: refused after too many within the window, forgotten after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.ui.throttle import MAX_FAILURES, MAX_TRACKED, WINDOW, LoginThrottle

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_given_failures_up_to_the_limit_when_asked_then_the_address_waits_for_the_oldest() -> None:
    throttle = LoginThrottle()
    for minute in range(MAX_FAILURES):
        assert throttle.retry_after("10.0.0.1", NOW + timedelta(minutes=minute)) is None
        throttle.failed("10.0.0.1", NOW + timedelta(minutes=minute))

    later = NOW + timedelta(minutes=MAX_FAILURES)
    assert (
        throttle.retry_after("10.0.0.1", later)
        == int((WINDOW - timedelta(minutes=10)).total_seconds()) + 1
    )
    assert throttle.retry_after("10.0.0.2", later) is None
    assert throttle.retry_after("10.0.0.1", NOW + WINDOW + timedelta(seconds=1)) is None


def test_given_a_success_when_asked_then_the_addresss_failures_are_forgotten() -> None:
    throttle = LoginThrottle()
    for _ in range(MAX_FAILURES):
        throttle.failed("10.0.0.1", NOW)
    throttle.succeeded("10.0.0.1")

    assert throttle.retry_after("10.0.0.1", NOW) is None


def test_given_a_flood_of_addresses_when_failing_then_memory_stays_bounded() -> None:
    throttle = LoginThrottle()
    for number in range(MAX_TRACKED + 50):
        throttle.failed(f"address-{number}", NOW)

    assert len(throttle._failures) == MAX_TRACKED
    assert "address-0" not in throttle._failures
