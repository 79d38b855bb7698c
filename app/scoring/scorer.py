"""`score(facts, rubric, now)`: the ICP fit score of one record, with every reason.

Score = round(Σ weightᵢ·pointsᵢ / Σ weightᵢ) over the criteria that apply to the record's
object type and are not left out by a `missing: skip` policy. Any disqualifier that holds makes
the tier `disqualified`; the score is still computed and kept, for transparency.

Speed (bench/score_throughput.py): CRM values repeat heavily (industries, headcounts,
picklists), so when the weights counted cannot vary — no criterion of the record's plan may be
skipped — each criterion memoises its whole result per raw value, and a disqualifier its
verdict; the memos are bounded. Results never depend on anything but the value (and, for
recency, whole days elapsed, which the rule memoises itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple, cast

from app.rubric.model import DISQUALIFIED_TIER, SKIP, Rubric
from app.scoring.facts import AccountFacts
from app.scoring.parse import is_missing
from app.scoring.rules import (
    VALUE_ONLY_RULES,
    DisqualifierTest,
    Evaluator,
    compile_criterion,
    compile_disqualifier,
)

Outcome = Literal["matched", "unmatched", "missing", "unreadable", "skipped"]
_Evaluation = tuple[float | None, str, Outcome]
_SHOWN_VALUE_LENGTH = 40
_MEMO_LIMIT = 4096
_UNSEEN = object()


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


def _memo_key(raw: object) -> object:
    """A dict key for a raw value that tells `True`, `1` and `1.0` apart (equal in Python)."""
    kind = type(raw)
    if kind is str:
        return raw
    return (kind, tuple(cast(list[object], raw)) if kind is list else raw)


@dataclass(frozen=True, slots=True)
class _Criterion:
    id: str
    layer: str
    field_name: str
    prefix: str
    weight: float
    missing_points: float | None
    when_missing: _Evaluation
    crm_properties: Mapping[str, str]
    applies_to: frozenset[str] | None
    evaluate: Evaluator
    by_value: dict[object, CriterionResult] | None
    """Result per raw value, for value-only rules, valid while the weights counted are fixed."""
    by_evaluation: dict[_Evaluation, CriterionResult] = field(default_factory=dict)
    """Result per evaluation, for the other rules (recency), under the same condition."""

    def evaluation(self, raw: object, now: datetime) -> _Evaluation:
        evaluated = None if raw is None else self.evaluate(raw, now)
        if evaluated is not None:
            return evaluated
        if is_missing(raw):
            return self.when_missing
        shown = repr(raw)
        if len(shown) > _SHOWN_VALUE_LENGTH:
            shown = shown[: _SHOWN_VALUE_LENGTH - 3] + "..."
        return (self.missing_points, f"unreadable value {shown}", "unreadable")

    def result(self, evaluation: _Evaluation, counted_weight: float) -> CriterionResult:
        points, detail, outcome = evaluation
        if points is None:
            contribution, reason = 0.0, f"{self.prefix}{detail}, not counted"
        else:
            contribution = self.weight * points / counted_weight
            signed = f"+{contribution:.1f}".removesuffix(".0")
            reason = f"{self.prefix}{detail} {signed}"
        return CriterionResult(
            self.id, self.layer, self.weight, points, contribution, outcome, reason
        )


@dataclass(frozen=True, slots=True)
class _Disqualifier:
    id: str
    field_name: str
    reason: str
    crm_properties: Mapping[str, str]
    applies_to: frozenset[str] | None
    holds: DisqualifierTest
    by_value: dict[object, str | None] | None
    """Reason line (None: does not hold) per raw value; None for rules on values that rarely
    repeat (domains), where a memo would only cost."""

    def check(self, raw: object) -> str | None:
        """The reason line when this rule holds for `raw`, else None."""
        if self.by_value is None:
            return self._verdict(raw)
        try:
            key = _memo_key(raw)
            line = self.by_value.get(key, _UNSEEN)
        except TypeError:
            return self._verdict(raw)
        if line is not _UNSEEN:
            return cast(str | None, line)
        line = self._verdict(raw)
        if len(self.by_value) < _MEMO_LIMIT:
            self.by_value[key] = line
        return line

    def _verdict(self, raw: object) -> str | None:
        why = self.holds(raw)
        return None if why is None else self.line(why)

    def line(self, why: str) -> str:
        return f"{self.reason}: {why} → disqualified ({self.id})"


@dataclass(frozen=True, slots=True)
class _Plan:
    """The rules that apply to one object type from one source, each with where its field is
    read: `(rule, key, from_properties)` — a mapped CRM property, or the canonical value
    falling back to a raw property of the same name."""

    criteria: tuple[tuple[_Criterion, str, bool], ...]
    disqualifiers: tuple[tuple[_Disqualifier, str, bool], ...]
    total_weight: float
    fixed_weight: bool
    """No criterion may be skipped, so every record counts `total_weight`."""


@dataclass(frozen=True, slots=True)
class CompiledRubric:
    """A rubric turned into plain functions; build it once with `compile_rubric`."""

    rubric: Rubric
    criteria: tuple[_Criterion, ...]
    disqualifiers: tuple[_Disqualifier, ...]
    tiers: tuple[tuple[int, str], ...]
    _plans: dict[tuple[str, str | None], _Plan] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return self.rubric.version

    def plan_for(self, object_type: str, source: str | None) -> _Plan:
        plan = self._plans.get((object_type, source))
        if plan is None:
            criteria = tuple(
                (c, *_lookup(c.field_name, c.crm_properties, source))
                for c in self.criteria
                if c.applies_to is None or object_type in c.applies_to
            )
            plan = _Plan(
                criteria=criteria,
                disqualifiers=tuple(
                    (d, *_lookup(d.field_name, d.crm_properties, source))
                    for d in self.disqualifiers
                    if d.applies_to is None or object_type in d.applies_to
                ),
                total_weight=sum(c.weight for c, _, _ in criteria),
                fixed_weight=all(c.missing_points is not None for c, _, _ in criteria),
            )
            self._plans[(object_type, source)] = plan
        return plan

    def tier_for(self, score: int) -> str:
        for min_score, name in self.tiers:
            if score >= min_score:
                return name
        return self.tiers[-1][1]


def _lookup(name: str, crm_properties: Mapping[str, str], source: str | None) -> tuple[str, bool]:
    mapped = crm_properties.get(source) if source is not None else None
    return (mapped, True) if mapped is not None else (name, False)


def _crm_properties(rubric: Rubric, field_name: str) -> dict[str, str]:
    return {str(source): name for source, name in rubric.fields.get(field_name, {}).items()}


def compile_rubric(rubric: Rubric) -> CompiledRubric:
    criteria = []
    for layer, c in rubric.criteria:
        missing_points = None if c.missing == SKIP else float(c.missing)
        criteria.append(
            _Criterion(
                id=c.id,
                layer=layer,
                field_name=c.field,
                prefix=f"{c.reason}: ",
                weight=c.weight,
                missing_points=missing_points,
                when_missing=(None, "missing", "skipped")
                if missing_points is None
                else (missing_points, "missing", "missing"),
                crm_properties=_crm_properties(rubric, c.field),
                applies_to=frozenset(c.applies_to) if c.applies_to is not None else None,
                evaluate=compile_criterion(c),
                by_value={} if c.rule_kind in VALUE_ONLY_RULES else None,
            )
        )
    disqualifiers = tuple(
        _Disqualifier(
            id=d.id,
            field_name=d.field,
            reason=d.reason,
            crm_properties=_crm_properties(rubric, d.field),
            applies_to=frozenset(d.applies_to) if d.applies_to is not None else None,
            holds=compile_disqualifier(d),
            by_value=None if d.domain_in is not None else {},
        )
        for d in rubric.disqualifiers
    )
    tiers = tuple((tier.min_score, tier.name) for tier in rubric.tiers)
    return CompiledRubric(rubric, tuple(criteria), disqualifiers, tiers)


def _read(values: Mapping[str, object], properties: Mapping[str, object], key: str) -> object:
    value = values.get(key)
    return properties.get(key) if value is None else value


def score(facts: AccountFacts, rubric: CompiledRubric, now: datetime) -> ScoreResult:
    """Scores one record. Pure: the same facts, rubric and `now` always give the same result."""
    plan = rubric.plan_for(facts.object_type, facts.source)
    values = facts.values
    properties = facts.properties
    if plan.fixed_weight:
        results, weighted_points = _fixed_weight_results(plan, values, properties, now)
        counted_weight = plan.total_weight
    else:
        results, weighted_points, counted_weight = _variable_weight_results(
            plan, values, properties, now
        )
    total = min(100, max(0, int(weighted_points / counted_weight + 0.5))) if counted_weight else 0

    reasons = [result.reason for result in results]
    flags: list[str] = []
    for disqualifier, key, from_properties in plan.disqualifiers:
        if from_properties:
            raw = properties.get(key)
        else:
            raw = values.get(key)
            if raw is None:
                raw = properties.get(key)
        if raw is None:
            continue
        if disqualifier.by_value is None:
            why = disqualifier.holds(raw)
            line = None if why is None else disqualifier.line(why)
        else:
            line = disqualifier.check(raw)
        if line is not None:
            flags.append(disqualifier.id)
            reasons.append(line)

    # tuple.__new__ skips the NamedTuple constructor's Python frame: measurable at 100k/s.
    return tuple.__new__(
        ScoreResult,
        (
            total,
            DISQUALIFIED_TIER if flags else rubric.tier_for(total),
            bool(flags),
            tuple(flags),
            tuple(results),
            tuple(reasons),
            rubric.rubric.version,
        ),
    )


def _fixed_weight_results(
    plan: _Plan, values: Mapping[str, object], properties: Mapping[str, object], now: datetime
) -> tuple[list[CriterionResult], float]:
    """The common case, kept lean: one memo look-up per criterion when values repeat."""
    results: list[CriterionResult] = []
    weighted_points = 0.0
    total_weight = plan.total_weight
    for criterion, key, from_properties in plan.criteria:
        if from_properties:
            raw = properties.get(key)
        else:
            raw = values.get(key)
            if raw is None:
                raw = properties.get(key)
        memo = criterion.by_value
        if memo is None:
            evaluation = criterion.evaluation(raw, now)
            result = criterion.by_evaluation.get(evaluation)
            if result is None:
                result = criterion.result(evaluation, total_weight)
                if len(criterion.by_evaluation) < _MEMO_LIMIT:
                    criterion.by_evaluation[evaluation] = result
        else:
            try:
                memo_key = raw if type(raw) is str else _memo_key(raw)
                result = memo.get(memo_key)
            except TypeError:
                memo_key, result = None, None
            if result is None:
                result = criterion.result(criterion.evaluation(raw, now), total_weight)
                if memo_key is not None and len(memo) < _MEMO_LIMIT:
                    memo[memo_key] = result
        results.append(result)
        # Missing points are never None in a fixed-weight plan.
        weighted_points += criterion.weight * (result.points or 0.0)
    return results, weighted_points


def _variable_weight_results(
    plan: _Plan, values: Mapping[str, object], properties: Mapping[str, object], now: datetime
) -> tuple[list[CriterionResult], float, float]:
    evaluations: list[_Evaluation] = []
    weighted_points = 0.0
    counted_weight = 0.0
    for criterion, key, from_properties in plan.criteria:
        raw = properties.get(key) if from_properties else _read(values, properties, key)
        evaluation = criterion.evaluation(raw, now)
        evaluations.append(evaluation)
        if evaluation[0] is not None:
            weighted_points += criterion.weight * evaluation[0]
            counted_weight += criterion.weight
    results = [
        criterion.result(evaluation, counted_weight)
        for (criterion, _, _), evaluation in zip(plan.criteria, evaluations, strict=True)
    ]
    return results, weighted_points, counted_weight
