"""Fetch the next page while the current one is stored: a CRM call and the store's work for
the previous page overlap, so a sync takes about the longer of the two, not their sum."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterable[T], ahead: int = 2) -> Iterator[T]:
    """Yields `items`, produced by a background thread at most `ahead` items in advance.

    An exception raised while producing is re-raised here, at the item where it happened. When
    the consumer stops early (an error, a kill), the producer is told to stop and does, at its
    next item; `items` is only ever iterated by that one thread.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(handoff, item, stop):
                    return
            _put(handoff, _DONE, stop)
        except BaseException as error:  # handed over and re-raised in the consumer
            _put(handoff, error, stop)

    producer = threading.Thread(target=produce, name="icp-sync-prefetch", daemon=True)
    producer.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        stop.set()
        producer.join(timeout=60)


def _put(handoff: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
