"""The OpenAPI documentation of `POST /webhooks/salesforce`: what `app.webhooks.salesforce_json`
verifies and parses, as a description and a request body schema."""

from __future__ import annotations

from typing import Any

from app.webhooks import salesforce_json
from app.webhooks.common import EVENT_ID_MAX_CHARS, MAX_EVENTS
from app.webhooks.openapi import (
    ID_PATTERN,
    SALESFORCE_ID_PATTERN,
    EndpointDoc,
    json_responses,
    request_body,
)


def _any_case(word: str) -> str:
    """A pattern for `word` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["eventId", "objectType", "recordId", "changeType"],
    "properties": {
        "eventId": {
            "type": "string",
            "minLength": 1,
            "maxLength": EVENT_ID_MAX_CHARS,
            "pattern": ID_PATTERN,
            "description": (
                "with objectType, recordId, changeType and occurredAt, the dedupe key: "
                "no control characters, no surrounding spaces"
            ),
        },
        "objectType": {
            "type": "string",
            "pattern": f"^({'|'.join(_any_case(t) for t in ('Lead', 'Account', 'Opportunity'))})$",
            "description": "Lead, Account or Opportunity (any letter case)",
        },
        "recordId": {
            "type": "string",
            "pattern": SALESFORCE_ID_PATTERN,
            "description": "15- or 18-character Salesforce id",
        },
        "changeType": {"type": "string", "enum": list(salesforce_json.CHANGE_TYPES)},
        "occurredAt": {
            "type": ["string", "null"],
            "format": "date-time",
            "pattern": salesforce_json.DATE_TIME_PATTERN,
        },
    },
}
_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "required": ["events"],
            "properties": {
                "events": {"type": "array", "maxItems": MAX_EVENTS, "items": _EVENT},
            },
        },
        {  # one event: a body with an `events` key is the list form
            **_EVENT,
            "not": {"required": ["events"]},
        },
    ]
}
_EXAMPLE = {
    "events": [
        {
            "eventId": "a0B5e00000Ev7NtEAJ-1",
            "objectType": "Lead",
            "recordId": "00Q5e00000XyZaBEAV",
            "changeType": "created",
        }
    ]
}

DOC = EndpointDoc(
    summary="Receive Salesforce record changes as JSON (Flow HTTP callout, Apex)",
    description=(
        'Our own JSON contract for Flow HTTP callouts and Apex: `{"events": [...]}` (at most '
        f"{MAX_EVENTS}) or a single event object, each with `eventId` (with the "
        "record, change type and `occurredAt`, the dedupe key), "
        "`objectType` (Lead, Account, Opportunity), `recordId` and `changeType` (created, "
        f"updated, deleted). Authenticated against `{salesforce_json.SECRET_SETTING}` by "
        f"either `{salesforce_json.SECRET_HEADER}: <secret>` (a Named Credential header; Flow "
        f"cannot sign) or `{salesforce_json.SIGNATURE_HEADER}` = hex(HMAC-SHA256(secret, "
        f"timestamp + '.' + raw body)) with `{salesforce_json.TIMESTAMP_HEADER}` (unix "
        f"seconds) within {salesforce_json.MAX_SKEW_S // 60} minutes (Apex). Unset secret: "
        "every request is refused."
    ),
    responses=json_responses(
        "Not a valid body; `detail` names the path.",
        "Missing or wrong secret or signature, stale timestamp, or no secret.",
    ),
    openapi_extra=request_body("application/json", _SCHEMA, _EXAMPLE),
)
