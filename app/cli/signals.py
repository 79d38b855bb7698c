"""Waiting for SIGTERM or Ctrl-C in the long-running commands (`sandbox`, `inbox work`).

The handler only sets a flag. Setting a `threading.Event` there, as these commands once did,
can hang the process for good: a handler runs on the main thread between two bytecodes, and
when those are inside `Event.wait()` the main thread already holds the Event's lock, so the
handler's `Event.set()` waits for itself. Seen as a sandbox that ignored SIGTERM in CI.
"""

from __future__ import annotations

import signal
import time
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
    """Inside the `with` block, SIGINT and SIGTERM ask the command to stop; the previous
    handlers come back on exit."""

    def __init__(self) -> None:
        self._requested = False
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self._requested

    def wait(self, poll_seconds: float = 0.2) -> None:
        """Returns once a stop was asked for (at most `poll_seconds` later)."""
        while not self._requested:
            time.sleep(poll_seconds)

    def __enter__(self) -> StopOnSignal:
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._requested = True
