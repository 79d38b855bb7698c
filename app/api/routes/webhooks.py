"""Webhook receivers: HubSpot (v3 signature), Salesforce Outbound Messages (SOAP) and Salesforce
Flow / Apex callouts (JSON).

Every endpoint does the same, in this order: refuse (401) if the secret or org id to check
against is not configured; read the body once, at most 1 MiB (413); verify where it comes from
(401); parse it (400 naming what is wrong); write its events to the inbox in one transaction;
answer 200 only after that commit. The work itself (fetch, score, write back) happens later, in
the inbox worker, so the CRM gets its answer in milliseconds and a retry never causes double
work: events are deduplicated on (source, event id).

Never a 500: a database failure answers 503 with `Retry-After`, so the CRM retries and nothing
is lost. Responses and logs never contain a secret (nor the Salesforce session id an Outbound
Message may carry, which is never stored).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.api.deps import Resources, ResourcesDep
from app.inbox.events import Source
from app.inbox.receive import record_rejected
from app.webhooks import hubspot, salesforce_json, salesforce_soap
from app.webhooks.body import MAX_BODY_BYTES, read_body
from app.webhooks.common import EVENT_ID_MAX_CHARS, MAX_EVENTS, Delivery
from app.webhooks.errors import WebhookError

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

RETRY_AFTER_S = 30
INLINE_PARSE_BYTES = 16 * 1024


class Received(BaseModel):
    """What a delivery became: `received + duplicates + ignored` is the number of events sent."""

    received: int = Field(description="Events newly stored in the inbox.")
    duplicates: int = Field(
        description="Events already in the inbox (a redelivery) or repeated in this request."
    )
    ignored: int = Field(description="Events of a type icp-sync does not act on (not stored).")


class Refused(BaseModel):
    """Why the request was refused; never contains a secret."""

    detail: str = Field(description="What is wrong, naming the header or key path and value.")
    reason: str = Field(
        description="signature, stale, org, not_configured, malformed, too_large or unavailable."
    )


def _json_responses(bad_request: str, unauthorized: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a JSON webhook endpoint."""
    return {
        200: {"description": "Stored in the inbox (or already there)."},
        400: {"model": Refused, "description": bad_request},
        401: {"model": Refused, "description": unauthorized},
        413: {"model": Refused, "description": f"Body larger than {MAX_BODY_BYTES} bytes."},
        503: {
            "model": Refused,
            "description": "The inbox database is unavailable; retry after `Retry-After`.",
        },
    }


class _Unavailable(Exception):
    """The inbox could not be written: answer 503 so the CRM retries."""


# --- HubSpot ---------------------------------------------------------------------------------

_HUBSPOT_EXAMPLE = [
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
_SALESFORCE_ID_PATTERN = "^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$"
_EDGE = "[^\\x00-\\x20\\x7f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
_ID_PATTERN = f"^{_EDGE}([^\\x00-\\x1f\\x7f]*{_EDGE})?$"
"""An id as the inbox stores it: no control characters, and no surrounding whitespace (what
Python's `str.strip` removes; spelt out, as `\\s` differs between regex engines)."""
_TEXT: dict[str, Any] = {"type": "string", "pattern": "^[^\\u0000]*$"}
"""Text as the inbox can store it (PostgreSQL refuses NUL characters)."""
_HUBSPOT_ID: dict[str, Any] = {"type": "integer", "format": "int64", "minimum": 0}
_HUBSPOT_OPTIONAL: dict[str, Any] = {
    "propertyValue": {**_TEXT, "type": ["string", "null"]},
    "changeSource": {**_TEXT, "type": ["string", "null"]},
    "attemptNumber": {"type": ["integer", "null"]},
    "portalId": {"type": ["integer", "null"]},
}


def _hubspot_event(types: list[str], *, property_change: bool) -> dict[str, Any]:
    required = ["eventId", "subscriptionType", "objectId", "occurredAt"]
    return {
        "type": "object",
        "required": [*required, "propertyName"] if property_change else required,
        "properties": {
            "eventId": _HUBSPOT_ID,
            "subscriptionType": {"type": "string", "enum": types},
            "objectId": _HUBSPOT_ID,
            "occurredAt": {
                "type": "integer",
                "minimum": 0,
                "maximum": hubspot.MAX_OCCURRED_AT_MS,
                "description": "epoch milliseconds",
            },
            **({"propertyName": _TEXT} if property_change else {}),
            **_HUBSPOT_OPTIONAL,
        },
    }


_HUBSPOT_SCHEMA: dict[str, Any] = {
    "type": "array",
    "maxItems": MAX_EVENTS,
    "items": {
        "anyOf": [
            _hubspot_event(
                sorted(t for t in hubspot.SUBSCRIPTIONS if t.endswith(".propertyChange")),
                property_change=True,
            ),
            _hubspot_event(
                sorted(t for t in hubspot.SUBSCRIPTIONS if not t.endswith(".propertyChange")),
                property_change=False,
            ),
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


@router.post(
    "/hubspot",
    summary="Receive HubSpot webhook events (v3 signature)",
    description=(
        "HubSpot's webhooks v3 delivery: a JSON array of at most "
        f"{MAX_EVENTS} events, signed in `{hubspot.SIGNATURE_HEADER}` = base64(HMAC-SHA256(app "
        "secret, METHOD + URI + raw body + timestamp)) with "
        f"`{hubspot.TIMESTAMP_HEADER}` (epoch ms) within 5 minutes of the service's clock. "
        "The URI is rebuilt from the request as received: scheme from `X-Forwarded-Proto` "
        "(else the connection's), host and port from `Host`, path and query as sent, with "
        "HubSpot's listed escapes (`%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`) decoded. "
        "**A reverse proxy must pass the `Host` header through unchanged and set "
        "`X-Forwarded-Proto`.** The secret is `ICP_SYNC_HUBSPOT_APP_SECRET`; unset, every "
        "request is refused.\n\n"
        f"Stored: {', '.join(f'`{name}`' for name in hubspot.SUBSCRIPTIONS)}; other "
        "subscription types are counted as `ignored`. Events are stored once per `eventId`, "
        "so a redelivery is answered 200 and counted as `duplicates`."
    ),
    response_model=Received,
    responses=_json_responses(
        "Not a valid delivery; `detail` names the path.",
        "Missing or wrong signature, stale timestamp, or no secret set.",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _HUBSPOT_SCHEMA, "example": _HUBSPOT_EXAMPLE}
            },
        }
    },
)
async def receive_hubspot(request: Request, resources: ResourcesDep) -> Response:
    settings = resources.settings
    secret = settings.hubspot_app_secret.get_secret_value() if settings.hubspot_app_secret else None
    raw_path = request.scope.get("raw_path") or quote(request.scope["path"]).encode("ascii")

    def precheck() -> None:
        hubspot.require_secret(secret)

    def handle(body: bytes) -> Delivery:
        uri = hubspot.request_uri(
            forwarded_proto=request.headers.get("x-forwarded-proto"),
            scheme=request.url.scheme,
            host=request.headers.get("host"),
            raw_path=raw_path,
            query_string=request.scope.get("query_string", b""),
        )
        hubspot.verify(
            secret=secret,
            method=request.method,
            uri=uri,
            body=body,
            signature=request.headers.get(hubspot.SIGNATURE_HEADER),
            timestamp=request.headers.get(hubspot.TIMESTAMP_HEADER),
            now_ms=int(time.time() * 1000),
        )
        return hubspot.parse_events(body)

    return await _json_endpoint(request, resources, "hubspot", precheck, handle)


# --- Salesforce Outbound Messages ------------------------------------------------------------

_OUTBOUND_EXAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    ' <soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound">\n'
    "  <OrganizationId>00D5e0000000001EAA</OrganizationId>"
    "<ActionId>04k5e0000000001AAA</ActionId>\n"
    '  <SessionId xsi:nil="true"/>\n'
    "  <Notification><Id>04l5e00000AbCdEAAA</Id>\n"
    '   <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">\n'
    "    <sf:Id>00Q5e00000XyZaBEAV</sf:Id><sf:Company>Acme</sf:Company>\n"
    "   </sObject></Notification>\n"
    " </notifications></soapenv:Body></soapenv:Envelope>"
)


_SOBJECT: dict[str, Any] = {
    "type": "object",
    "required": ["type", "Id"],
    "properties": {
        "type": {
            "type": "string",
            "pattern": salesforce_soap.TYPE_NAME_PATTERN,
            "description": "`sf:Lead`, `sf:Account` or `sf:Opportunity`; other types are skipped.",
            "xml": {"attribute": True, "prefix": "xsi", "namespace": salesforce_soap.XSI_NS},
        },
        "Id": {
            "type": "string",
            "pattern": _SALESFORCE_ID_PATTERN,
            "xml": {"prefix": "sf", "namespace": "urn:sobject.enterprise.soap.sforce.com"},
        },
    },
}
_NOTIFICATIONS: dict[str, Any] = {
    "type": "object",
    "xml": {"namespace": salesforce_soap.OUTBOUND_NS},
    "required": ["OrganizationId"],
    "properties": {
        "OrganizationId": {
            "type": "string",
            "pattern": _SALESFORCE_ID_PATTERN,
            "description": "Must be the configured org (else 401).",
        },
        "ActionId": {"type": "string"},
        "Notification": {
            "type": "array",
            "maxItems": MAX_EVENTS,
            "items": {
                "type": "object",
                "required": ["Id", "sObject"],
                "properties": {
                    "Id": {"type": "string", "pattern": _SALESFORCE_ID_PATTERN},
                    "sObject": _SOBJECT,
                },
            },
        },
    },
}
_OUTBOUND_SCHEMA: dict[str, Any] = {
    # The envelope as an object with OpenAPI `xml` hints (element names, prefixes, namespaces,
    # the `xsi:type` attribute), so the schema says what the parser requires, not "any string".
    # Only what the parser checks is constrained: other elements and sObject types are allowed
    # (skipped), as Salesforce may send them.
    "type": "object",
    "xml": {"name": "Envelope", "prefix": "soapenv", "namespace": salesforce_soap.SOAP_ENV_NS},
    "required": ["Body"],
    "properties": {
        "Body": {
            "type": "object",
            "xml": {"prefix": "soapenv"},
            "required": ["notifications"],
            "properties": {"notifications": _NOTIFICATIONS},
        }
    },
}


def _soap_response(description: str, example: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/xml": {"schema": {"type": "string"}, "example": example}},
    }


@router.post(
    "/salesforce/outbound-message",
    summary="Receive a Salesforce Outbound Message (SOAP)",
    description=(
        "The SOAP 1.1 `notifications` message a Salesforce Outbound Message action sends "
        "(Lead, Account, Opportunity; at most 100 notifications). Accepted when its "
        "`OrganizationId` is `ICP_SYNC_SALESFORCE_ORG_ID` (first 15 characters compared, "
        "case-sensitively); unset, every request is refused. Outbound Messages are not signed: "
        "serve this over HTTPS and, where it matters, restrict it at the proxy.\n\n"
        "Answered with the `Ack` Salesforce expects once the notifications are in the inbox "
        "(one row per notification `Id`; a redelivery is acknowledged and not stored again; "
        "other sObject types are acknowledged and skipped). The session id is never stored. "
        "Errors are SOAP faults with HTTP 400 (malformed; DOCTYPE and ENTITY declarations "
        "are refused), 401 (org), 413 (body over 1 MiB) or 503 (database, with `Retry-After`) "
        "rather than SOAP's usual 500: Salesforce retries anything but an Ack either way."
    ),
    response_class=Response,
    responses={
        200: _soap_response("Stored: the Ack.", salesforce_soap.ACK),
        400: _soap_response(
            "Not a valid Outbound Message: a fault naming the problem.",
            salesforce_soap.fault("body: not well-formed XML: syntax error: line 1, column 0"),
        ),
        401: _soap_response(
            "Another organisation, or no org id configured: a fault.",
            salesforce_soap.fault(
                "OrganizationId 00D000000000001AAA is not the organisation configured in "
                "ICP_SYNC_SALESFORCE_ORG_ID"
            ),
        ),
        413: _soap_response(
            "Body larger than 1 MiB: a fault.",
            salesforce_soap.fault(f"body larger than {MAX_BODY_BYTES} bytes"),
        ),
        503: _soap_response(
            "The inbox database is unavailable: a fault; Salesforce retries.",
            salesforce_soap.fault("the inbox is unavailable, retry later", server=True),
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/xml": {"schema": _OUTBOUND_SCHEMA, "example": _OUTBOUND_EXAMPLE}},
        }
    },
)
async def receive_salesforce_outbound_message(
    request: Request, resources: ResourcesDep
) -> Response:
    org_id = resources.settings.salesforce_org_id

    def precheck() -> None:
        salesforce_soap.configured_org(org_id)

    def handle(body: bytes) -> Delivery:
        return salesforce_soap.parse_outbound_message(body, org_id=org_id)

    try:
        delivery, _stored, _duplicates = await _receive(
            request, resources, "salesforce", precheck, handle
        )
    except WebhookError as error:
        return _soap(salesforce_soap.fault(error.message), error.status)
    except _Unavailable:
        return _soap(
            salesforce_soap.fault("the inbox is unavailable, retry later", server=True),
            503,
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    if delivery.ignored:
        logger.info("salesforce outbound message: %d notification(s) skipped", delivery.ignored)
    return _soap(salesforce_soap.ACK, 200)


# --- Salesforce JSON (Flow HTTP callout, Apex) -----------------------------------------------


def _any_case(word: str) -> str:
    """A pattern for `word` in any letter case (JSON Schema patterns have no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_SALESFORCE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["eventId", "objectType", "recordId", "changeType"],
    "properties": {
        "eventId": {
            "type": "string",
            "minLength": 1,
            "maxLength": EVENT_ID_MAX_CHARS,
            "pattern": _ID_PATTERN,
            "description": "dedupe key: no control characters, no surrounding spaces",
        },
        "objectType": {
            "type": "string",
            "pattern": f"^({'|'.join(_any_case(t) for t in ('Lead', 'Account', 'Opportunity'))})$",
            "description": "Lead, Account or Opportunity (any letter case)",
        },
        "recordId": {
            "type": "string",
            "pattern": _SALESFORCE_ID_PATTERN,
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


@router.post(
    "/salesforce",
    summary="Receive Salesforce record changes as JSON (Flow HTTP callout, Apex)",
    description=(
        'Our own JSON contract for Flow HTTP callouts and Apex: `{"events": [...]}` (at most '
        f"{MAX_EVENTS}) or a single event object, each with `eventId` (the dedupe key), "
        "`objectType` (Lead, Account, Opportunity), `recordId` and `changeType` (created, "
        "updated, deleted). Authenticated against `ICP_SYNC_SALESFORCE_WEBHOOK_SECRET` by "
        f"either `{salesforce_json.SECRET_HEADER}: <secret>` (a Named Credential header; Flow "
        f"cannot sign) or `{salesforce_json.SIGNATURE_HEADER}` = hex(HMAC-SHA256(secret, "
        f"timestamp + '.' + raw body)) with `{salesforce_json.TIMESTAMP_HEADER}` (unix "
        "seconds) within 5 minutes (Apex). Unset secret: every request is refused."
    ),
    response_model=Received,
    responses=_json_responses(
        "Not a valid body; `detail` names the path.",
        "Missing or wrong secret or signature, stale timestamp, or no secret.",
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["events"],
                                "properties": {
                                    "events": {
                                        "type": "array",
                                        "maxItems": MAX_EVENTS,
                                        "items": _SALESFORCE_EVENT_SCHEMA,
                                    }
                                },
                            },
                            {  # one event: a body with an `events` key is the list form
                                **_SALESFORCE_EVENT_SCHEMA,
                                "not": {"required": ["events"]},
                            },
                        ]
                    },
                    "example": {
                        "events": [
                            {
                                "eventId": "a0B5e00000Ev7NtEAJ-1",
                                "objectType": "Lead",
                                "recordId": "00Q5e00000XyZaBEAV",
                                "changeType": "created",
                            }
                        ]
                    },
                }
            },
        }
    },
)
async def receive_salesforce_json(request: Request, resources: ResourcesDep) -> Response:
    settings = resources.settings
    secret = (
        settings.salesforce_webhook_secret.get_secret_value()
        if settings.salesforce_webhook_secret
        else None
    )

    def precheck() -> None:
        salesforce_json.require_secret(secret)

    def handle(body: bytes) -> Delivery:
        salesforce_json.verify(
            secret=secret,
            body=body,
            shared_secret=request.headers.get(salesforce_json.SECRET_HEADER),
            signature_hex=request.headers.get(salesforce_json.SIGNATURE_HEADER),
            timestamp=request.headers.get(salesforce_json.TIMESTAMP_HEADER),
            now_s=int(time.time()),
        )
        return salesforce_json.parse_events(body)

    return await _json_endpoint(request, resources, "salesforce", precheck, handle)


# --- shared ----------------------------------------------------------------------------------


async def _json_endpoint(
    request: Request,
    resources: Resources,
    source: Source,
    precheck: Callable[[], None],
    handle: Callable[[bytes], Delivery],
) -> Response:
    try:
        delivery, stored, duplicates = await _receive(request, resources, source, precheck, handle)
    except WebhookError as error:
        return JSONResponse({"detail": error.message, "reason": error.reason}, error.status)
    except _Unavailable:
        return JSONResponse(
            {"detail": "the inbox is unavailable, retry later", "reason": "unavailable"},
            503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    return JSONResponse(
        Received(received=stored, duplicates=duplicates, ignored=delivery.ignored).model_dump()
    )


async def _receive(
    request: Request,
    resources: Resources,
    source: Source,
    precheck: Callable[[], None],
    handle: Callable[[bytes], Delivery],
) -> tuple[Delivery, int, int]:
    """Check the configuration (`precheck`), read the body, verify and parse it (`handle`), then
    store its events: (delivery, stored, duplicates).

    Raises `WebhookError` (counted and logged) or `_Unavailable` (the database failed).
    """
    received_at = datetime.now(UTC)
    try:
        precheck()
        body = await read_body(request.stream(), request.headers.get("content-length"))
        # A typical delivery (a few KiB) is verified and parsed faster than a thread hop
        # costs; a large one (up to 1 MiB) runs off the event loop.
        if len(body) <= INLINE_PARSE_BYTES:
            delivery = handle(body)
        else:
            delivery = await run_in_threadpool(handle, body)
    except WebhookError as error:
        _refused(source, error)
        raise
    except Exception:  # a bug in verifying or parsing: 503, so the CRM retries after the fix
        record_rejected(source, "unavailable")
        logger.exception("%s webhook: unexpected error while parsing, answered 503", source)
        raise _Unavailable from None
    try:
        stored, duplicates = await resources.inbox_writer.store(delivery.events, received_at)
    except SQLAlchemyError as error:
        record_rejected(source, "unavailable")
        logger.warning(
            "%s webhook: inbox unavailable, answered 503: %s", source, _first_line(error)
        )
        raise _Unavailable from None
    except Exception:  # a bug must still not turn into a 500: the CRM retries a 503
        record_rejected(source, "unavailable")
        logger.exception("%s webhook: unexpected error while storing, answered 503", source)
        raise _Unavailable from None
    return delivery, stored, duplicates


def _refused(source: Source, error: WebhookError) -> None:
    record_rejected(source, error.reason)
    logger.warning(
        "%s webhook refused with %d (%s): %s", source, error.status, error.reason, error.message
    )


def _soap(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status, headers=headers, media_type=salesforce_soap.CONTENT_TYPE)


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
