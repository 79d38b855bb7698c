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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.store.bulk_write import ManyRows
from app.store.insert import insert_updating_conflicts
from app.store.repo import DealCounts, deal_counts
from app.store.tables import (
    Base,
    ChallengerScore,
    ChallengerScoreHistory,
    Score,
    ScoreHistory,
    WritebackState,
)
from app.sync import challengers as shadow
from app.sync.bulk_read import AccountRow, Current, PageReader, stored_types
from app.sync.challengers import Challenger
from app.sync.facts import DEAL_FIELDS, LEAD
from app.sync.rescore import NEW, Renderer, RescoreReport, scored
from app.sync.score_rows import account_score, differs, history_values, prepare, score_values
from app.sync.writeback import desired_state, values_hash

SCORE_COLUMNS = ("score", "tier", "disqualified", "flags", "reasons", "criteria",
                 "rubric_version", "input_hash", "scored_at")  # fmt: skip
HISTORY_COLUMNS = ("account_id", "score", "tier", "disqualified", "flags", "reasons",
                   "rubric_version", "scored_at")  # fmt: skip
JSON_COLUMNS = frozenset({"flags", "reasons", "criteria", "values"})
STATE_COLUMNS = ("values", "values_hash", "status", "attempts", "last_error",
                 "next_attempt_at", "updated_at")  # fmt: skip


class Content(NamedTuple):
    """A stored score's content (`app.sync.score_rows.ScoreContent`)."""

    score: int
    tier: str
    flags: Sequence[str]
    reasons: Sequence[str]
    rubric_version: str


class BulkRescore:
    """One CRM's live records rescored a page at a time over the caller's session (which owns
    the transaction: nothing here commits)."""

    def __init__(
        self,
        session: Session,
        source: str,
        rubric: CompiledRubric,
        render: Renderer,
        challengers: Sequence[Challenger] = (),
    ) -> None:
        self._session, self._source, self._rubric, self._render = session, source, rubric, render
        self._challengers = tuple(challengers)
        rubrics = [rubric, *(c.rubric for c in self._challengers)]
        self._reader = PageReader(session, source, rubrics, stored_types(session, source))
        self._counts: dict[str, DealCounts] | None = None
        self._history = _inserts(session, ScoreHistory, HISTORY_COLUMNS)
        self._scores = _upserts(session, Score, ["account_id"], SCORE_COLUMNS)
        self._states = _upserts(session, WritebackState, ["account_id"], STATE_COLUMNS)
        self._shadow_history = _inserts(session, ChallengerScoreHistory, ("name", *HISTORY_COLUMNS))
        self._shadow_scores = _upserts(
            session, ChallengerScore, ["name", "account_id"], SCORE_COLUMNS
        )

    def page(self, after_id: int, limit: int, now: datetime) -> tuple[RescoreReport, int | None]:
        """Rescores the next `limit` live records by id above `after_id` where their inputs
        changed; returns what it did and the last id read (None: no record was left).

        The cycle collector is paused meanwhile: a page's rows, facts and results are freed
        by reference counting, and its passes over them were a seventh of the CPU time."""
        paused = gc.isenabled()
        gc.disable()
        try:
            return self._page(after_id, limit, now)
        finally:
            if paused:
                gc.enable()

    def _page(self, after_id: int, limit: int, now: datetime) -> tuple[RescoreReport, int | None]:
        page = self._reader.page(after_id, limit)
        if not page:
            return RescoreReport(), None
        rows = [row for row, _ in page]
        leads = {r.domain for r in rows if r.object_type == LEAD and r.domain}
        donors = self._reader.donors(leads)
        self._counts = None
        report = RescoreReport(considered=len(rows))
        currents = {row.id: current for row, current in page}
        self._champion(rows, currents, donors, now, report)
        for challenger in self._challengers:
            self._shadow(challenger, rows, donors, now, report)
        return report, rows[-1].id

    def _champion(
        self,
        rows: Sequence[AccountRow],
        currents: Mapping[int, Current],
        donors: Mapping[str, AccountRow],
        now: datetime,
        report: RescoreReport,
    ) -> None:
        rubric = self._rubric
        pending = []
        for account, facts, reason, digest in prepare(
            rows, donors, self._deals(rubric, rows, donors), rubric
        ):
            current = currents[account.id]
            if current.input_hash == digest:
                continue
            pending.append((account.id, current, scored(facts, reason, rubric, now), digest))
        contents = self._contents(
            [i for i, c, result, _ in pending if c.rubric_version == result.rubric_version]
        )
        scores, history, states = [], [], []
        for account_id, current, result, digest in pending:
            report.scored += 1
            report.scored_ids.add(account_id)
            changed = current.score is None or differs(
                contents.get(account_id)
                # another version differs whatever the content
                or Content(current.score, str(current.tier), (), (), str(current.rubric_version)),
                result,
            )
            if changed:
                report.changed += 1
                report.transitions[(current.tier or NEW, result.tier)] += 1
                history.append(history_values(account_id, result, now))
            scored_at = now if changed or current.scored_at is None else current.scored_at
            scores.append({"account_id": account_id, **score_values(result, digest),
                           "scored_at": scored_at})  # fmt: skip
            values = self._render(account_score(result, scored_at))
            digest = values_hash(values)
            if current.values_hash != digest:
                states.append({"account_id": account_id, **desired_state(values, digest, now)})
        self._history.execute(self._session, history)
        self._scores.execute(self._session, scores)
        self._states.execute(self._session, states)

    def _shadow(
        self,
        challenger: Challenger,
        rows: Sequence[AccountRow],
        donors: Mapping[str, AccountRow],
        now: datetime,
        report: RescoreReport,
    ) -> None:
        """As app.sync.rescore's `_shadow` and app.sync.challengers.store: never rendered."""
        rubric, name = challenger.rubric, challenger.name
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
        for account, facts, reason, digest in prepare(
            rows, donors, self._deals(rubric, rows, donors), rubric
        ):
            current = currents.get(account.id)
            if current is not None and current.input_hash == digest:
                continue
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

    def _deals(
        self, rubric: CompiledRubric, rows: Sequence[AccountRow], donors: Mapping[str, AccountRow]
    ) -> Mapping[str, DealCounts]:
        """Deal counts by CRM id, read once per page, for a rubric that reads them (else none:
        as the per-record path)."""
        if not rubric.fields_read & DEAL_FIELDS:
            return {}
        if self._counts is None:
            crm_ids = [r.crm_id for r in rows] + [d.crm_id for d in donors.values()]
            self._counts = deal_counts(self._session, self._source, crm_ids)
        return self._counts

    def _contents(self, account_ids: Sequence[int]) -> dict[int, Content]:
        """The content of these accounts' current scores: read only where the version is the
        rubric's, the only case the content decides whether a score changed."""
        if not account_ids:
            return {}
        query = select(
            Score.account_id, Score.score, Score.tier, Score.flags, Score.reasons,
            Score.rubric_version,
        ).where(Score.account_id.in_(account_ids))  # fmt: skip
        return {row[0]: Content(*row[1:]) for row in self._session.execute(query)}


def _inserts(session: Session, table: type[Base], columns: Sequence[str]) -> ManyRows:
    return ManyRows(session, insert(table), columns, JSON_COLUMNS)


def _upserts(
    session: Session, table: type[Base], unique: list[str], columns: Sequence[str]
) -> ManyRows:
    """Rows of `unique` and `columns`, updating `columns` where `unique` exist."""
    statement = insert_updating_conflicts(session, table, unique, columns)
    return ManyRows(session, statement, [*unique, *columns], JSON_COLUMNS)
