"""A progress bar for command-line work that may take a while.

Drawn with rich on stderr, never on stdout (so `--json` output stays clean), only when stderr
is a terminal, only once the work has taken longer than `DELAY_S` (a quick command prints
nothing), and transient: cleared when the work ends. Work that cannot report its progress
(a single call) still gets a spinner with the time elapsed.

    with progress("reading closed deals") as advance:
        for chunk in chunks:
            ...
            advance(len(chunk))
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DELAY_S = 1.0
Advance = Callable[[int], None]
"""Called with how many more items are done."""


class _Bar:
    def __init__(self, description: str, total: int | None, stream: TextIO) -> None:
        self._description = description
        self._total = total
        self._stream = stream
        self._done = 0
        self._lock = threading.Lock()
        self._shown: tuple[Progress, TaskID] | None = None
        self._ended = False

    def advance(self, count: int) -> None:
        with self._lock:
            self._done += count
            if self._shown is not None:
                bar, task = self._shown
                bar.update(task, completed=self._done, count=self._count())

    def _count(self) -> str:
        """The items done (and of how many), once there are any: work that cannot count
        shows none."""
        if not self._done:
            return ""
        return f"{self._done:,}" + ("" if self._total is None else f" / {self._total:,}")

    def show(self) -> None:
        """Starts drawing (rich then refreshes it from a thread of its own)."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        with self._lock:
            if self._ended or self._shown is not None:
                return
            bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                console=Console(file=self._stream, force_terminal=True),
                transient=True,
            )
            task = bar.add_task(
                self._description, total=self._total, completed=self._done, count=self._count()
            )
            bar.start()
            self._shown = (bar, task)

    def end(self) -> None:
        with self._lock:
            self._ended = True
            if self._shown is not None:
                self._shown[0].stop()


@contextmanager
def progress(
    description: str,
    *,
    total: int | None = None,
    delay: float = DELAY_S,
    stream: TextIO | None = None,
) -> Iterator[Advance]:
    """Yields `advance(count)`. The bar appears after `delay` seconds (at once when 0) if
    `stream` (default: stderr) is a terminal; `total` None draws a bar without an end."""
    out = sys.stderr if stream is None else stream
    bar = _Bar(description, total, out)
    if not out.isatty():
        yield bar.advance
        return
    timer = threading.Timer(delay, bar.show)
    timer.daemon = True
    if delay <= 0:
        bar.show()
    else:
        timer.start()
    try:
        yield bar.advance
    finally:
        timer.cancel()
        bar.end()
