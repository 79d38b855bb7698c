"""The champion's part of a bulk rescoring page (app.sync.bulk), as a pure function of what the
page read: which records' inputs changed, their scores, and the rows to write, a column at a
time with their JSON documents encoded (app.store.bulk_write.as_columns). Pure and picklable
both ways, so the bulk mode runs it in a second process while the first reads and writes
(app.sync.bulk_worker); the same function, in the same process, for a page or two.

What it decides per record is the per-record path's (app.sync.rescore), through the same
parts (app.sync.score_rows)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.semantic.enrich import NO_SEMANTICS, Semantics, semantics_of
from app.store.bulk_write import Columns, as_columns
from app.sync.bulk_read import Current, PageJob, json_value
from app.sync.facts import DEAL_FIELDS
from app.sync.rescore import NEW, Renderer, scored, to_score
from app.sync.score_rows import account_score, differs, history_values, prepare, score_values
from app.sync.writeback import desired_state, values_hash

SCORE_COLUMNS = ("score", "tier", "disqualified", "flags", "reasons", "criteria",
                 "rubric_version", "input_hash", "scored_at")  # fmt: skip
HISTORY_COLUMNS = ("account_id", "score", "tier", "disqualified", "flags", "reasons",
                   "rubric_version", "scored_at")  # fmt: skip
STATE_COLUMNS = ("values", "values_hash", "status", "attempts", "last_error",
                 "next_attempt_at", "updated_at")  # fmt: skip
JSON_COLUMNS = frozenset({"flags", "reasons", "criteria", "values"})


class PageScores(NamedTuple):
    """The champion's outcome for a page: the records scored (inputs changed) and how many of
    them changed content, the tier transitions, and the rows of each table to write."""

    scored_ids: list[int]
    changed: int
    transitions: Counter[tuple[str, str]]
    history: Columns
    scores: Columns
    states: Columns
    fresh: Semantics = NO_SEMANTICS
    """The vectors the champion's enrichment of the page computed: the writer's to keep."""


class Content(NamedTuple):
    """A stored score's content (`app.sync.score_rows.ScoreContent`)."""

    score: int
    tier: str
    flags: Sequence[str]
    reasons: Sequence[str]
    rubric_version: str


def as_scored_by(rubric: CompiledRubric, job: PageJob) -> PageJob:
    """The page as `rubric` scores it: without deal counts when it reads none (as the
    per-record path, whose digest then leaves them out)."""
    return job if rubric.fields_read & DEAL_FIELDS else job._replace(counts={})


def score_page(
    session: Session, job: PageJob, rubric: CompiledRubric, render: Renderer, now: datetime
) -> PageScores:
    """The champion's scores of the page's records whose inputs changed. `session`: where the
    semantic rules' cached vectors are read (those computed are left in `fresh`)."""
    currents = dict(zip((row.id for row in job.rows), job.currents, strict=True))
    scored_ids: list[int] = []
    changed = 0
    transitions: Counter[tuple[str, str]] = Counter()
    scores, history, states = [], [], []
    job = as_scored_by(rubric, job)
    digests = {account_id: current.input_hash for account_id, current in currents.items()}
    items = prepare(job.rows, job.donors, job.counts, rubric, semantics_of(rubric))
    todo, fresh = to_score(session, items, digests, rubric, now, store=False)
    for account, facts, reason, digest in todo:
        current = currents[account.id]
        result = scored(facts, reason, rubric, now)
        scored_ids.append(account.id)
        if current.score is None or differs(_content(current), result):
            changed += 1
            transitions[(current.tier or NEW, result.tier)] += 1
            history.append(history_values(account.id, result, now))
            scored_at = now
        else:
            scored_at = current.scored_at or now
        scores.append({"account_id": account.id, **score_values(result, digest),
                       "scored_at": scored_at})  # fmt: skip
        values = render(account_score(result, scored_at))
        values_digest = values_hash(values)
        if current.values_hash != values_digest:
            states.append({"account_id": account.id, **desired_state(values, values_digest, now)})
    return PageScores(
        scored_ids,
        changed,
        transitions,
        as_columns(history, HISTORY_COLUMNS, JSON_COLUMNS),
        as_columns(scores, ("account_id", *SCORE_COLUMNS), JSON_COLUMNS),
        as_columns(states, ("account_id", *STATE_COLUMNS), JSON_COLUMNS),
        fresh,
    )


def _content(current: Current) -> Content:
    """The current score's content: its flags and reasons were read only where its version is
    the rubric's (the only case they decide whether the score changed; another version
    differs whatever they hold)."""
    return Content(
        int(current.score or 0),
        str(current.tier),
        json_value(current.flags) if current.flags is not None else (),
        json_value(current.reasons) if current.reasons is not None else (),
        str(current.rubric_version),
    )
