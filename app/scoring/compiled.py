"""A rubric compiled for scoring: each rule a plain function, and per object type and source a
plan of the rules that apply and where each reads its field.

CRM values repeat heavily (industries, headcounts, picklists), so while the weights counted are
fixed — no criterion of the plan may be skipped — the plan's generated scorer memoises each
criterion's whole result per raw value (recency: per whole days elapsed), and a disqualifier
memoises its verdict. The memos are bounded; a criterion's are the plan's own, since its
contribution depends on the plan's total weight.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from app.rubric.model import SKIP, Rubric
from app.scoring.facts import AccountFacts
from app.scoring.parse import is_missing
from app.scoring.results import CriterionResult, Outcome, ScoreResult
from app.scoring.rules import (
    VALUE_ONLY_RULES,
    DisqualifierTest,
    Evaluator,
    compile_criterion,
    compile_disqualifier,
)
from app.semantic.spec import SemanticSpec, semantic_specs

Evaluation = tuple[float | None, str, Outcome]
FastScorer = Callable[[AccountFacts, datetime], ScoreResult]
MEMO_LIMIT = 16_384  # per criterion; a few MiB at most
_SHOWN_VALUE_LENGTH = 40
_UNSEEN = object()


def memo_key(raw: object) -> object:
    """A dict key for a raw value that tells `True`, `1` and `1.0` apart (equal in Python)."""
    kind = type(raw)
    if kind is str:
        return raw
    return (kind, tuple(cast(list[object], raw)) if kind is list else raw)


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    id: str
    layer: str
    field_name: str
    prefix: str
    weight: float
    missing_points: float | None
    when_missing: Evaluation
    crm_properties: Mapping[str, str]
    applies_to: frozenset[str] | None
    evaluate: Evaluator
    value_only: bool
    """The outcome depends on the raw value alone, never on `now` (see `VALUE_ONLY_RULES`)."""

    def evaluation(self, raw: object, now: datetime) -> Evaluation:
        if raw is None or raw == "":
            return self.when_missing
        evaluated = self.evaluate(raw, now)
        if evaluated is not None:
            return evaluated
        if is_missing(raw):
            return self.when_missing
        shown = repr(raw)
        if len(shown) > _SHOWN_VALUE_LENGTH:
            shown = shown[: _SHOWN_VALUE_LENGTH - 3] + "..."
        return (self.missing_points, f"unreadable value {shown}", "unreadable")

    def result(self, evaluation: Evaluation, counted_weight: float) -> CriterionResult:
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
class CompiledDisqualifier:
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
            key = memo_key(raw)
            line = self.by_value.get(key, _UNSEEN)
        except TypeError:
            return self._verdict(raw)
        if line is not _UNSEEN:
            return cast(str | None, line)
        line = self._verdict(raw)
        if len(self.by_value) < MEMO_LIMIT:
            self.by_value[key] = line
        return line

    def _verdict(self, raw: object) -> str | None:
        why = self.holds(raw)
        return None if why is None else self.line(why)

    def line(self, why: str) -> str:
        return f"{self.reason}: {why} → disqualified ({self.id})"


@dataclass(frozen=True, slots=True)
class Plan:
    """The rules that apply to one object type from one source, each with where its field is
    read: `(rule, key, from_properties)` — a mapped CRM property, or the canonical value
    falling back to a raw property of the same name."""

    criteria: tuple[tuple[CompiledCriterion, str, bool], ...]
    disqualifiers: tuple[tuple[CompiledDisqualifier, str, bool], ...]
    total_weight: float
    fixed_weight: bool
    """No criterion may be skipped, so every record counts `total_weight`."""
    fast: FastScorer | None = None
    """Generated scorer for fixed-weight plans (app/scoring/fastpath.py)."""


@dataclass(frozen=True, slots=True)
class CompiledRubric:
    """A rubric turned into plain functions; build it once with `compile_rubric`."""

    rubric: Rubric
    criteria: tuple[CompiledCriterion, ...]
    disqualifiers: tuple[CompiledDisqualifier, ...]
    tiers: tuple[tuple[int, str], ...]
    fingerprint: str
    """Digest of the whole rubric: a changed rubric rescores even under the same version."""
    semantic: tuple[SemanticSpec, ...] = ()
    """The rules that read text by meaning: their facts come from the enrichment step
    (app.semantic.enrich), before scoring."""
    _plans: dict[tuple[str, str | None], Plan] = field(default_factory=dict, repr=False)
    fast_scorers: dict[tuple[str, str | None], FastScorer] = field(default_factory=dict, repr=False)
    """`Plan.fast` per (object type, source) planned so far: one look-up per record."""

    @property
    def version(self) -> str:
        """The version the rubric file declares (what a person reads and edits)."""
        return self.rubric.version

    @property
    def written_version(self) -> str:
        """The version stored with and written back with every score (see `written_version`)."""
        return written_version(self.rubric.version, self.fingerprint)

    def plan_for(self, object_type: str, source: str | None) -> Plan:
        plan = self._plans.get((object_type, source))
        if plan is None:
            plan = self._plan(object_type, source)
            self._plans[(object_type, source)] = plan
            if plan.fast is not None:
                self.fast_scorers[(object_type, source)] = plan.fast
        return plan

    def _plan(self, object_type: str, source: str | None) -> Plan:
        from app.scoring.fastpath import generate_scorer

        criteria = tuple(
            (c, *_lookup(c.field_name, c.crm_properties, source))
            for c in self.criteria
            if c.applies_to is None or object_type in c.applies_to
        )
        plan = Plan(
            criteria=criteria,
            disqualifiers=tuple(
                (d, *_lookup(d.field_name, d.crm_properties, source))
                for d in self.disqualifiers
                if d.applies_to is None or object_type in d.applies_to
            ),
            total_weight=sum(c.weight for c, _, _ in criteria),
            fixed_weight=all(c.missing_points is not None for c, _, _ in criteria),
        )
        if not plan.fixed_weight or not criteria:
            return plan
        return Plan(
            plan.criteria,
            plan.disqualifiers,
            plan.total_weight,
            plan.fixed_weight,
            fast=generate_scorer(plan, self.tier_for, self.written_version),
        )

    @property
    def fields_read(self) -> frozenset[str]:
        """Every field name a criterion or disqualifier reads (before CRM mapping)."""
        return frozenset(c.field_name for c in self.criteria) | frozenset(
            d.field_name for d in self.disqualifiers
        )

    def inputs(self, facts: AccountFacts) -> list[tuple[str, object]]:
        """Every (field, raw value) the plan for `facts` reads: what a score depends on, so
        an unchanged hash of these (with the rubric version) means an unchanged score."""
        plan = self.plan_for(facts.object_type, facts.source)
        read: list[tuple[str, object]] = []
        for _, key, from_properties in (*plan.criteria, *plan.disqualifiers):
            value = None if from_properties else facts.values.get(key)
            read.append((key, facts.properties.get(key) if value is None else value))
        return read

    def tier_for(self, score: int) -> str:
        for min_score, name in self.tiers:
            if score >= min_score:
                return name
        return self.tiers[-1][1]


VERSION_LENGTH = 64
"""The longest version the store keeps and a CRM field holds (Salesforce's is 64)."""
HASH_LENGTH = 8


def content_hash(rubric: Rubric) -> str:
    """The rubric's content, hashed in a canonical form (keys sorted): the same rules written in
    another key order are the same rubric, and do not roll out again."""
    canonical = json.dumps(rubric.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def written_version(version: str, fingerprint: str) -> str:
    """The rubric version as stored with each score and written to the CRM: the declared
    `version`, `+`, and the first 8 hex digits of the rubric's content digest, e.g.
    "2026.11-default+3f9a2c1d". Two rubrics that differ in anything share a declared version
    easily (an edit that forgot to bump it); they never share this one, so the CRM shows
    which content scored a record, and a roll-out can tell which records still carry another.
    A declared version too long for the 64 characters is cut before the `+`, never the hash."""
    suffix = f"+{fingerprint[:HASH_LENGTH]}"
    return version[: VERSION_LENGTH - len(suffix)] + suffix


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
            CompiledCriterion(
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
                value_only=c.rule_kind in VALUE_ONLY_RULES,
            )
        )
    disqualifiers = tuple(
        CompiledDisqualifier(
            id=d.id,
            field_name=d.field,
            reason=d.reason,
            crm_properties=_crm_properties(rubric, d.field),
            applies_to=frozenset(d.applies_to) if d.applies_to is not None else None,
            holds=compile_disqualifier(d),
            by_value=None if d.domain_in is not None or d.semantic is not None else {},
        )
        for d in rubric.disqualifiers
    )
    tiers = tuple((tier.min_score, tier.name) for tier in rubric.tiers)
    return CompiledRubric(
        rubric, tuple(criteria), disqualifiers, tiers, content_hash(rubric), semantic_specs(rubric)
    )
