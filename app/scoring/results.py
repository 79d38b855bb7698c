"""What the scorer returns."""

from __future__ import annotations

from typing import Literal, NamedTuple

Outcome = Literal["matched", "unmatched", "missing", "unreadable", "skipped"]


class CriterionResult(NamedTuple):
    id: str
    layer: str
    weight: float
    points: float | None
    """0-100 as the rule scored it; None when the criterion was left out of this score."""
    contribution: float
    """Score points this criterion added: weight · points / Σ weights counted."""
    outcome: Outcome
    reason: str


class ScoreResult(NamedTuple):
    score: int
    tier: str
    disqualified: bool
    flags: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    """One line per criterion, in rubric order, then one per disqualifier that holds."""
    rubric_version: str
