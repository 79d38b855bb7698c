"""Where the bulk rescoring (app.sync.bulk) reads and scores its pages: in this process, or in
scoring processes beside it, so that every core works while this one writes.

A page is a range of ids (`PageTask`): the writing process finds where each page ends on the
primary key alone (`PageReader.bound`), so pages can be read and scored in parallel and are
written in order. A scoring process has its own connection to the store (which must be one
that other processes can open: a file or a server, not an in-memory SQLite) and reads each
page in a transaction of its own; it returns the rows to write, a column at a time, their JSON
already encoded (app.sync.bulk_score). Pages hold distinct records and nothing a page writes is
read by another, so the order in which they are read does not matter.

The processes are started with `spawn` (the service has threads, which forking would copy
half-way), build the rubrics from their definitions (checked against the fingerprints) and
live as long as the rescoring: ended with its last page, on error, and when dropped."""

from __future__ import annotations

import gc
import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from typing import NamedTuple, Protocol

from sqlalchemy.orm import Session

from app.gc_policy import apply_gc_policy
from app.rubric import Rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.sync.bulk_read import PageJob, PageReader
from app.sync.bulk_score import PageScores, score_page
from app.sync.rescore import Renderer


class PageTask(NamedTuple):
    """The live records by id above `after_id`, up to `upto_id` (None: to the end), at most
    `limit` of them, scored at `now`."""

    after_id: int
    upto_id: int | None
    limit: int
    now: datetime


class PageDone(NamedTuple):
    """A page read and scored: the ids read (their count and the last), the champion's scores,
    and the page as read when the writing process scores challengers on it too."""

    considered: int
    last_id: int | None
    scores: PageScores
    job: PageJob | None


class Setup(NamedTuple):
    """What a scoring process builds its reader and rubrics from."""

    url: str
    dialect: str
    source: str
    rubrics: Sequence[Rubric]
    """The champion first, then the challengers (their reads are read too)."""
    fingerprints: Sequence[str]
    types: Sequence[str]
    render: Renderer
    keep_job: bool


class PageScorer(Protocol):
    def submit(self, task: PageTask) -> Future[PageDone]: ...

    def close(self) -> None: ...


def read_and_score(
    session: Session,
    reader: PageReader,
    task: PageTask,
    rubric: CompiledRubric,
    render: Renderer,
    keep_job: bool,
) -> PageDone:
    job = reader.job(session, task.after_id, task.upto_id, task.limit)
    last_id = job.rows[-1].id if job.rows else None
    scores = score_page(session, job, rubric, render, task.now)
    return PageDone(len(job.rows), last_id, scores, job if keep_job else None)


class InProcess:
    """Reads and scores a page when it is submitted, over the writer's session."""

    def __init__(
        self, session: Session, reader: PageReader, rubric: CompiledRubric, render: Renderer
    ) -> None:
        self._session, self._reader, self._rubric, self._render = session, reader, rubric, render

    def submit(self, task: PageTask) -> Future[PageDone]:
        done: Future[PageDone] = Future()
        try:
            done.set_result(
                read_and_score(self._session, self._reader, task, self._rubric, self._render, True)
            )
        except Exception as error:  # raised where the result is asked for, as a worker's
            done.set_exception(error)
        return done

    def close(self) -> None:
        pass


class WorkerPool:
    """Reads and scores pages in `processes` other processes. `setup.render` must pickle: a
    module's function (a connector's `render_score`), not a bound method."""

    def __init__(self, setup: Setup, processes: int) -> None:
        pool = ProcessPoolExecutor(
            processes, mp_context=get_context("spawn"), initializer=_start, initargs=(setup,)
        )
        self._pool = pool
        self._drop = weakref.finalize(self, pool.shutdown, wait=False, cancel_futures=True)

    def submit(self, task: PageTask) -> Future[PageDone]:
        return self._pool.submit(_score, task)

    def close(self) -> None:
        """Waits for the processes to end (pages being scored are finished first)."""
        self._drop.detach()
        self._pool.shutdown(wait=True, cancel_futures=True)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class _Worker(NamedTuple):
    sessions: Callable[[], Session]
    reader: PageReader
    rubric: CompiledRubric
    render: Renderer
    keep_job: bool


_worker: _Worker | None = None


def _start(setup: Setup) -> None:
    global _worker
    compiled = [compile_rubric(rubric) for rubric in setup.rubrics]
    if [c.fingerprint for c in compiled] != list(setup.fingerprints):
        raise RuntimeError("a scoring process built other rubrics than the ones rolled out")
    reader = PageReader(setup.dialect, setup.source, compiled, setup.types)
    sessions = make_session_factory(make_engine(setup.url))
    apply_gc_policy()
    _worker = _Worker(sessions, reader, compiled[0], setup.render, setup.keep_job)


def _score(task: PageTask) -> PageDone:
    """A page read in a transaction of its own (so no old snapshot is held) and scored with
    the cycle collector paused (as app.sync.bulk's pages)."""
    assert _worker is not None, "the scoring process was not started"
    paused = gc.isenabled()
    gc.disable()
    try:
        with _worker.sessions() as session:
            return read_and_score(
                session, _worker.reader, task, _worker.rubric, _worker.render, _worker.keep_job
            )
    finally:
        if paused:
            gc.enable()
