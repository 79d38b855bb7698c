"""Python's cycle collector paused while a command reads and scores a whole store."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """CPython runs its cycle collector after every few hundred new objects, and each full
    pass walks every live one. Reading and scoring 100,000 accounts keeps hundreds of
    thousands of objects alive (rows, facts, scores, none in a cycle), so those passes cost
    as much as the work itself (about 3 s of `plan`'s 10). Reference counting still frees
    everything meanwhile; cycles made meanwhile are collected once the collector resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
