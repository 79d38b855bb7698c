"""The OpenAPI documentation of `POST /webhooks/hubspot`: what `app.webhooks.hubspot` verifies
and parses, as a description and a request body schema."""

from __future__ import annotations

from typing import Any

from app.webhooks import hubspot
from app.webhooks.common import MAX_EVENTS
from app.webhooks.openapi import TEXT, EndpointDoc, json_responses, request_body

_EXAMPLE = [
    {
        "eventId": 3816279340,
        "subscriptionId": 25,
        "portalId": 33,
        "appId": 1160452,
        "occurredAt": 1462216307945,
        "subscriptionType": "company.propertyChange",
        "attemptNumber": 0,
        "objectId": 1246965,
        "propertyName": "industry",
        "propertyValue": "COMPUTER_SOFTWARE",
        "changeSource": "CRM_UI",
    }
]
_ID: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0}
_OPTIONAL: dict[str, Any] = {
    "propertyValue": {**TEXT, "type": ["string", "null"]},
    "changeSource": {**TEXT, "type": ["string", "null"]},
    "attemptNumber": {"type": ["integer", "null"]},
    "portalId": {"type": ["integer", "null"]},
}


def _event(types: list[str], *, property_change: bool) -> dict[str, Any]:
    required = ["eventId", "subscriptionType", "objectId", "occurredAt"]
    return {
        "type": "object",
        "required": [*required, "propertyName"] if property_change else required,
        "properties": {
            "eventId": _ID,
            "subscriptionType": {"type": "string", "enum": types},
            "objectId": _ID,
            "occurredAt": {
                "type": "integer",
                "minimum": 0,
                "maximum": hubspot.MAX_OCCURRED_AT_MS,
                "description": "epoch milliseconds",
            },
            **({"propertyName": TEXT} if property_change else {}),
            **_OPTIONAL,
        },
    }


_ASSOCIATION_CHANGE: dict[str, Any] = {
    "type": "object",
    "description": "Names the contact in `fromObjectId`; only a link to a company is stored, "
    "any other (`CONTACT_TO_DEAL` …) is counted as ignored. `toObjectId`, "
    "`associationRemoved` and `isPrimaryAssociation` are kept as sent: the contact is read "
    "again, whatever they say.",
    "required": ["eventId", "subscriptionType", "fromObjectId", "occurredAt", "associationType"],
    "properties": {
        **{
            name: value
            for name, value in _event([hubspot.ASSOCIATION_CHANGE], property_change=False)[
                "properties"
            ].items()
            if name != "objectId"
        },
        "fromObjectId": _ID,
        "associationType": TEXT,
    },
}
_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": MAX_EVENTS,
    "items": {
        "anyOf": [
            _event(
                sorted(t for t in hubspot.SUBSCRIPTIONS if t.endswith(".propertyChange")),
                property_change=True,
            ),
            _event(
                sorted(
                    t
                    for t in hubspot.SUBSCRIPTIONS
                    if not t.endswith(".propertyChange") and t != hubspot.ASSOCIATION_CHANGE
                ),
                property_change=False,
            ),
            _ASSOCIATION_CHANGE,
            {
                "title": "Another subscription type: counted as ignored, not checked further",
                "type": "object",
                "required": ["subscriptionType"],
                "properties": {
                    "subscriptionType": {
                        "type": "string",
                        "not": {"enum": sorted(hubspot.SUBSCRIPTIONS)},
                    }
                },
            },
        ]
    },
}

DOC = EndpointDoc(
    summary="Receive HubSpot webhook events (v3 signature)",
    description=(
        "HubSpot's webhooks v3 delivery: a JSON array of at most "
        f"{MAX_EVENTS} events, signed in `{hubspot.SIGNATURE_HEADER}` = base64(HMAC-SHA256(app "
        "secret, METHOD + URI + raw body + timestamp)) with "
        f"`{hubspot.TIMESTAMP_HEADER}` (epoch ms) within {hubspot.MAX_SKEW_MS // 60_000} minutes "
        "of the service's clock. "
        "The URI is rebuilt from the request as received: scheme from `X-Forwarded-Proto` "
        "(else the connection's), host and port from `Host`, path and query as sent, with "
        "HubSpot's listed escapes (`%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`) decoded. "
        "**A reverse proxy must pass the `Host` header through unchanged and set "
        f"`X-Forwarded-Proto`.** The secret is `{hubspot.SECRET_SETTING}`; unset, every "
        "request is refused.\n\n"
        f"Stored: {', '.join(f'`{name}`' for name in hubspot.SUBSCRIPTIONS)}; other "
        "subscription types are counted as `ignored`. An event is stored once per (`portalId`, "
        "`subscriptionType`, `objectId`, `propertyName`, `occurredAt`, `eventId`) — HubSpot "
        "does not guarantee `eventId` unique — so a redelivery is answered 200 and counted as "
        "`duplicates`."
    ),
    responses=json_responses(
        "Not a valid delivery; `detail` names the path.",
        "Missing or wrong signature, stale timestamp, or no secret set.",
    ),
    openapi_extra=request_body("application/json", _SCHEMA, _EXAMPLE),
)
