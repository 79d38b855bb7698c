"""The pure ICP scorer: no I/O, no clock reads, no ORM objects."""

from app.scoring.facts import AccountFacts
from app.scoring.scorer import CompiledRubric, CriterionResult, ScoreResult, compile_rubric, score

__all__ = [
    "AccountFacts",
    "CompiledRubric",
    "CriterionResult",
    "ScoreResult",
    "compile_rubric",
    "score",
]
