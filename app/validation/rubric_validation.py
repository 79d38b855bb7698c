"""The validation of one rubric: its outcomes summarised in its own tier order, with only the
criteria it weights judged. `validate`, `plan` and `validate --compare` all judge a rubric this
way, so a verdict never depends on which command printed it."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.rubric.model import DISQUALIFIED_TIER, Rubric
from app.validation.populations import COMPANY_CLUSTER
from app.validation.stats import OutcomeColumns, Outcomes, Validation, summarise


def validate_rubric(outcomes: Outcomes, rubric: Rubric, *, unit: str = "account") -> Validation:
    tiers = [tier.name for tier in rubric.tiers] + [DISQUALIFIED_TIER]
    weights = {criterion.id: criterion.weight for _, criterion in rubric.criteria}
    return summarise(outcomes, tiers, weights=weights, unit=unit)


def contacts_validation(columns: OutcomeColumns, rubric: Rubric) -> dict[str, Any]:
    """`validate_rubric` on the contacts' outcomes, resampled by company, as plain data, with
    how many contacts they come from, at how many companies, and how many have none (each
    resampled on its own: `accounts` counts what the bootstrap resamples, both together)."""
    figures = asdict(validate_rubric(columns, rubric, unit="company"))
    clusters = set(columns.cluster or columns.account_id)
    alone = sum(1 for cluster in clusters if not cluster.startswith(COMPANY_CLUSTER))
    return {
        "contacts": len(columns.account_id),
        "companies": len(clusters) - alone,
        "without_company": alone,
        **figures,
    }
