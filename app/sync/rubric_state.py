"""Which rubric scored the store, per CRM: recorded when a roll-out completes (app.sync.rollout),
read by `serve` at start (does its rubric need rolling out?) and by a sync (may it bring the
stragglers of an earlier rubric over to its own?)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.store.tables import RubricRollout


def recorded_rubric(session: Session, source: str) -> RubricRollout | None:
    """The rubric last rolled out to `source`; None if none ever was."""
    return session.get(RubricRollout, source)


def is_rolled_out(session: Session, source: str, rubric: CompiledRubric) -> bool:
    recorded = recorded_rubric(session, source)
    return recorded is not None and recorded.fingerprint == rubric.fingerprint


def may_sweep(session: Session, source: str, rubric: CompiledRubric) -> bool:
    """Whether a sync may rescore the stored accounts an earlier rubric scored: when `rubric`
    is the one rolled out (the sweep completes it), or none ever was. Another rubric is rolled
    out explicitly (`icp-sync rescore`, `serve` at start) and never by a sync: in a rolling
    upgrade an old replica's schedule would otherwise take every account back."""
    recorded = recorded_rubric(session, source)
    return recorded is None or recorded.fingerprint == rubric.fingerprint


def record_rubric(
    session: Session, source: str, rubric: CompiledRubric, accounts: int, now: datetime
) -> None:
    row = recorded_rubric(session, source)
    if row is None:
        row = RubricRollout(source=source)
        session.add(row)
    row.fingerprint = rubric.fingerprint
    row.rubric_version = rubric.written_version
    row.accounts = accounts
    row.completed_at = now
