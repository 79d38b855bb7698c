"""`score(facts, rubric, now)`: the ICP fit score of one record, with every reason.

Score = round(Σ weightᵢ·pointsᵢ / Σ weightᵢ) over the criteria that apply to the record's
object type and are not left out by a `missing: skip` policy. Any disqualifier that holds makes
the tier `disqualified`; the score is still computed and kept, for transparency.

Plans whose weights cannot vary are scored by a generated function (app/scoring/fastpath.py);
`score_reference` is the plain implementation it must agree with, and scores the others.
"""

from __future__ import annotations

from datetime import datetime

from app.rubric.model import DISQUALIFIED_TIER
from app.scoring.compiled import CompiledRubric, Evaluation
from app.scoring.facts import AccountFacts
from app.scoring.results import ScoreResult


def score(facts: AccountFacts, rubric: CompiledRubric, now: datetime) -> ScoreResult:
    """Scores one record. Pure: the same facts, rubric and `now` always give the same result."""
    fast = rubric.fast_scorers.get((facts.object_type, facts.source))
    if fast is not None:
        return fast(facts, now)
    plan = rubric.plan_for(facts.object_type, facts.source)
    if plan.fast is not None:
        return plan.fast(facts, now)
    return score_reference(facts, rubric, now)


def score_reference(facts: AccountFacts, rubric: CompiledRubric, now: datetime) -> ScoreResult:
    """The straightforward scorer, without memos or generated code."""
    plan = rubric.plan_for(facts.object_type, facts.source)
    values = facts.values
    properties = facts.properties

    def read(key: str, from_properties: bool) -> object:
        if from_properties:
            return properties.get(key)
        value = values.get(key)
        return properties.get(key) if value is None else value

    evaluations: list[Evaluation] = []
    weighted_points = 0.0
    counted_weight = 0.0
    for criterion, key, from_properties in plan.criteria:
        evaluation = criterion.evaluation(read(key, from_properties), now)
        evaluations.append(evaluation)
        if evaluation[0] is not None:
            weighted_points += criterion.weight * evaluation[0]
            counted_weight += criterion.weight
    total = min(100, max(0, int(weighted_points / counted_weight + 0.5))) if counted_weight else 0
    results = tuple(
        criterion.result(evaluation, counted_weight)
        for (criterion, _, _), evaluation in zip(plan.criteria, evaluations, strict=True)
    )

    reasons = [result.reason for result in results]
    flags: list[str] = []
    for disqualifier, key, from_properties in plan.disqualifiers:
        raw = read(key, from_properties)
        why = None if raw is None else disqualifier.holds(raw)
        if why is not None:
            flags.append(disqualifier.id)
            reasons.append(disqualifier.line(why))

    return ScoreResult(
        total,
        DISQUALIFIED_TIER if flags else rubric.tier_for(total),
        bool(flags),
        tuple(flags),
        results,
        tuple(reasons),
        rubric.written_version,
    )
