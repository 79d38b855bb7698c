"""The validation of one rubric: its outcomes summarised in its own tier order, with only the
criteria it weights judged. `validate`, `plan` and `validate --compare` all judge a rubric this
way, so a verdict never depends on which command printed it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.rubric.model import DISQUALIFIED_TIER, Rubric
from app.validation.stats import OutcomeColumns, Outcomes, Validation, summarise


def validate_rubric(outcomes: Outcomes, rubric: Rubric) -> Validation:
    tiers = [tier.name for tier in rubric.tiers] + [DISQUALIFIED_TIER]
    weights = {criterion.id: criterion.weight for _, criterion in rubric.criteria}
    return summarise(outcomes, tiers, weights=weights)


def contacts_validation(columns: OutcomeColumns, rubric: Rubric) -> dict[str, Any]:
    """`validate_rubric` on the contacts' outcomes (resampled by company, their clusters), as
    plain data, with how many contacts they come from and at how many companies (`accounts`
    counts the companies too: what the bootstrap resamples)."""
    figures = asdict(validate_rubric(columns, rubric))
    return {"contacts": len(columns.account_id), "companies": figures["accounts"], **figures}
