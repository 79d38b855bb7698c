"""Reading CRM field values that may be anything: pure, and never raises on bad data.

Both mappers (HubSpot's strings, Salesforce's JSON types) read numbers, booleans and times
through these, so "unreadable" means the same everywhere: the canonical field is None and the
raw value stays in the record's `properties`.

What they return fits the store on SQLite and PostgreSQL alike, so that no record a CRM sends
can fail the transaction of a whole page: text never holds a NUL character or a lone surrogate
(PostgreSQL refuses the first, UTF-8 cannot encode the second; both become U+FFFD), whole
numbers fit a 32-bit column, decimals the store's NUMERIC(20, 2), and ids its 64 characters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_NUMBER_TEXT = 64
MAX_WHOLE_NUMBER = 2**31 - 1  # the store's INTEGER (employees); more is a typo, not a company
MAX_DECIMAL_DIGITS = 18  # digits before the point in the store's NUMERIC(20, 2) (revenue, amount)
MAX_DATE_TEXT = 64
MAX_ID_LENGTH = 64  # the store's CRM id columns; HubSpot and Salesforce ids are far shorter
REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""`modified_at` of an object that carries no readable timestamp at all (sorts first)."""
_EPOCH_MS_THRESHOLD = 10**11  # bigger digit strings are epoch milliseconds, smaller seconds


def parse_int(value: object) -> int | None:
    """A whole number from a number or its text (`"250"`, `"250.0"`, `"2.5e2"`); None
    otherwise, and for one beyond ±`MAX_WHOLE_NUMBER`."""
    number = parse_decimal(value)
    if number is None:
        return None
    whole = int(number.to_integral_value(rounding=ROUND_HALF_UP))
    return whole if abs(whole) <= MAX_WHOLE_NUMBER else None


def parse_decimal(value: object, *, max_digits: int = MAX_DECIMAL_DIGITS) -> Decimal | None:
    """A number (or its text) as a Decimal (exact, unlike float); None if unreadable,
    non-finite or absurdly large."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        try:
            value = str(value)
        except ValueError:  # past Python's 4,300-digit limit for int → str
            return None
    if not isinstance(value, str):
        return None
    text = value.strip().replace(",", "")
    if not text or len(text) > MAX_NUMBER_TEXT:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() >= max_digits:
        return None
    return number


def parse_bool(value: object) -> bool | None:
    """`"true"`/`"false"` in any case (and real booleans); None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
    return None


def parse_datetime(value: object) -> datetime | None:
    """ISO-8601 (`2024-08-15T17:09:13.648Z`, Salesforce's `2024-05-01T12:00:00.000+0000`, a
    bare date = midnight UTC) or epoch milliseconds, as an aware UTC datetime; naive values
    are taken as UTC. None if unreadable."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > MAX_DATE_TEXT:
            return None
        if text.isascii() and text.isdigit():  # not str.isdigit alone: "²" is a digit to it
            return _from_epoch(int(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    elif isinstance(value, int) and not isinstance(value, bool):
        return _from_epoch(value)
    else:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):  # an offset pushing it outside years 1-9999
        return None


def parse_date(value: object) -> date | None:
    """A date/datetime as the calendar date in UTC (HubSpot dates are midnight UTC)."""
    moment = parse_datetime(value)
    return moment.date() if moment is not None else None


def split_multi(value: object) -> tuple[str, ...]:
    """A multi-select value (`"a;b;c"`) as a tuple, blanks and repeats dropped."""
    if not isinstance(value, str):
        return ()
    return dedupe(part.strip() for part in value.split(";") if part.strip())


def clean_text(value: object, *, max_length: int | None = None) -> str | None:
    """A string stripped of surrounding blanks (and `storable`); None for an empty one, a
    non-string, or one longer than `max_length` (which cannot be what the field holds)."""
    if not isinstance(value, str):
        return None
    text = storable(value.strip())
    if max_length is not None and len(text) > max_length:
        return None
    return text or None


def storable(text: str) -> str:
    """`text` with each NUL character and lone surrogate replaced by U+FFFD: what a text
    column and a JSON document can hold on every store."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def crm_id(value: object) -> str:
    """A record id as text (a string, or a whole number as HubSpot may send it); "" when
    there is none usable: not text, longer than `MAX_ID_LENGTH`, or with a NUL character or
    lone surrogate."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = as_text(value) or ""
    elif isinstance(value, str):
        text = value
    else:
        return ""
    return text if len(text) <= MAX_ID_LENGTH and not _UNSTORABLE.search(text) else ""


def as_text(value: object) -> str | None:
    """A raw value as the text kept in `properties`: strings as they are (`storable`),
    booleans `true`/`false`, numbers as written; anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # past Python's 4,300-digit limit for int → str
            return hex(value)
    if isinstance(value, float | Decimal):
        return str(value)
    try:
        return storable(json.dumps(value, default=str, ensure_ascii=False))
    except (TypeError, ValueError):  # circular structures, ints past the 4,300-digit limit
        try:
            return storable(repr(value))
        except ValueError:
            return f"<unreadable {type(value).__name__}>"


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _from_epoch(number: int) -> datetime | None:
    try:
        seconds = number / 1000 if abs(number) >= _EPOCH_MS_THRESHOLD else float(number)
        if not math.isfinite(seconds):
            return None
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
