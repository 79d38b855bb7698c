"""Writeback text both CRMs share: the reasons list cut to a field's limit, and timestamps.

A field limit is counted the way its CRM counts, so `join_reasons` takes the length (and the
matching truncation) as parameters. Both CRMs count UTF-16 code units: HubSpot (like
JavaScript) documents it; Salesforce documents "characters", but its characters are Java
`String.length()`, so an emoji counts as two there too. Counting UTF-16 units is also never
over a limit counted in code points, so the default is the safe choice for any CRM;
`len`/`truncate_chars` exist for a store that does count code points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

Length = Callable[[str], int]
Truncate = Callable[[str, int], str]


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate_utf16(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` UTF-16 units (never half a surrogate pair)."""
    if units <= 0:
        return ""
    encoded = text.encode("utf-16-le")[: units * 2]
    return encoded.decode("utf-16-le", errors="ignore")


def truncate_chars(text: str, chars: int) -> str:
    """The first `chars` code points of `text` (the truncation that goes with `len`)."""
    return text[: max(chars, 0)]


def join_reasons(
    reasons: Sequence[str],
    limit: int,
    *,
    length: Length = utf16_length,
    truncate: Truncate = truncate_utf16,
) -> str:
    """One reason per line, within `limit` as `length` counts. Over it, whole lines are kept
    while they fit and a last line says how many were left out; a first line alone too long
    keeps its head (cut by `truncate`, which must agree with `length`)."""
    lines = [" ".join(reason.splitlines()) for reason in reasons]
    text = "\n".join(lines)
    if length(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        separator = 1 if kept else 0
        after = _omitted(len(lines) - index - 1)
        if used + separator + length(line) + 1 + length(after) > limit:
            break
        kept.append(line)
        used += separator + length(line)
    omitted = len(lines) - len(kept)
    if kept:
        return "\n".join([*kept, _omitted(omitted)])
    tail = _omitted(omitted - 1) if omitted > 1 else ""
    room = limit - 1 - (length(tail) + 1 if tail else 0)
    head = truncate(lines[0], room) + "…"
    return f"{head}\n{tail}" if tail else head


def format_datetime(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and `Z` (`2024-09-01T08:30:05.123Z`): HubSpot's own
    format, and one Salesforce takes for a DateTime field."""
    if moment.tzinfo is None:
        raise ValueError(f"a datetime sent to a CRM must be timezone-aware, got {moment}")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _omitted(count: int) -> str:
    return f"… {count} more not shown"


def holds_value(sent: str, held: object) -> bool:
    """Whether a CRM field read back as `held` holds the value icp-sync sent as `sent` (a
    rendered string). Each CRM returns what it stored in its own type and format: Salesforce
    a JSON number, boolean or `…T05:20:07.000+0000` datetime, HubSpot strings, and either a
    multi-select's values in its own order. Used to tell whether a write whose answer was lost
    (the process was killed) landed."""
    if held is None:
        return sent == ""
    if isinstance(held, bool):
        return sent.lower() == str(held).lower()
    if isinstance(held, int | float | Decimal):
        return _same_number(sent, str(held))
    if not isinstance(held, str):
        return False
    if held == sent:
        return True
    if sent.lower() in ("true", "false"):
        return held.lower() == sent.lower()
    if _same_number(sent, held):
        return True
    sent_at, held_at = _datetime_or_none(sent), _datetime_or_none(held)
    if sent_at is not None and held_at is not None:
        return sent_at == held_at
    return ";" in sent + held and sorted(sent.split(";")) == sorted(held.split(";"))


def _same_number(left: str, right: str) -> bool:
    try:
        return Decimal(left) == Decimal(right)
    except (InvalidOperation, ValueError):
        return False


def _datetime_or_none(text: str) -> datetime | None:
    """An ISO-8601 instant to the millisecond (Salesforce writes `+0000`, not `+00:00`)."""
    normal = text.strip().replace("Z", "+00:00")
    if len(normal) > 5 and normal[-5] in "+-" and normal[-4:].isdigit():
        normal = f"{normal[:-2]}:{normal[-2:]}"
    try:
        moment = datetime.fromisoformat(normal)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)
