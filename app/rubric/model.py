"""Schema of a rubric file. Strict: unknown keys and wrong types are errors, so a typo in a
weight never silently scores with a default."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator

Number = Annotated[float, Field(allow_inf_nan=False)]
Points = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
FieldName = Annotated[str, Field(min_length=1, max_length=128)]
CrmSource = Literal["hubspot", "salesforce"]
DISQUALIFIED_TIER = "disqualified"
SKIP = "skip"
SeniorityLevel = Literal[
    "c_level", "vp", "head", "director", "manager", "individual_contributor", "unknown"
]
SENIORITY_LEVELS: tuple[SeniorityLevel, ...] = get_args(SeniorityLevel)
"""Highest first; what `app.scoring.titles.seniority_of` reads from a job title."""
_LEVEL_LIST = ", ".join(SENIORITY_LEVELS)
OBJECT_TYPES = ("account", "company", "lead", "contact")
"""The object types records come as (Salesforce account and lead, HubSpot company and
contact); `applies_to` naming another is allowed but never matches a synced record."""


def _parse_missing_policy(value: object) -> float | str:
    """`missing` is either the points a criterion scores when its field is empty, or `skip`
    (leave the criterion out and renormalise the weights over the others)."""
    if value == SKIP:
        return SKIP
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100:
        return float(value)
    raise ValueError("expected points from 0 to 100, or 'skip'")


MissingPolicy = Annotated[float | str, PlainValidator(_parse_missing_policy)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MatchLevel(_Strict):
    """One level of a categorical match: a value equal to one of `values` or containing one
    of `keywords` (case, spaces, `_` and punctuation ignored) scores `points`."""

    label: Annotated[str, Field(min_length=1, max_length=60)]
    points: Points
    values: list[Annotated[str, Field(min_length=1)]] = []
    keywords: list[Annotated[str, Field(min_length=1)]] = []

    @model_validator(mode="after")
    def _has_something_to_match(self) -> MatchLevel:
        if not self.values and not self.keywords:
            raise ValueError("a match level needs `values` or `keywords`")
        return self


class Band(_Strict):
    """A numeric range: `min` inclusive, `max` exclusive; either may be left open."""

    min: Number | None = None
    max: Number | None = None
    points: Points

    @model_validator(mode="after")
    def _is_a_range(self) -> Band:
        if self.min is None and self.max is None:
            raise ValueError("a band needs `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"`min` ({self.min:g}) must be below `max` ({self.max:g})")
        return self


class AnyOfRule(_Strict):
    values: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    points: Points = 100


class CountStep(_Strict):
    at_least: Annotated[int, Field(ge=1)]
    points: Points


class CountRule(_Strict):
    """Counts the items of a list field (only those in `values`, when given) and scores the
    first step whose `at_least` the count reaches."""

    values: list[Annotated[str, Field(min_length=1)]] = []
    steps: list[CountStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _steps_descend(self) -> CountRule:
        thresholds = [step.at_least for step in self.steps]
        if thresholds != sorted(set(thresholds), reverse=True):
            raise ValueError("steps must be ordered by `at_least`, highest first, without repeats")
        return self


class RecencyRule(_Strict):
    """Days since an event: `points` within `full_within_days`, decaying linearly to 0 at
    `zero_after_days`."""

    full_within_days: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    zero_after_days: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    points: Points = 100

    @model_validator(mode="after")
    def _decays_forward(self) -> RecencyRule:
        if self.zero_after_days <= self.full_within_days:
            raise ValueError("`zero_after_days` must be greater than `full_within_days`")
        return self


class BooleanRule(_Strict):
    when_true: Points = 100
    when_false: Points = 0


def _shown(value: object) -> str:
    try:
        shown = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for int → str
        return "a number with more than 4300 digits"
    return shown if len(shown) <= 40 else shown[:37] + "..."


class SeniorityRule(_Strict):
    """Points per seniority level read from a job title (`app/scoring/titles.py`); a level
    not given scores the criterion's `otherwise`."""

    c_level: Points | None = None
    vp: Points | None = None
    head: Points | None = None
    director: Points | None = None
    manager: Points | None = None
    individual_contributor: Points | None = None
    unknown: Points | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_levels(cls, data: object) -> object:
        if isinstance(data, dict):
            if not data:
                raise ValueError(f"`seniority` needs points for at least one of {_LEVEL_LIST}")
            for key, value in data.items():
                if key not in SENIORITY_LEVELS:
                    raise ValueError(
                        f"unknown seniority level {_shown(key)} (given {_shown(value)}); "
                        f"expected one of {_LEVEL_LIST}"
                    )
        return data

    def points_by_level(self) -> dict[SeniorityLevel, float]:
        return {
            level: points
            for level in SENIORITY_LEVELS
            if (points := getattr(self, level)) is not None
        }


Similarity = Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)]
SEMANTIC_PREFIX = "semantic."
"""The fact a semantic rule reads, `semantic.<id>`: set by the enrichment step
(app/semantic), never a CRM property."""


class SimilarityBand(_Strict):
    """Cosine similarity from `min` (inclusive) up: the first band, highest first, whose `min`
    the closest sentence reaches scores its points."""

    min: Similarity
    points: Points


class SemanticRule(_Strict):
    """Compares the text of `fields` (joined) by meaning with the narrative: the rubric's
    `narrative.us`, or this rule's own `narrative`; the similarity of the whole texts scores,
    the closest pair of sentences is quoted (app.semantic.match)."""

    fields: list[FieldName] = Field(min_length=1, max_length=8)
    bands: list[SimilarityBand] = Field(min_length=1)
    narrative: Annotated[str, Field(min_length=1, max_length=8000)] | None = None

    @model_validator(mode="after")
    def _bands_descend(self) -> SemanticRule:
        floors = [band.min for band in self.bands]
        if floors != sorted(set(floors), reverse=True):
            raise ValueError(
                "semantic bands must be ordered by `min`, highest first, without repeats"
            )
        return self


class SemanticTest(_Strict):
    """Holds when a sentence of the record is at least `at_least` similar to a sentence of the
    negative ICP (the rubric's `narrative.not_us`, or this test's own `narrative`) and, with a
    `margin`, more similar to it than any is to the ICP (`narrative.us`) by that much: a text
    near both (a consultancy that implements what our buyers need) is judged by which it is
    nearer."""

    fields: list[FieldName] = Field(min_length=1, max_length=8)
    at_least: Similarity
    margin: Annotated[float, Field(ge=-2, le=2, allow_inf_nan=False)] | None = None
    narrative: Annotated[str, Field(min_length=1, max_length=8000)] | None = None


class Narrative(_Strict):
    """The team's ICP in its own words: `us` (situation, trigger, problem), and optionally
    `not_us` (the negative ICP). Paragraphs are separated by blank lines."""

    us: Annotated[str, Field(min_length=1, max_length=8000)]
    not_us: Annotated[str, Field(max_length=8000)] = ""


def _semantic_field(data: object, kind: str) -> object:
    """A semantic rule reads its own `fields`; its `field` is the fact the enrichment step
    sets, `semantic.<id>`, filled in here so everything that reads `field` reads that."""
    if isinstance(data, dict) and data.get("semantic") is not None:
        if "field" in data:
            raise ValueError(
                f"a semantic {kind} reads the text fields in `semantic.fields`; "
                f"remove `field` ({_shown(data['field'])})"
            )
        ident = data.get("id")
        if isinstance(ident, str):
            return {**data, "field": f"{SEMANTIC_PREFIX}{ident}"}
    return data


RULE_KINDS = ("match", "bands", "any_of", "count", "recency", "boolean", "seniority", "semantic")


class Criterion(_Strict):
    id: Identifier
    field: FieldName
    weight: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    reason: Annotated[str, Field(min_length=1, max_length=80)]
    missing: MissingPolicy = 0.0
    otherwise: Points = 0
    applies_to: list[Identifier] | None = None

    match: list[MatchLevel] | None = None
    bands: list[Band] | None = None
    any_of: AnyOfRule | None = None
    count: CountRule | None = None
    recency: RecencyRule | None = None
    boolean: BooleanRule | None = None
    seniority: SeniorityRule | None = None
    semantic: SemanticRule | None = None

    @model_validator(mode="before")
    @classmethod
    def _semantic_reads_its_fields(cls, data: object) -> object:
        return _semantic_field(data, "criterion")

    @model_validator(mode="after")
    def _exactly_one_rule(self) -> Criterion:
        given = [kind for kind in RULE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"a criterion needs exactly one rule of {', '.join(RULE_KINDS)}; found: {found}"
            )
        if (given == ["match"] and not self.match) or (given == ["bands"] and not self.bands):
            raise ValueError(f"`{given[0]}` needs at least one entry")
        return self

    @property
    def rule_kind(self) -> str:
        return next(kind for kind in RULE_KINDS if getattr(self, kind) is not None)


class Layer(_Strict):
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)


class Tier(_Strict):
    name: Identifier
    label: Annotated[str, Field(min_length=1, max_length=40)]
    min_score: Annotated[int, Field(ge=0, le=100)]


class Disqualifier(_Strict):
    """A negative-ICP rule: when it holds, the record is tier `disqualified` whatever its score.
    A missing value never disqualifies."""

    id: Identifier
    field: FieldName
    reason: Annotated[str, Field(min_length=1, max_length=120)]
    applies_to: list[Identifier] | None = None

    less_than: Number | None = None
    greater_than: Number | None = None
    one_of: list[Annotated[str, Field(min_length=1)]] | None = None
    domain_in: list[Annotated[str, Field(min_length=1)]] | None = None
    is_true: Literal[True] | None = None
    semantic: SemanticTest | None = None

    @model_validator(mode="before")
    @classmethod
    def _semantic_reads_its_fields(cls, data: object) -> object:
        return _semantic_field(data, "disqualifier")

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Disqualifier:
        tests = ("less_than", "greater_than", "one_of", "domain_in", "is_true", "semantic")
        given = [test for test in tests if getattr(self, test) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(
                f"a disqualifier needs exactly one test of {', '.join(tests)}; found: {found}"
            )
        return self


class Rubric(_Strict):
    version: Annotated[str, Field(min_length=1, max_length=64)]
    name: str = "ICP rubric"
    description: str = ""
    fields: dict[FieldName, dict[CrmSource, FieldName]] = {}
    layers: dict[Identifier, Layer] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    disqualifiers: list[Disqualifier] = []
    narrative: Narrative | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        ids = [c.id for layer in self.layers.values() for c in layer.criteria]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"criterion ids must be unique; repeated: {', '.join(repeated)}")
        flags = [d.id for d in self.disqualifiers]
        repeated = sorted({f for f in flags if flags.count(f) > 1})
        if repeated:
            raise ValueError(f"disqualifier ids must be unique; repeated: {', '.join(repeated)}")
        self._check_tiers()
        self._check_narratives()
        return self

    def _check_narratives(self) -> None:
        us = self.narrative.us if self.narrative else ""
        not_us = self.narrative.not_us if self.narrative else ""
        for _, criterion in self.criteria:
            if criterion.semantic is not None and not (criterion.semantic.narrative or us):
                raise ValueError(
                    f"semantic criterion {criterion.id!r} needs a narrative: give the rubric's "
                    "`narrative.us` or the rule's own `narrative`"
                )
        for rule in self.disqualifiers:
            if rule.semantic is None:
                continue
            if not (rule.semantic.narrative or not_us):
                raise ValueError(
                    f"semantic disqualifier {rule.id!r} needs a negative ICP: give the "
                    "rubric's `narrative.not_us` or the test's own `narrative`"
                )
            if not us:
                raise ValueError(
                    f"semantic disqualifier {rule.id!r} compares with the ICP too: give the "
                    "rubric's `narrative.us`"
                )

    @property
    def semantic_rules(self) -> list[Criterion | Disqualifier]:
        """The criteria and disqualifiers that read text by meaning."""
        return [c for _, c in self.criteria if c.semantic is not None] + [
            d for d in self.disqualifiers if d.semantic is not None
        ]

    def _check_tiers(self) -> None:
        names = [tier.name for tier in self.tiers]
        if DISQUALIFIED_TIER in names:
            raise ValueError(f"tier name '{DISQUALIFIED_TIER}' is reserved for the negative ICP")
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        thresholds = [tier.min_score for tier in self.tiers]
        if thresholds != sorted(set(thresholds), reverse=True):
            raise ValueError("tiers must be ordered by `min_score`, highest first, without repeats")
        if thresholds[-1] != 0:
            raise ValueError("the last tier must have `min_score: 0` so every score gets a tier")

    @property
    def criteria(self) -> list[tuple[str, Criterion]]:
        """(layer name, criterion) in file order."""
        return [(name, c) for name, layer in self.layers.items() for c in layer.criteria]

    @property
    def total_weight(self) -> float:
        return sum(c.weight for _, c in self.criteria)
