"""The rate-limit pacer on its own, with an injected clock: the budget under HubSpot's
headers, others' use of the token, scheduled slots for concurrent callers, search spacing,
and the process-wide registry per token."""

from __future__ import annotations

import threading

from connectors.hubspot.pacing import (
    ASSUMED_MAX,
    RateLimitPacer,
    RateLimitStatus,
    pacer_for,
)


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _headers(
    max_: int, remaining: int, daily: int = 625_000, left: int = 600_000
) -> dict[str, str]:
    return {
        "X-HubSpot-RateLimit-Max": str(max_),
        "X-HubSpot-RateLimit-Remaining": str(remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Daily": str(daily),
        "X-HubSpot-RateLimit-Daily-Remaining": str(left),
    }


def _spend(pacer: RateLimitPacer, clock: FakeClock, count: int) -> list[float]:
    """`count` calls at once (no time passes between them): the waits they are given."""
    return [pacer.reserve() for _ in range(count)]


def test_given_a_limit_of_20_when_25_calls_come_at_once_then_18_go_and_7_wait_the_window() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.reserve()
    pacer.observe(_headers(20, 19))

    waits = _spend(pacer, clock, 24)

    assert pacer.budget == 18  # 10% left for other processes and integrations
    assert waits[:17] == [0.0] * 17
    assert waits[17:] == [10.0] * 7  # each waits for the oldest call to leave the window


def test_given_slots_scheduled_when_time_passes_then_the_window_rolls() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.observe(_headers(10, 10))
    first = _spend(pacer, clock, 9)
    clock.now += 4.0
    later = _spend(pacer, clock, 2)
    clock.now += 6.5  # the first nine have left the window

    again = pacer.reserve()

    assert first == [0.0] * 9
    assert later == [6.0, 6.0]  # until the first calls, made at +0 s, leave at +10 s
    assert again == 0.0


def test_given_another_process_spent_the_window_when_reserving_then_it_waits_its_interval() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.reserve()
    pacer.observe(_headers(190, 0))  # 1 call of ours, 189 by someone else on the token

    wait = pacer.reserve()
    clock.now += 10.0
    after = pacer.reserve()

    assert wait == 10.0
    assert after == 0.0


def test_given_answers_without_burst_headers_when_reserving_then_no_burst_pacing() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.observe({}, success=False)  # a first answer that says nothing: the lowest tier's
    before = _spend(pacer, clock, ASSUMED_MAX)
    pacer.observe({"X-HubSpot-RateLimit-Daily": "625000"})

    waits = _spend(pacer, clock, 500)

    assert max(before) > 0  # 100 per 10 s less the margin
    assert set(waits) == {0.0}


def test_given_an_error_without_headers_when_observed_then_the_known_limit_stays() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.observe(_headers(5, 5))
    pacer.observe({}, success=False)  # a gateway's 503

    waits = _spend(pacer, clock, 5)

    assert waits == [0.0] * 4 + [10.0]


def test_given_searches_when_reserved_then_they_are_spaced_a_quarter_second_apart() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)

    waits = [pacer.reserve(search=True) for _ in range(4)]
    clock.now += 5.0
    later = pacer.reserve(search=True)

    assert waits == [0.0, 0.25, 0.5, 0.75]
    assert later == 0.0
    assert pacer.budget == 90  # searches do not spend the burst window


def test_given_answers_when_observed_then_status_has_the_last_daily_figures() -> None:
    pacer = RateLimitPacer(clock=FakeClock())
    assert pacer.status == RateLimitStatus()

    pacer.observe(_headers(190, 189, daily=625_000, left=624_321))
    pacer.observe({}, search=True)  # search answers carry none: the last figures stay

    assert pacer.status == RateLimitStatus(
        daily_max=625_000, daily_remaining=624_321, burst_max=190, burst_remaining=189
    )


def test_given_no_answer_yet_when_a_second_caller_reserves_then_it_waits_for_the_first() -> None:
    pacer = RateLimitPacer(clock=FakeClock())
    pacer.reserve()  # the first call, in flight
    reserved = threading.Event()

    def second() -> None:
        pacer.reserve()
        reserved.set()

    thread = threading.Thread(target=second)
    thread.start()
    waited = not reserved.wait(0.2)
    pacer.observe(_headers(190, 189))
    thread.join(5)

    assert waited  # it did not go before the limit was known
    assert reserved.is_set()


def test_given_clients_of_one_token_when_asking_for_a_pacer_then_they_share_one() -> None:
    token = "pat-na1-pacer-test-token"

    first = pacer_for(token)
    second = pacer_for(token)
    other = pacer_for("pat-na1-another-token")

    assert first is second
    assert other is not first


def test_given_calls_made_in_a_burst_when_a_batcher_asks_then_it_waits_for_the_burst_to_age() -> (
    None
):
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.reserve()
    pacer.observe(_headers(190, 189))  # a budget of 171 a window: 18 a tenth of it
    assert pacer.free_in(4) == 0.0

    _spend(pacer, clock, 17)  # 18 calls within the last second, the window far from full

    assert [w == 0.0 for w in _spend(pacer, clock, 1)] == [True]  # reserve still lets it go
    assert pacer.free_in(4) == 1.0  # a batcher waits for the burst to leave the last tenth
    clock.now += 0.5
    assert pacer.free_in(4) == 0.5
    clock.now += 0.5
    assert pacer.free_in(4) == 0.0


def test_given_a_full_window_when_a_batcher_asks_then_it_waits_for_the_window() -> None:
    clock = FakeClock()
    pacer = RateLimitPacer(clock=clock)
    pacer.reserve()
    pacer.observe(_headers(20, 19))  # budget 18, a tenth of it rounds up to 2
    for _ in range(17):
        _spend(pacer, clock, 1)
        clock.now += 0.5

    assert pacer.free_in(4) == 10.0 - 0.5 * 17 + 0.5 * 2  # the 3rd oldest of 18 must leave
