"""The `semantic` rule and disqualifier test, scoring the `SemanticMatch` the enrichment step
(app.semantic.enrich) set as the rule's fact: bands of similarity to points, and a reason that
quotes the record's closest sentence, the narrative's, and the similarity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from app.rubric.model import SemanticRule, SemanticTest
from app.semantic.fact import SemanticMatch

Outcome = tuple[float, str, Literal["matched", "unmatched"]]


def semantic_criterion(
    rule: SemanticRule, otherwise: float
) -> Callable[[object, datetime], Outcome | None]:
    bands = [(band.min, band.points) for band in rule.bands]

    def classify(raw: object, _now: datetime) -> Outcome | None:
        if not isinstance(raw, SemanticMatch):
            return None
        pair = f"'{raw.sentence}' ~ '{raw.narrative}', similarity {raw.similarity:.2f}"
        for floor, points in bands:
            if raw.similarity >= floor:
                return points, f"{pair} ≥ {floor:.2f}", "matched"
        return otherwise, f"{pair} < {bands[-1][0]:.2f}", "unmatched"

    return classify


def semantic_disqualifier(test: SemanticTest) -> Callable[[object], str | None]:
    at_least, margin = test.at_least, test.margin

    def holds(raw: object) -> str | None:
        if not isinstance(raw, SemanticMatch) or raw.similarity < at_least:
            return None
        versus = raw.versus if raw.versus is not None else -1.0
        if margin is not None and raw.similarity - versus < margin:
            return None
        return (
            f"'{raw.sentence}' ~ not-us '{raw.narrative}' {raw.similarity:.2f} (ICP {versus:.2f})"
        )

    return holds
