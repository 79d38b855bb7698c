"""HubSpot objects → neutral records. Pure: no I/O, no clock, and never raises on bad data.

Input is a CRM object in HubSpot's JSON shape (`id`, `properties`, `createdAt`, `updatedAt`,
`archived`, `archivedAt`, `associations`), as the API sends it. A value that cannot be read
(`"12abc"` employees, a date that is not one) leaves its canonical field None; the raw string
always stays in `properties`, so nothing pulled is ever lost and the scorer can say
"unreadable" instead of guessing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.normalise import normalise_domain
from connectors.records import CrmAccount, CrmDeal

MAX_NUMBER_TEXT = 64
MAX_INTEGER_DIGITS = 18  # more employees than 10^18 is a typo, not a company
MAX_DECIMAL_DIGITS = 24  # revenue past 10^24 likewise; also keeps Decimal arithmetic cheap
MAX_DATE_TEXT = 64
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""`modified_at` of an object that carries no readable timestamp at all (sorts first)."""
_EPOCH_MS_THRESHOLD = 10**11  # bigger digit strings are epoch milliseconds, smaller seconds


def company_to_account(obj: Mapping[str, Any]) -> CrmAccount:
    """A HubSpot company as a CrmAccount (object type `company`)."""
    props = raw_properties(obj.get("properties"))
    archived = parse_bool(obj.get("archived")) is True
    domain_text = _clean(props.get("domain")) or _clean(props.get("website"))
    return CrmAccount(
        source="hubspot",
        object_type="company",
        crm_id=_object_id(obj, props),
        modified_at=modified_at(obj, props),
        name=_clean(props.get("name")),
        domain=normalise_domain(domain_text) if domain_text else None,
        industry=_clean(props.get("industry")),
        employees=parse_int(props.get("numberofemployees")),
        annual_revenue=parse_decimal(props.get("annualrevenue")),
        country=_clean(props.get("country")),
        state=_clean(props.get("state")),
        technologies=split_multi(props.get("web_technologies")),
        created_at=created_at(obj, props),
        archived=archived,
        properties=props,
    )


def deal_to_deal(obj: Mapping[str, Any], account_ids: Iterable[str] = ()) -> CrmDeal:
    """A HubSpot deal as a CrmDeal. Company ids come from the object's `associations` block
    and/or `account_ids` (from a separate association read), deduplicated in order.

    Closed/won come from HubSpot's calculated `hs_is_closed` / `hs_is_closed_won`, which follow
    each pipeline's stage metadata; stage names (`closedwon`) only hold for the default pipeline.
    """
    props = raw_properties(obj.get("properties"))
    is_won = parse_bool(props.get("hs_is_closed_won")) is True
    is_closed = is_won or parse_bool(props.get("hs_is_closed")) is True
    return CrmDeal(
        source="hubspot",
        crm_id=_object_id(obj, props),
        modified_at=modified_at(obj, props),
        name=_clean(props.get("dealname")),
        stage=_clean(props.get("dealstage")),
        pipeline=_clean(props.get("pipeline")),
        is_closed=is_closed,
        is_won=is_won,
        amount=parse_decimal(props.get("amount")),
        close_date=parse_date(props.get("closedate")),
        created_at=created_at(obj, props),
        archived=parse_bool(obj.get("archived")) is True,
        account_ids=_dedupe([*associated_ids(obj, "companies"), *account_ids]),
        properties=props,
    )


def raw_properties(value: object) -> dict[str, str | None]:
    """Every property as HubSpot's string (None for null). Non-string values a server should
    not send are kept as text rather than dropped."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): _as_text(item) for key, item in value.items()}


def associated_ids(obj: Mapping[str, Any], to_type: str) -> tuple[str, ...]:
    """Ids in `associations.<to_type>.results[].id`; HubSpot lists an id once per association
    type (primary and unlabeled), so they are deduplicated."""
    associations = obj.get("associations")
    if not isinstance(associations, Mapping):
        return ()
    block = associations.get(to_type)
    results = block.get("results") if isinstance(block, Mapping) else None
    if not isinstance(results, list):
        return ()
    ids = (_as_text(item.get("id")) for item in results if isinstance(item, Mapping))
    return _dedupe(i for i in ids if i)


def modified_at(obj: Mapping[str, Any], props: Mapping[str, str | None]) -> datetime:
    """`hs_lastmodifieddate` (what search filters and sorts on), else `updatedAt`; for an
    archived object the archive time counts as a modification too. EPOCH if none is readable."""
    moment = parse_datetime(props.get("hs_lastmodifieddate")) or parse_datetime(
        obj.get("updatedAt")
    )
    if parse_bool(obj.get("archived")) is True:
        archived = parse_datetime(obj.get("archivedAt"))
        updated = parse_datetime(obj.get("updatedAt"))
        moment = max((m for m in (moment, archived, updated) if m is not None), default=None)
    return moment or created_at(obj, props) or EPOCH


def created_at(obj: Mapping[str, Any], props: Mapping[str, str | None]) -> datetime | None:
    return parse_datetime(props.get("createdate")) or parse_datetime(obj.get("createdAt"))


def parse_int(value: object) -> int | None:
    """A HubSpot number as a whole number (`"250"`, `"250.0"`, `"2.5e2"`); None otherwise."""
    number = parse_decimal(value, max_digits=MAX_INTEGER_DIGITS)
    if number is None:
        return None
    return int(number.to_integral_value(rounding=ROUND_HALF_UP))


def parse_decimal(value: object, *, max_digits: int = MAX_DECIMAL_DIGITS) -> Decimal | None:
    """A HubSpot number string as a Decimal (exact, unlike float); None if unreadable,
    non-finite or absurdly large."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
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
    """ISO-8601 (`2024-08-15T17:09:13.648Z`, a bare date = midnight UTC) or epoch milliseconds,
    as an aware UTC datetime; naive values are taken as UTC. None if unreadable."""
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
    """A HubSpot date/datetime as the calendar date in UTC (HubSpot dates are midnight UTC)."""
    moment = parse_datetime(value)
    return moment.date() if moment is not None else None


def split_multi(value: object) -> tuple[str, ...]:
    """A multi-select value (`"a;b;c"`) as a tuple, blanks and repeats dropped."""
    if not isinstance(value, str):
        return ()
    return _dedupe(part.strip() for part in value.split(";") if part.strip())


def _from_epoch(number: int) -> datetime | None:
    seconds = number / 1000 if abs(number) >= _EPOCH_MS_THRESHOLD else float(number)
    if not math.isfinite(seconds):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _object_id(obj: Mapping[str, Any], props: Mapping[str, str | None]) -> str:
    return _as_text(obj.get("id")) or props.get("hs_object_id") or ""


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
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
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):  # circular structures
        return repr(value)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
