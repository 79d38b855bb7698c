"""HubSpot webhooks (v3 Webhooks API): the v3 request signature and the batched event body.

Signature v3 (see docs/hubspot.md §8): `base64(HMAC-SHA256(app secret, METHOD + URI + rawBody +
timestamp))` in `X-HubSpot-Signature-v3`, with `X-HubSpot-Request-Timestamp` in epoch
milliseconds, refused when more than 5 minutes away from our clock in either direction. The URI
is the full URL HubSpot called, `scheme://host[:port]/path?query`, rebuilt from the request as it
arrived: the scheme from `X-Forwarded-Proto` (else the connection's), the host and port from the
`Host` header, the path and query exactly as sent, with only the escapes HubSpot documents
decoded (`%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`, hex digits in either case, as
percent-encoding is case-insensitive). A reverse proxy in front of the service must pass `Host`
through unchanged and set `X-Forwarded-Proto`; otherwise signatures cannot match. There is one
URI and one way to build it: no retrying without the query string or with another host.

`hubspot.utils.signature.Signature` (the official client) computes the same HMAC but neither
decodes the URI nor refuses timestamps from the future, hence this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from app.inbox.events import IncomingEvent, ObjectType
from app.webhooks.common import (
    EVENT_ID_MAX_CHARS,
    OBJECT_ID_MAX_CHARS,
    Delivery,
    check_count,
    check_storable,
    describe,
    fail,
    key,
    load_json,
    require,
    require_id,
    require_int,
    require_object,
    require_str,
)
from app.webhooks.errors import malformed, not_configured, unauthorized

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
SECRET_SETTING = "ICP_SYNC_HUBSPOT_APP_SECRET"  # noqa: S105 - a setting name
MAX_SKEW_MS = 5 * 60 * 1000

# The subscription types we act on, and the record each one names.
SUBSCRIPTIONS: dict[str, ObjectType] = {
    "company.creation": "company",
    "company.propertyChange": "company",
    "company.deletion": "company",
    "deal.creation": "deal",
    "deal.propertyChange": "deal",
    "deal.deletion": "deal",
    "contact.creation": "contact",
    "contact.propertyChange": "contact",
    "contact.deletion": "contact",
    "contact.associationChange": "contact",
}
ASSOCIATION_CHANGE = "contact.associationChange"
"""Names the contact in `fromObjectId` (HubSpot sends no `objectId`); acted on only for a link
to a company (`associationType` CONTACT_TO_COMPANY …), the one a contact's score reads."""

_DECODED_ESCAPES = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_OCCURRED_AT_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
ID_LIMIT = 2**63  # HubSpot ids are 64-bit integers: below this


def request_uri(
    *,
    forwarded_proto: str | None,
    scheme: str,
    host: str | None,
    raw_path: bytes,
    query_string: bytes,
) -> str:
    """The URI HubSpot signed, from the request as received (see the module docstring).

    `forwarded_proto` is the `X-Forwarded-Proto` header (its first value counts when proxies
    appended theirs), `scheme` the connection's, used when there is no such header.
    """
    if not host:
        raise unauthorized(
            "signature", "no Host header: the URL HubSpot called cannot be rebuilt to check it"
        )
    if forwarded_proto and forwarded_proto.split(",", 1)[0].strip():
        scheme = forwarded_proto.split(",", 1)[0].strip()
    scheme = scheme.lower()
    target = raw_path.decode("utf-8", "replace")
    if query_string:
        target += "?" + query_string.decode("utf-8", "replace")
    uri = f"{scheme}://{host}{target}"
    return _DECODED_ESCAPES.sub(lambda match: chr(int(match.group(1), 16)), uri)


def signature_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The v3 signature HubSpot sends for this request (padded standard base64)."""
    message = f"{method.upper()}{uri}".encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def require_secret(secret: str | None) -> str:
    """The app secret, or a 401 saying it is not configured (there is no unverified mode)."""
    if not secret:
        raise not_configured("the HubSpot app secret", SECRET_SETTING)
    return secret


def verify(
    *,
    secret: str | None,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now_ms: int,
) -> None:
    """Return if the request is signed with `secret` and fresh; otherwise a 401 `WebhookError`."""
    secret = require_secret(secret)
    if not signature or not timestamp:
        missing = [
            name
            for name, value in ((SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp))
            if not value
        ]
        raise unauthorized("signature", f"missing header {' and '.join(missing)}")
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 15:
        raise unauthorized(
            "signature",
            f"{TIMESTAMP_HEADER}: expected epoch milliseconds, got {describe(timestamp)}",
        )
    expected = signature_v3(secret, method, uri, body, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise unauthorized(
            "signature",
            f"{SIGNATURE_HEADER} does not match the body signed for {method.upper()} {uri} "
            "(behind a proxy, pass the Host header through and set X-Forwarded-Proto)",
        )
    skew_ms = now_ms - int(timestamp)
    if abs(skew_ms) > MAX_SKEW_MS:
        direction = "old" if skew_ms > 0 else "in the future"
        raise unauthorized(
            "stale",
            f"{TIMESTAMP_HEADER} is stale: {abs(skew_ms) // 1000} s {direction}, "
            f"at most {MAX_SKEW_MS // 1000} s accepted",
        )


def parse_delivery(body: bytes) -> Delivery:
    """A HubSpot delivery (a JSON array of ≤ 100 events) as inbox events.

    Subscription types we do not act on are counted in `ignored` and otherwise skipped (their
    other fields are not checked). The type is read from `subscriptionType`, or `eventType` when
    that is absent (one HubSpot doc table names it so).
    """
    document = load_json(body)
    if not isinstance(document, list):
        raise malformed(f"body: expected a JSON array of events, got {describe(document)}")
    check_count(len(document), "body")
    events: list[IncomingEvent] = []
    ignored = 0
    for index, item in enumerate(document):
        path = f"events[{index}]"
        raw = require_object(item, path)
        type_key = "subscriptionType" if "subscriptionType" in raw else "eventType"
        subscription = require_str(require(raw, type_key, path), key(path, type_key))
        object_type = SUBSCRIPTIONS.get(subscription)
        if object_type is None:
            ignored += 1
            continue
        event = _event(raw, path, subscription, object_type)
        if subscription == ASSOCIATION_CHANGE and "COMPANY" not in str(raw["associationType"]):
            ignored += 1  # checked like any event, then left: a link to a deal, a ticket …
            continue
        events.append(event)
    return Delivery(events=tuple(events), ignored=ignored)


def _event(
    raw: dict[str, Any], path: str, subscription: str, object_type: ObjectType
) -> IncomingEvent:
    event_id = require_int(require(raw, "eventId", path), key(path, "eventId"))
    id_key = "fromObjectId" if subscription == ASSOCIATION_CHANGE else "objectId"
    object_id = require_int(require(raw, id_key, path), key(path, id_key))
    for name, number in (("eventId", event_id), (id_key, object_id)):
        if number < 0:
            fail(key(path, name), f"expected a positive number, got {number}")
        if number >= ID_LIMIT:
            fail(key(path, name), f"larger than a 64-bit id: {describe(number)}")
    occurred_ms = require_int(require(raw, "occurredAt", path), key(path, "occurredAt"))
    if not 0 <= occurred_ms <= MAX_OCCURRED_AT_MS:
        fail(key(path, "occurredAt"), f"not a time in epoch milliseconds: {occurred_ms}")
    if subscription.endswith(".propertyChange"):
        require_str(require(raw, "propertyName", path), key(path, "propertyName"))
    if subscription == ASSOCIATION_CHANGE:
        require_str(require(raw, "associationType", path), key(path, "associationType"))
    for optional in ("attemptNumber", "portalId"):
        if raw.get(optional) is not None:
            require_int(raw[optional], key(path, optional))
    for optional in ("propertyValue", "changeSource"):  # on any event that carries them
        if raw.get(optional) is not None:
            require_str(raw[optional], key(path, optional))
    check_storable(raw, path)
    return IncomingEvent(
        source="hubspot",
        event_id=require_id(str(event_id), key(path, "eventId"), EVENT_ID_MAX_CHARS),
        event_type=subscription,
        object_type=object_type,
        object_id=require_id(str(object_id), key(path, "objectId"), OBJECT_ID_MAX_CHARS),
        occurred_at=_EPOCH + timedelta(milliseconds=occurred_ms),
        payload=raw,
    )
