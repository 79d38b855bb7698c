"""The stored runs of `validate` and `plan` (table `validation_runs`): written by the commands
and by `serve`'s nightly job, read by the dashboard.

A run's report is the document the command prints with `--json`, as JSON reads it back; a
plan's lists of accounts (into and out of disqualified, the largest changes) keep their first
`KEPT` entries, with their full counts beside them (`<list>_count`). Runs finished longer
than the retention ago are deleted, except the latest of each kind (a plan's: per challenger)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.orm import Session

from app.store.tables_runs import ValidationRun
from app.validation.columns import OutcomeColumns
from app.validation.report_charts import score_histogram

logger = logging.getLogger(__name__)

VALIDATE, PLAN = "validate", "plan"
CLI, NIGHTLY = "cli", "nightly"
KEPT = 100
"""Entries a stored plan keeps of each list of accounts."""
LISTS = ("newly_disqualified", "no_longer_disqualified", "changes")
HISTOGRAM = "score_histogram"
"""(bin start, won, lost) per 10-point bin; not in the `--json` documents."""


@dataclass(frozen=True)
class StoredRun:
    id: int
    kind: str
    """`validate` or `plan`."""
    trigger: str
    """`cli` (a command run) or `nightly` (`serve`'s job)."""
    rubric_name: str | None
    """The rubric's name in the rubric directory (a plan's champion), when it has one."""
    rubric_version: str
    challenger_name: str | None
    challenger_version: str | None
    source: str | None
    """Only this CRM's records (`--source`); None: all."""
    since: date | None
    """Only deals closed on or after it (`validate --since`); None: all."""
    started_at: datetime
    finished_at: datetime
    report: dict[str, Any] = field(repr=False)

    @property
    def filtered(self) -> bool:
        return self.source is not None or self.since is not None


def validate_document(report: dict[str, Any], outcomes: OutcomeColumns) -> dict[str, Any]:
    """`validate --json`'s document as stored, with the score distribution of the accounts'
    won and lost deals (`score_histogram`, the HTML report's chart)."""
    return _as_json(report | {HISTOGRAM: score_histogram(outcomes.outcomes())})


def plan_document(document: dict[str, Any], outcomes: OutcomeColumns) -> dict[str, Any]:
    """`plan --json`'s document as stored: its lists (also the contacts') cut to `KEPT`, with
    the challenger's score distribution of won and lost deals (`score_histogram`)."""
    bounded = _bounded(document)
    if document.get("contacts") is not None:
        bounded["contacts"] = _bounded(document["contacts"])
    bounded[HISTOGRAM] = score_histogram(outcomes.outcomes())
    return _as_json(bounded)


def store_run(
    session: Session,
    *,
    kind: str,
    trigger: str,
    rubric_version: str,
    report: dict[str, Any],
    started_at: datetime,
    finished_at: datetime,
    rubric_name: str | None = None,
    challenger_name: str | None = None,
    challenger_version: str | None = None,
    source: str | None = None,
    since: date | None = None,
) -> StoredRun:
    """Adds the run (the caller commits). `report`: made by `validate_document` or
    `plan_document`."""
    if kind not in (VALIDATE, PLAN):
        raise ValueError(f"kind: expected {VALIDATE} or {PLAN}, got {kind!r}")
    if trigger not in (CLI, NIGHTLY):
        raise ValueError(f"trigger: expected {CLI} or {NIGHTLY}, got {trigger!r}")
    row = ValidationRun(
        kind=kind,
        trigger=trigger,
        rubric_name=rubric_name,
        rubric_version=rubric_version,
        challenger_name=challenger_name,
        challenger_version=challenger_version,
        source=source,
        since=since,
        started_at=started_at,
        finished_at=finished_at,
        report=report,
    )
    session.add(row)
    session.flush()
    return _stored(row)


def latest_run(
    session: Session,
    kind: str,
    *,
    challenger_name: str | None = None,
    include_filtered: bool = False,
) -> StoredRun | None:
    """The run of `kind` finished last (a plan: of `challenger_name`, when given). Runs limited
    to a CRM or a date (`source`, `since`) only with `include_filtered`."""
    query = select(ValidationRun).where(ValidationRun.kind == kind)
    if challenger_name is not None:
        query = query.where(ValidationRun.challenger_name == challenger_name)
    if not include_filtered:
        query = query.where(_unfiltered())
    row = session.scalars(
        query.order_by(ValidationRun.finished_at.desc(), ValidationRun.id.desc()).limit(1)
    ).first()
    return None if row is None else _stored(row)


def latest_plans(session: Session, *, include_filtered: bool = False) -> dict[str, StoredRun]:
    """Challenger name → its plan finished last (plans of a file outside the rubric directory,
    which have no name, left out), by name."""
    query = select(ValidationRun.id, ValidationRun.challenger_name, ValidationRun.finished_at)
    query = query.where(ValidationRun.kind == PLAN, ValidationRun.challenger_name.is_not(None))
    if not include_filtered:
        query = query.where(_unfiltered())
    latest: dict[str, tuple[datetime, int]] = {}
    for run_id, named, finished_at in session.execute(query):
        name = named or ""
        if name not in latest or (finished_at, run_id) > latest[name]:
            latest[name] = (finished_at, run_id)
    ids = [run_id for _, run_id in latest.values()]
    rows = session.scalars(select(ValidationRun).where(ValidationRun.id.in_(ids)))
    found = {row.challenger_name or "": _stored(row) for row in rows}
    return {name: found[name] for name in sorted(latest)}


def list_runs(session: Session, limit: int = 50, *, kind: str | None = None) -> list[StoredRun]:
    """The `limit` runs (of `kind`, when given) finished last, the latest first."""
    query = select(ValidationRun)
    if kind is not None:
        query = query.where(ValidationRun.kind == kind)
    query = query.order_by(ValidationRun.finished_at.desc(), ValidationRun.id.desc())
    return [_stored(row) for row in session.scalars(query.limit(limit))]


def get_run(session: Session, run_id: int) -> StoredRun | None:
    row = session.get(ValidationRun, run_id)
    return None if row is None else _stored(row)


def prune_runs(session: Session, now: datetime, retention: timedelta) -> int:
    """Deletes the runs finished before `now - retention` but the latest of each kind, per
    challenger and whether filtered (the caller commits); returns how many."""
    latest: dict[tuple[str, str | None, bool], tuple[datetime, int]] = {}
    old: list[int] = []
    query = select(
        ValidationRun.id,
        ValidationRun.kind,
        ValidationRun.challenger_name,
        ValidationRun.finished_at,
        ValidationRun.source.is_not(None) | ValidationRun.since.is_not(None),
    )
    cutoff = now - retention
    for run_id, kind, name, finished_at, filtered in session.execute(query):
        group = (kind, name, bool(filtered))
        if group not in latest or (finished_at, run_id) > latest[group]:
            latest[group] = (finished_at, run_id)
        if finished_at < cutoff:
            old.append(run_id)
    kept = {run_id for _, run_id in latest.values()}
    doomed = [run_id for run_id in old if run_id not in kept]
    for chunk in _chunks(doomed, 500):
        session.execute(delete(ValidationRun).where(ValidationRun.id.in_(chunk)))
    return len(doomed)


def store_quietly(database_url: str, secrets: Iterable[str], **run: Any) -> StoredRun | None:
    """`store_run` in a transaction of its own on the store at `database_url`; a store that
    cannot take it (read-only, failing) is logged as a warning, never raised: the run's
    figures were printed already."""
    from app.store.engine import make_engine, make_session_factory
    from app.sync.health import summarize_error

    try:
        engine = make_engine(database_url)
        try:
            with make_session_factory(engine).begin() as session:
                return store_run(session, **run)
        finally:
            engine.dispose()
    except Exception as error:
        failure = summarize_error(error, secrets)
        logger.warning(
            "the %s run was not stored: %s: %s", run.get("kind"), failure.type, failure.message
        )
        return None


def directory_name(path: Path, directory: Path | None) -> str | None:
    """The rubric's name (its file's stem) when the file is in the rubric directory."""
    if directory is None:
        return None
    try:
        inside = path.resolve().parent == directory.resolve()
    except OSError:
        return None
    return path.stem if inside else None


def _bounded(part: dict[str, Any]) -> dict[str, Any]:
    bounded = dict(part)
    for key in LISTS:
        items: Sequence[Any] = part[key]
        bounded[key] = list(items[:KEPT])
        bounded[f"{key}_count"] = part["changed"] if key == "changes" else len(items)
    return bounded


def _as_json(document: dict[str, Any]) -> dict[str, Any]:
    """As `json.dumps(…, default=str)` prints it and JSON reads it back (what PostgreSQL's
    JSONB refuses, NaN and infinities, as null)."""
    text = json.dumps(document, ensure_ascii=False, default=str)
    parsed: dict[str, Any] = json.loads(text, parse_constant=lambda _: None)
    return parsed


def _unfiltered() -> ColumnElement[bool]:
    return and_(ValidationRun.source.is_(None), ValidationRun.since.is_(None))


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def _stored(row: ValidationRun) -> StoredRun:
    return StoredRun(
        id=row.id,
        kind=row.kind,
        trigger=row.trigger,
        rubric_name=row.rubric_name,
        rubric_version=row.rubric_version,
        challenger_name=row.challenger_name,
        challenger_version=row.challenger_version,
        source=row.source,
        since=row.since,
        started_at=row.started_at,
        finished_at=row.finished_at,
        report=row.report,
    )
