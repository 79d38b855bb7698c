"""A score as HubSpot property values (all strings, as the API takes them). Pure."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import AccountScore
from connectors.hubspot import schema

MAX_TEXT_LENGTH = 65_536
"""HubSpot's limit for a string property, counted (like JavaScript) in UTF-16 code units."""


def render_score(score: AccountScore) -> dict[str, str]:
    """The `icp_*` values for one score. `scored_at` must be timezone-aware."""
    return {
        schema.FIT_SCORE: str(int(score.score)),
        schema.TIER: score.tier,
        schema.DISQUALIFIED_FLAG: "true" if score.disqualified else "false",
        schema.FLAGS: ";".join(dict.fromkeys(score.flags)),
        schema.REASONS: join_reasons(score.reasons),
        schema.SCORED_AT: format_datetime(score.scored_at),
        schema.RUBRIC_VERSION: score.rubric_version,
    }


def format_datetime(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and `Z`, HubSpot's own format."""
    if moment.tzinfo is None:
        raise ValueError("scored_at must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def join_reasons(reasons: tuple[str, ...], limit: int = MAX_TEXT_LENGTH) -> str:
    """One reason per line. Over `limit` UTF-16 units, whole lines are kept while they fit and a
    last line says how many were left out; a first line alone too long keeps its head."""
    lines = [" ".join(reason.splitlines()) for reason in reasons]
    text = "\n".join(lines)
    if utf16_length(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        separator = 1 if kept else 0
        after = _omitted(len(lines) - index - 1)
        if used + separator + utf16_length(line) + 1 + utf16_length(after) > limit:
            break
        kept.append(line)
        used += separator + utf16_length(line)
    omitted = len(lines) - len(kept)
    if kept:
        return "\n".join([*kept, _omitted(omitted)])
    tail = _omitted(omitted - 1) if omitted > 1 else ""
    room = limit - 1 - (utf16_length(tail) + 1 if tail else 0)
    head = truncate_utf16(lines[0], room) + "…"
    return f"{head}\n{tail}" if tail else head


def _omitted(count: int) -> str:
    return f"… {count} more not shown"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate_utf16(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` UTF-16 units (never half a surrogate pair)."""
    if units <= 0:
        return ""
    encoded = text.encode("utf-16-le")[: units * 2]
    return encoded.decode("utf-16-le", errors="ignore")
