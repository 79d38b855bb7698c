"""Salesforce Flow HTTP callouts and Apex: our own JSON contract, authenticated by a shared
secret.

Two ways to prove a request comes from the org, both against `ICP_SYNC_SALESFORCE_WEBHOOK_SECRET`:

- `X-ICP-Sync-Secret: <secret>`: the secret itself, as a Named Credential / External Credential
  custom header can add it to a Flow's HTTP callout (Flow cannot compute an HMAC);
- `X-ICP-Sync-Signature: hex(HMAC-SHA256(secret, timestamp + "." + rawBody))` with
  `X-ICP-Sync-Timestamp: <unix seconds>` within 5 minutes of our clock, either direction; from
  Apex: `EncodingUtil.convertToHex(Crypto.generateMac('hmacSHA256', Blob.valueOf(ts + '.' +
  body), Blob.valueOf(secret)))`. Hex digits in either case.

Every credential sent must be valid (a wrong secret next to a good signature is refused).

Body: `{"events": [event, …]}` (≤ 100) or a single event object, each
`{"eventId": "…", "objectType": "Lead|Account|Opportunity", "recordId": "<15/18-char id>",
"changeType": "created|updated|deleted"}`; `occurredAt` (an RFC 3339 date-time, e.g.
`2026-01-05T10:00:00Z`, or null) is optional; other keys are kept in the stored payload.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from app.inbox.events import IncomingEvent, ObjectType
from app.webhooks.common import (
    EVENT_ID_MAX_CHARS,
    Delivery,
    check_count,
    check_storable,
    describe,
    fail,
    key,
    load_json,
    require,
    require_id,
    require_object,
    require_str,
)
from app.webhooks.errors import not_configured, unauthorized

SECRET_HEADER = "X-ICP-Sync-Secret"  # noqa: S105 - a header name
SIGNATURE_HEADER = "X-ICP-Sync-Signature"
TIMESTAMP_HEADER = "X-ICP-Sync-Timestamp"
SECRET_SETTING = "ICP_SYNC_SALESFORCE_WEBHOOK_SECRET"  # noqa: S105 - a setting name
MAX_SKEW_S = 5 * 60

OBJECT_TYPES: dict[str, ObjectType] = {
    "lead": "lead",
    "account": "account",
    "opportunity": "opportunity",
}
CHANGE_TYPES = ("created", "updated", "deleted")

_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_DATE = (
    f"({_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|{_YEAR}-(0[13-9]|1[0-2])-(29|30)"
    f"|{_YEAR}-(0[13578]|1[02])-31|{_LEAP_YEAR}-02-29)"
)
DATE_TIME_PATTERN = (
    f"^{_DATE}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?"
    "([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""An RFC 3339 date-time on a real calendar day (years 1-9999, no leap second): exactly what
`occurredAt` accepts, so the OpenAPI schema can say it with a pattern."""
_DATE_TIME = re.compile(DATE_TIME_PATTERN)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-ICP-Sync-Signature` of `body` sent at `timestamp` (lower-case hex)."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def require_secret(secret: str | None) -> str:
    """The shared secret, or a 401 saying it is not configured (there is no unverified mode)."""
    if not secret:
        raise not_configured("the Salesforce webhook secret", SECRET_SETTING)
    return secret


def verify(
    *,
    secret: str | None,
    body: bytes,
    shared_secret: str | None,
    signature_hex: str | None,
    timestamp: str | None,
    now_s: int,
) -> None:
    """Return if the request carries a valid secret or signature; otherwise a 401."""
    secret = require_secret(secret)
    if shared_secret is None and signature_hex is None:
        raise unauthorized(
            "signature",
            f"missing header {SECRET_HEADER}, or {SIGNATURE_HEADER} with {TIMESTAMP_HEADER}",
        )
    if shared_secret is not None and not hmac.compare_digest(
        shared_secret.encode("utf-8", "replace"), secret.encode()
    ):
        raise unauthorized("signature", f"{SECRET_HEADER} is not the configured secret")
    if signature_hex is not None:
        _verify_signature(secret, body, signature_hex, timestamp, now_s)


def _verify_signature(
    secret: str, body: bytes, signature_hex: str, timestamp: str | None, now_s: int
) -> None:
    if not timestamp:
        raise unauthorized("signature", f"{SIGNATURE_HEADER} needs header {TIMESTAMP_HEADER}")
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise unauthorized(
            "signature", f"{TIMESTAMP_HEADER}: expected unix seconds, got {describe(timestamp)}"
        )
    expected = signature(secret, timestamp, body)
    given = signature_hex.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        raise unauthorized(
            "signature",
            f"{SIGNATURE_HEADER} does not match HMAC-SHA256(secret, timestamp + '.' + body)",
        )
    skew = now_s - int(timestamp)
    if abs(skew) > MAX_SKEW_S:
        direction = "old" if skew > 0 else "in the future"
        raise unauthorized(
            "stale",
            f"{TIMESTAMP_HEADER} is stale: {abs(skew)} s {direction}, at most {MAX_SKEW_S} s "
            "accepted",
        )


def parse_delivery(body: bytes) -> Delivery:
    """`{"events": [...]}` or one event object, as inbox events (400 naming what is wrong)."""
    document = require_object(load_json(body), "body")
    if "events" in document:
        items = document["events"]
        if not isinstance(items, list):
            fail("events", f"expected a list of events, got {describe(items)}")
        check_count(len(items), "events")
        paths = [f"events[{index}]" for index in range(len(items))]
    else:
        items, paths = [document], [""]
    return Delivery(
        events=tuple(
            _event(require_object(item, path or "body"), path)
            for item, path in zip(items, paths, strict=True)
        )
    )


def _event(raw: dict[str, Any], path: str) -> IncomingEvent:
    event_id = require_str(require(raw, "eventId", path), key(path, "eventId"))
    require_id(event_id, key(path, "eventId"), EVENT_ID_MAX_CHARS)
    declared = require_str(require(raw, "objectType", path), key(path, "objectType"))
    object_type = OBJECT_TYPES.get(declared.lower())
    if object_type is None:
        fail(
            key(path, "objectType"),
            f"expected Lead, Account or Opportunity, got {describe(declared)}",
        )
    record_id = require_str(require(raw, "recordId", path), key(path, "recordId"))
    if not (len(record_id) in (15, 18) and record_id.isascii() and record_id.isalnum()):
        fail(
            key(path, "recordId"),
            f"expected a 15- or 18-character Salesforce id, got {describe(record_id)}",
        )
    change = require_str(require(raw, "changeType", path), key(path, "changeType"))
    if change not in CHANGE_TYPES:
        fail(
            key(path, "changeType"),
            f"expected one of {', '.join(CHANGE_TYPES)}, got {describe(change)}",
        )
    check_storable(raw, path)
    return IncomingEvent(
        source="salesforce",
        event_id=event_id,
        event_type=change,
        object_type=object_type,
        object_id=record_id,
        occurred_at=_occurred_at(raw.get("occurredAt"), key(path, "occurredAt")),
        payload=raw,
    )


def _occurred_at(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    text = require_str(value, path)
    rfc3339 = _DATE_TIME.fullmatch(text) is not None
    try:
        parsed = datetime.fromisoformat(text.upper() if rfc3339 else text)
    except ValueError:
        fail(path, f"expected an ISO 8601 date-time, got {describe(text)}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        fail(path, f"expected a date-time with a time zone (e.g. Z), got {describe(text)}")
    if not rfc3339:
        fail(
            path,
            f"expected an RFC 3339 date-time (e.g. 2026-01-05T10:00:00Z), got {describe(text)}",
        )
    return parsed
