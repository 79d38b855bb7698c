"""A score as HubSpot property values (all strings, as the API takes them). Pure."""

from __future__ import annotations

from connectors.base import AccountScore
from connectors.hubspot import schema
from connectors.text import format_datetime, join_reasons, truncate_utf16, utf16_length

MAX_TEXT_LENGTH = 65_536
"""HubSpot's limit for a string property, counted (like JavaScript) in UTF-16 code units."""


def render_score(score: AccountScore) -> dict[str, str]:
    """The `icp_*` values for one score. `scored_at` must be timezone-aware."""
    return {
        schema.FIT_SCORE: str(int(score.score)),
        schema.TIER: score.tier,
        schema.DISQUALIFIED_FLAG: "true" if score.disqualified else "false",
        schema.FLAGS: ";".join(dict.fromkeys(score.flags)),
        schema.REASONS: join_reasons(
            score.reasons, MAX_TEXT_LENGTH, length=utf16_length, truncate=truncate_utf16
        ),
        schema.SCORED_AT: format_datetime(score.scored_at),
        schema.RUBRIC_VERSION: score.rubric_version,
    }
