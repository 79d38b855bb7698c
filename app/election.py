"""One process of a group runs the background work: `serve --workers N` starts N HTTP
processes, but the inbox worker and the schedules run in one of them, the one holding the
group's lock (app.store.locks: a PostgreSQL advisory lock, or a `flock` beside a SQLite file).
The others try again every `retry_seconds`; when the holder dies its lock goes with it, so
another process takes over.

Running the work twice would not be wrong (inbox events are claimed with leases, each sync
takes its CRM's lock), only wasteful: the election is there to spare the database N pollers.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine

from app.store.locks import cluster_lock, holder_name

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class Background(Protocol):
    """What runs beside the HTTP service: `app.runtime.Runtime`, or an election over one."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 30.0) -> None: ...


def group_lock_name(host: str, port: int) -> str:
    """The lock of the `serve` processes sharing `host:port` on this machine: replicas on other
    machines (or ports) elect their own."""
    return f"icp-sync:serve:{socket.gethostname()}:{host}:{port}"


@dataclass
class Elected:
    """Starts `make()`'s background work in this process once it holds the lock `name`, and
    keeps it (and the lock) until `stop()`."""

    engine: Engine
    name: str
    make: Callable[[], Background]
    retry_seconds: float = RETRY_SECONDS
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._contend, name="election", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _contend(self) -> None:
        holder = holder_name("serve worker+schedules")
        while not self._stop.is_set():
            try:
                with cluster_lock(self.engine, self.name, holder) as held:
                    if held:
                        self._run(holder)
                        return
            except Exception:  # the database unreachable: try again, as the losers do
                logger.exception("election for the background work failed; trying again")
            self._stop.wait(self.retry_seconds)

    def _run(self, holder: str) -> None:
        logger.info("elected to run the inbox worker and schedules: %s", holder)
        background = self.make()
        background.start()
        try:
            self._stop.wait()
        finally:
            background.stop()
