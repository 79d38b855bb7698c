"""Group commit for the inbox: one writer thread stores the events of every delivery
waiting at that moment in one transaction, then answers each of them.

A delivery is still answered only after its events are committed (nothing accepted is lost),
but a burst of concurrent deliveries costs one commit, not one each: on SQLite, where writers
queue for one lock and each commit syncs the log, that is most of the cost of ingesting.
If the transaction fails, every delivery in it gets the error (and answers 503: the CRMs
retry).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import IncomingEvent
from app.inbox.receive import Enqueued, enqueue_many

MAX_BATCH = 256
"""Deliveries per transaction at most (each of up to 100 events)."""


@dataclass(frozen=True, slots=True)
class _Pending:
    events: Sequence[IncomingEvent]
    received_at: datetime
    future: asyncio.Future[Enqueued]
    loop: asyncio.AbstractEventLoop


class InboxWriter:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def store(self, events: Sequence[IncomingEvent], received_at: datetime) -> Enqueued:
        """(stored, duplicates, echoes) once the events are committed; raises what the commit
        raised."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Enqueued] = loop.create_future()
        self._queue.put(_Pending(events, received_at, future, loop))
        return await future

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            with self._sessions() as session, session.begin():
                results = enqueue_many(session, [(p.events, p.received_at) for p in batch])
        except BaseException as error:  # every waiting delivery must hear back
            _answer(batch, [error] * len(batch))
            return
        _answer(batch, results)


def _answer(batch: list[_Pending], outcomes: Sequence[Enqueued | BaseException]) -> None:
    """Settle each delivery's future on its event loop: one wake-up per loop, not per delivery
    (each `call_soon_threadsafe` writes to the loop's wake-up pipe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Pending, Enqueued | BaseException]]] = {}
    for pending, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(pending.loop, []).append((pending, outcome))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # that loop is closed: nobody is waiting there any more
            continue


def _settle(settled: list[tuple[_Pending, Enqueued | BaseException]]) -> None:
    for pending, outcome in settled:
        if pending.future.done():
            continue
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)
