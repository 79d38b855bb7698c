"""Lenient parsers for the values CRMs and spreadsheets actually hold.

Each returns None for what it cannot read, so the scorer can say "unreadable" instead of
crashing or guessing. `"50-100"` employees is read as 75 (the midpoint), `"$1.2M"` as 1,200,000.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

from connectors.normalise import normalise_domain

__all__ = [
    "display_category",
    "format_quantity",
    "is_missing",
    "normalise_category",
    "normalise_domain",
    "parse_bool",
    "parse_datetime",
    "parse_list",
    "parse_number",
]

MAX_TEXT = 200

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)\s*(k|thousand|m|mm|mn|million|b|bn|billion)?"
_CURRENCY = r"(?:usd|eur|gbp|us\$|[$€£])?"
_QUANTITY = re.compile(
    rf"^[~≈]?\s*{_CURRENCY}\s*{_NUMBER}"
    rf"(?:\s*(?:-|–|—|to)\s*{_CURRENCY}\s*{_NUMBER})?"
    r"\s*\+?\s*(?:usd|eur|gbp|employees|people|staff)?\s*$"
)
_THOUSANDS_SEPARATOR = re.compile(r"(?<=\d)[,'_ ](?=\d{3}\b)")
_MULTIPLIERS = {
    None: 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_TRUE = frozenset({"true", "yes", "y", "1", "on", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "off", "f"})
_LIST_SEPARATOR = re.compile(r"[;,|\n]")
_NON_ALNUM = re.compile(r"[\W_]+")
_EPOCH_MS_THRESHOLD = 1e11


def is_missing(value: object) -> bool:
    """None, blank text, an empty collection or NaN: nothing to score."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | dict):
        return not value
    return isinstance(value, float) and math.isnan(value)


def parse_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            return None
        return number if math.isfinite(number) else None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        return number if math.isfinite(number) else None
    text = _THOUSANDS_SEPARATOR.sub("", text.lower())
    negative = text.startswith("-")
    found = _QUANTITY.match(text[1:] if negative else text)
    if found is None or (negative and found.group(3) is not None):
        return None
    low = float(found.group(1)) * _MULTIPLIERS[found.group(2)]
    if found.group(3) is None:
        return -low if negative else low
    # A range such as "50-100" or "$1M-5M": the unit of the upper end applies to both.
    high_unit = found.group(4)
    if found.group(2) is None and high_unit is not None:
        low *= _MULTIPLIERS[high_unit]
    high = float(found.group(3)) * _MULTIPLIERS[high_unit]
    return (low + high) / 2 if high >= low else None


def parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def parse_list(value: object) -> tuple[str, ...] | None:
    """A list field: a real list, or text separated by `;` (HubSpot multi-select), `,` or `|`."""
    if isinstance(value, str):
        items: list[object] = list(_LIST_SEPARATOR.split(value))
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return None
    cleaned = tuple(item.strip() for item in items if isinstance(item, str) and item.strip())
    return cleaned or None


def parse_datetime(value: object) -> datetime | None:
    """ISO-8601 text, epoch seconds or milliseconds (HubSpot), a date or a datetime; naive
    values are taken as UTC."""
    if type(value) is str and len(value) <= MAX_TEXT and not value.isdigit():
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is UTC:
                return moment
        except ValueError:
            parsed = _datetime_from_scalar(value)  # surrounding spaces, or not a date at all
            if parsed is None:
                return None
            moment = parsed
    elif isinstance(value, datetime):
        if value.tzinfo is UTC:
            return value
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        moment_or_none = _datetime_from_scalar(value)
        if moment_or_none is None:
            return None
        moment = moment_or_none
    else:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # an offset that moves the moment outside years 1-9999
        return None


def _datetime_from_scalar(value: float | str) -> datetime | None:
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_TEXT:
            return None
        if not (text.isascii() and text.isdigit()):  # isdigit() is true for "¹", not a float
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                return None
        value = float(text)
    try:
        value = float(value)
    except OverflowError:
        return None
    if not math.isfinite(value):
        return None
    seconds = value / 1000 if abs(value) >= _EPOCH_MS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def normalise_category(value: str) -> str:
    """`COMPUTER_SOFTWARE`, `Computer Software` and `computer-software` all become
    `computer software`, so HubSpot, Salesforce and spreadsheet spellings compare equal."""
    return _NON_ALNUM.sub(" ", value.casefold()).strip()


def display_category(value: str) -> str:
    """`COMPUTER_SOFTWARE` → `Computer Software`; other spellings are shown as written."""
    text = value.strip()
    if text.isupper() or ("_" in text and text == text.lower()):
        return text.replace("_", " ").title()
    return text


def format_quantity(value: float) -> str:
    """250 → `250`, 12_500 → `12,500`, 1_200_000 → `1.2M`, 3e9 → `3B`."""
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.3g}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
