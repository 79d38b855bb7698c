"""A score as the seven `ICP_*__c` values, all strings (the desired state the service stores);
`connectors.salesforce.write` turns them into JSON types per field. Pure."""

from __future__ import annotations

from connectors.base import AccountScore
from connectors.salesforce import schema
from connectors.text import format_datetime, join_reasons, truncate_utf16, utf16_length


def render_score(score: AccountScore) -> dict[str, str]:
    """The `ICP_*__c` values for one score. `scored_at` must be timezone-aware. The reasons
    fit the LongTextArea, counted in UTF-16 units (see `connectors.text`); the rubric version
    is cut to its Text(64) field rather than have every write refused."""
    return {
        schema.FIT_SCORE: str(int(score.score)),
        schema.TIER: score.tier,
        schema.DISQUALIFIED_FLAG: "true" if score.disqualified else "false",
        schema.FLAGS: ";".join(dict.fromkeys(score.flags)),
        schema.REASONS: join_reasons(
            score.reasons, schema.REASONS_LENGTH, length=utf16_length, truncate=truncate_utf16
        ),
        schema.SCORED_AT: format_datetime(score.scored_at),
        schema.RUBRIC_VERSION: score.rubric_version[: schema.RUBRIC_VERSION_LENGTH],
    }
