"""The bulk mode of the update pipeline's rescoring, for a rescoring of a whole CRM's store (a
rubric roll-out: `icp-sync rescore`, `serve` at start, `promote`): keyset pages of plain rows
(app.sync.bulk_read), and the scores, their history, the writeback's desired state and the
challengers' shadow scores written with one statement per table and page.

What it decides per record is the per-record path's (app.sync.rescore): the same `prepare`,
digest, `scored`, `differs`, column values, rendering and desired state (app.sync.score_rows,
app.sync.writeback.desired_state); tests/app/sync/test_bulk_rescore.py holds the two equal on a
random store. It visits every live record in id order, so the per-record path's second step
(re-checking the leads of a rescored account) has nothing left to do: a lead's digest depends on
its donor's data, not on its donor's score, and the lead is visited in its own page."""

from __future__ import annotations

import gc
import pickle
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.semantic.enrich import keep_fresh, semantics_of
from app.store.bulk_write import ManyRows
from app.store.engine import shared
from app.store.insert import insert_updating_conflicts
from app.store.tables import (
    Base,
    ChallengerScore,
    ChallengerScoreHistory,
    Score,
    ScoreHistory,
    WritebackState,
)
from app.sync import challengers as shadow
from app.sync.bulk_read import PageJob, PageReader, stored_types
from app.sync.bulk_score import (
    HISTORY_COLUMNS,
    JSON_COLUMNS,
    SCORE_COLUMNS,
    STATE_COLUMNS,
    as_scored_by,
)
from app.sync.bulk_worker import (
    InProcess,
    PageDone,
    PageScorer,
    PageTask,
    Setup,
    WorkerPool,
    cores,
)
from app.sync.challengers import Challenger
from app.sync.rescore import Renderer, RescoreReport, scored, to_score
from app.sync.score_rows import differs, history_values, prepare, score_values


class _InFlight(NamedTuple):
    """A page submitted for reading and scoring, before it was asked for."""

    after_id: int
    limit: int
    upto_id: int | None
    done: Future[PageDone]


class BulkRescore:
    """One CRM's live records rescored a page at a time over the caller's session (which owns
    the transaction: nothing here commits).

    Once the store holds more than a page, where the store can be opened by other processes
    and more than one core is there, pages are read and scored in scoring processes, one per
    core, a few pages ahead (app.sync.bulk_worker), while this process writes them in order.
    `close` ends those processes (they also end with the last page)."""

    def __init__(
        self,
        session: Session,
        source: str,
        rubric: CompiledRubric,
        render: Renderer,
        challengers: Sequence[Challenger] = (),
        *,
        processes: int | None = None,
    ) -> None:
        """`processes`: how many scoring processes at most (default: one per core; 0 or 1:
        this process reads and scores; more than one need a `render` that pickles)."""
        self._session, self._source, self._rubric, self._render = session, source, rubric, render
        self._challengers = tuple(challengers)
        rubrics = [rubric, *(c.rubric for c in self._challengers)]
        bind = session.get_bind()
        types = stored_types(session, source)
        self._reader = PageReader(bind.dialect.name, source, rubrics, types)
        self._history = _inserts(session, ScoreHistory, HISTORY_COLUMNS)
        self._scores = _upserts(session, Score, ["account_id"], SCORE_COLUMNS)
        self._states = _upserts(session, WritebackState, ["account_id"], STATE_COLUMNS)
        self._shadow_history = _inserts(session, ChallengerScoreHistory, ("name", *HISTORY_COLUMNS))
        self._shadow_scores = _upserts(
            session, ChallengerScore, ["name", "account_id"], SCORE_COLUMNS
        )
        wanted = cores() if processes is None else processes
        usable = wanted > 1 and shared(bind.engine.url) and _pickles(render)
        self._processes = wanted if usable else 0
        self._types = types
        self._scorer: PageScorer = InProcess(session, self._reader, rubric, render)
        self._queue: deque[_InFlight] = deque()
        self.pages_in_workers = 0
        """Pages the scoring processes read and scored (the others were, in this one)."""

    def page(self, after_id: int, limit: int, now: datetime) -> tuple[RescoreReport, int | None]:
        """Rescores the next `limit` live records by id above `after_id` where their inputs
        changed; returns what it did and the last id read (None: no record was left).

        The cycle collector is paused meanwhile: a page's rows, facts and results are freed
        by reference counting, and its passes over them were a seventh of the CPU time."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._page(after_id, limit, now)
        except BaseException:
            self.close()
            raise
        finally:
            if paused:
                gc.enable()

    def close(self) -> None:
        """Ends the scoring processes, if any were started; a later page starts others."""
        for page in self._queue:
            page.done.cancel()
        self._queue.clear()
        self._scorer.close()
        self._scorer = InProcess(self._session, self._reader, self._rubric, self._render)

    def _page(self, after_id: int, limit: int, now: datetime) -> tuple[RescoreReport, int | None]:
        if self._queue and self._queue[0][:2] != (after_id, limit):
            self.close()  # asked for another page than the one read ahead
        if not self._queue:
            upto = self._reader.bound(self._session, after_id, limit)
            if upto is not None and self._processes and isinstance(self._scorer, InProcess):
                self._scorer = WorkerPool(self._setup(), self._processes)
            self._submit(after_id, limit, upto, now)
        # the processes go on to the next pages while this one is written (those are scored
        # at this page's clock: a roll-out's pages are a fraction of a second apart)
        while (
            not isinstance(self._scorer, InProcess)
            and len(self._queue) <= self._processes
            and self._queue[-1].upto_id is not None
        ):
            after = self._queue[-1].upto_id
            self._submit(after, limit, self._reader.bound(self._session, after, limit), now)
        page = self._queue.popleft()
        done = page.done.result()
        if page.upto_id is None and not done.considered:
            self.close()
            return RescoreReport(), None
        outcome = done.scores
        self._history.write(self._session, outcome.history)
        self._scores.write(self._session, outcome.scores)
        self._states.write(self._session, outcome.states)
        keep_fresh(self._session, outcome.fresh, now)
        report = RescoreReport(
            considered=done.considered,
            scored=len(outcome.scored_ids),
            changed=outcome.changed,
            transitions=outcome.transitions,
            scored_ids=set(outcome.scored_ids),
        )
        if done.job is not None and done.job.rows:
            for challenger in self._challengers:
                self._shadow(challenger, done.job, now, report)
        return report, page.upto_id if page.upto_id is not None else done.last_id

    def _setup(self) -> Setup:
        """What the scoring processes start from; built only when they start, so the store's
        URL with its password is held nowhere else."""
        bind = self._session.get_bind()
        rubrics = [self._rubric, *(c.rubric for c in self._challengers)]
        return Setup(
            bind.engine.url.render_as_string(hide_password=False),
            bind.dialect.name,
            self._source,
            [r.rubric for r in rubrics],
            [r.fingerprint for r in rubrics],
            self._types,
            self._render,
            bool(self._challengers),
        )

    def _submit(self, after_id: int, limit: int, upto_id: int | None, now: datetime) -> None:
        if not isinstance(self._scorer, InProcess):
            self.pages_in_workers += 1
        done = self._scorer.submit(PageTask(after_id, upto_id, limit, now))
        self._queue.append(_InFlight(after_id, limit, upto_id, done))

    def _shadow(
        self,
        challenger: Challenger,
        job: PageJob,
        now: datetime,
        report: RescoreReport,
    ) -> None:
        """As app.sync.rescore's `_shadow` and app.sync.challengers.store: never rendered."""
        rubric, name, rows = challenger.rubric, challenger.name, job.rows
        currents = {
            row.account_id: row
            for row in self._session.execute(
                select(
                    ChallengerScore.account_id,
                    ChallengerScore.input_hash,
                    ChallengerScore.score,
                    ChallengerScore.tier,
                    ChallengerScore.flags,
                    ChallengerScore.reasons,
                    ChallengerScore.rubric_version,
                    ChallengerScore.scored_at,
                ).where(
                    ChallengerScore.name == name,
                    ChallengerScore.account_id.between(rows[0].id, rows[-1].id),
                )
            )
        }
        scores: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        counts = as_scored_by(rubric, job).counts
        digests = {account_id: current.input_hash for account_id, current in currents.items()}
        items = prepare(rows, job.donors, counts, rubric, semantics_of(rubric))
        todo, _ = to_score(self._session, items, digests, rubric, now)
        for account, facts, reason, digest in todo:
            current = currents.get(account.id)
            if not scores:
                shadow.note_start(self._session, challenger, now)
            result = scored(facts, reason, rubric, now)
            changed = current is None or differs(current, result)
            scored_at = now if changed or current is None else current.scored_at
            scores.append({"name": name, "account_id": account.id,
                           **score_values(result, digest), "scored_at": scored_at})  # fmt: skip
            if changed:
                history.append({"name": name, **history_values(account.id, result, now)})
            report.shadow_scored += 1
            report.shadow_ids.add(account.id)
        self._shadow_history.execute(self._session, history)
        self._shadow_scores.execute(self._session, scores)


def _pickles(render: Renderer) -> bool:
    """Whether `render` can go to another process (a module's function can; a test's closure
    cannot, and is then run in this one)."""
    try:
        pickle.dumps(render)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def _inserts(session: Session, table: type[Base], columns: Sequence[str]) -> ManyRows:
    return ManyRows(session, insert(table), columns, JSON_COLUMNS)


def _upserts(
    session: Session, table: type[Base], unique: list[str], columns: Sequence[str]
) -> ManyRows:
    """Rows of `unique` and `columns`, updating `columns` where `unique` exist."""
    statement = insert_updating_conflicts(session, table, unique, columns)
    return ManyRows(session, statement, [*unique, *columns], JSON_COLUMNS)
