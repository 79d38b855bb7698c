"""The pure ICP scorer: no I/O, no clock reads, no ORM objects."""

from app.scoring.compiled import CompiledRubric, compile_rubric
from app.scoring.facts import AccountFacts
from app.scoring.results import CriterionResult, ScoreResult
from app.scoring.scorer import score

__all__ = [
    "AccountFacts",
    "CompiledRubric",
    "CriterionResult",
    "ScoreResult",
    "compile_rubric",
    "score",
]
