"""The challenger rubrics' shadow scores: scored on every path the champion is (sync, webhook,
rescore; see app.sync.rescore), kept with their history and their start, and never written to
a CRM (nothing here touches the writeback state)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rubric import Rubric
from app.rubric.registry import RubricFile, RubricSet, choose, recorded_champion, rubric_files
from app.scoring import CompiledRubric, ScoreResult, compile_rubric
from app.store.insert import insert_ignoring_conflicts
from app.store.tables import ChallengerScore, ChallengerScoreHistory, ChallengerStart


class Challenger(NamedTuple):
    name: str
    """Its file's stem in the rubric directory."""
    rubric: CompiledRubric


class Rubrics(NamedTuple):
    """What a pipeline scores with: the champion (written to the CRM) and the challengers."""

    champion: CompiledRubric
    challengers: tuple[Challenger, ...] = ()


def compiled(rubric_set: RubricSet) -> Rubrics:
    return Rubrics(
        compile_rubric(rubric_set.champion.rubric),
        tuple(Challenger(c.name, compile_rubric(c.rubric)) for c in rubric_set.challengers),
    )


class LiveRubrics:
    """A rubric directory loaded and compiled once, whose champion is read from the store on
    every call: a long-running process (the inbox worker, the scheduled syncs) follows a
    `promote` run anywhere at its next batch, without a restart."""

    def __init__(self, files: dict[str, RubricFile], setting: Path | None) -> None:
        self._files, self._setting = files, setting
        self._compiled = {name: compile_rubric(f.rubric) for name, f in files.items()}

    def rubrics(self) -> list[Rubric]:
        """Every rubric of the directory, champion or not."""
        return [f.rubric for f in self._files.values()]

    def chosen(self, session: Session) -> RubricSet:
        """The champion and challengers by name, as their files hold them."""
        return choose(self._files, recorded_champion(session), self._setting)

    def __call__(self, session: Session) -> Rubrics:
        chosen = self.chosen(session)
        return Rubrics(
            self._compiled[chosen.champion.name],
            tuple(Challenger(c.name, self._compiled[c.name]) for c in chosen.challengers),
        )


def current_scores(
    session: Session, name: str, account_ids: Sequence[int]
) -> dict[int, ChallengerScore]:
    return {
        s.account_id: s
        for s in session.scalars(
            select(ChallengerScore).where(
                ChallengerScore.name == name, ChallengerScore.account_id.in_(account_ids)
            )
        )
    }


def note_start(session: Session, challenger: Challenger, now: datetime) -> None:
    """Records when this challenger, with this content, first scored: once per name (replicas
    may race; the first insert wins), again when its file changed."""
    rubric = challenger.rubric
    start = session.get(ChallengerStart, challenger.name)
    if start is None:
        session.execute(
            insert_ignoring_conflicts(session, ChallengerStart, ["name"]).values(
                name=challenger.name,
                fingerprint=rubric.fingerprint,
                rubric_version=rubric.version,
                first_scored_at=now,
            )
        )
    elif start.fingerprint != rubric.fingerprint:
        start.fingerprint, start.rubric_version = rubric.fingerprint, rubric.version
        start.first_scored_at = now


def first_scored(session: Session) -> dict[str, datetime]:
    """Challenger name → when it (as its file is now) began scoring."""
    return {s.name: s.first_scored_at for s in session.scalars(select(ChallengerStart))}


def store(
    session: Session,
    name: str,
    current: ChallengerScore | None,
    account_id: int,
    result: ScoreResult,
    digest: str,
    now: datetime,
) -> bool:
    """Stores the challenger's result (a history row when it changed); returns whether it
    changed."""
    changed = current is None or _differs(current, result)
    if current is None:
        current = ChallengerScore(name=name, account_id=account_id, scored_at=now)
        session.add(current)
    elif changed:
        current.scored_at = now
    current.score, current.tier = result.score, result.tier
    current.disqualified = result.disqualified
    current.flags, current.reasons = list(result.flags), list(result.reasons)
    current.criteria = {c.id: c.points for c in result.criteria}
    current.rubric_version = result.rubric_version
    current.input_hash = digest
    if changed:
        session.add(
            ChallengerScoreHistory(
                name=name,
                account_id=account_id,
                score=result.score,
                tier=result.tier,
                disqualified=result.disqualified,
                flags=list(result.flags),
                reasons=list(result.reasons),
                rubric_version=result.rubric_version,
                scored_at=now,
            )
        )
    return changed


def _differs(current: ChallengerScore, result: ScoreResult) -> bool:
    return (
        current.score,
        current.tier,
        list(current.flags),
        list(current.reasons),
        current.rubric_version,
    ) != (
        result.score,
        result.tier,
        list(result.flags),
        list(result.reasons),
        result.rubric_version,
    )


def live_rubrics(directory: Path, setting: Path | None) -> LiveRubrics:
    """The rubric directory's rubrics, validated now (a bad file fails the start, naming it)."""
    return LiveRubrics(rubric_files(directory), setting)
