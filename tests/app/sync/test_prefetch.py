"""The page prefetcher the sync uses to overlap CRM calls with storing pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app.sync.prefetch import prefetched


def consume(items: Iterator[int], into: list[int], stop_at: int | None = None) -> None:
    for item in items:
        if item == stop_at:
            raise KeyboardInterrupt
        into.append(item)


def test_given_a_sequence_when_prefetched_then_every_item_comes_once_in_order() -> None:
    assert list(prefetched(iter(range(1000)), ahead=3)) == list(range(1000))


def test_given_a_producer_that_fails_when_prefetched_then_the_error_surfaces_after_the_good_items() -> (
    None
):
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("CRM went away")

    received: list[int] = []
    with pytest.raises(ConnectionError, match="CRM went away"):
        consume(prefetched(pages()), received)
    assert received == [1, 2]


def test_given_a_consumer_that_stops_early_when_prefetched_then_the_producer_stops_too() -> None:
    produced: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(10_000):
            produced.append(number)
            yield number

    with pytest.raises(KeyboardInterrupt):
        consume(prefetched(pages(), ahead=2), [], stop_at=5)
    seen = len(produced)
    time.sleep(0.3)

    assert seen <= 5 + 1 + 2 + 1  # consumed, the one that stopped, the queue, one in hand
    assert len(produced) == seen  # and it produces nothing more


def test_given_work_in_the_producer_thread_when_prefetched_then_it_runs_off_the_caller_thread() -> (
    None
):
    callers = set()

    def pages() -> Iterator[int]:
        for number in range(3):
            callers.add(threading.current_thread().name)
            yield number

    list(prefetched(pages()))
    assert callers == {"icp-sync-prefetch"}
