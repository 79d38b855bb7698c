"""The OpenAPI documentation of `POST /webhooks/salesforce/outbound-message`: what
`app.webhooks.salesforce_soap` parses, as a description, a request body schema and the SOAP
answers (an `Ack` or a fault)."""

from __future__ import annotations

from typing import Any

from app.webhooks import salesforce_soap
from app.webhooks.body import MAX_BODY_BYTES
from app.webhooks.common import MAX_EVENTS
from app.webhooks.errors import too_large
from app.webhooks.openapi import SALESFORCE_ID_PATTERN, EndpointDoc, request_body

_EXAMPLE = (
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
            "pattern": SALESFORCE_ID_PATTERN,
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
            "pattern": SALESFORCE_ID_PATTERN,
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
                    "Id": {"type": "string", "pattern": SALESFORCE_ID_PATTERN},
                    "sObject": _SOBJECT,
                },
            },
        },
    },
}
_SCHEMA: dict[str, Any] = {
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


def _answer(description: str, example: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/xml": {"schema": {"type": "string"}, "example": example}},
    }


DOC = EndpointDoc(
    summary="Receive a Salesforce Outbound Message (SOAP)",
    description=(
        "The SOAP 1.1 `notifications` message a Salesforce Outbound Message action sends "
        f"(Lead, Account, Opportunity; at most {MAX_EVENTS} notifications). Accepted when its "
        f"`OrganizationId` is `{salesforce_soap.ORG_SETTING}` (first 15 characters compared, "
        "case-sensitively); unset, every request is refused. Outbound Messages are not signed: "
        "serve this over HTTPS and, where it matters, restrict it at the proxy.\n\n"
        "Answered with the `Ack` Salesforce expects once the notifications are in the inbox "
        "(one row per notification `Id`; a redelivery is acknowledged and not stored again; "
        "other sObject types are acknowledged and skipped). The session id is never stored. "
        "Errors are SOAP faults with HTTP 400 (malformed; DOCTYPE and ENTITY declarations "
        "are refused), 401 (org), 413 (body over 1 MiB) or 503 (database, with `Retry-After`) "
        "rather than SOAP's usual 500: Salesforce retries anything but an Ack either way."
    ),
    responses={
        200: _answer("Stored: the Ack.", salesforce_soap.ACK),
        400: _answer(
            "Not a valid Outbound Message: a fault naming the problem.",
            salesforce_soap.fault("body: not well-formed XML: syntax error: line 1, column 0"),
        ),
        401: _answer(
            "Another organisation, or no org id configured: a fault.",
            salesforce_soap.fault(
                f"OrganizationId 00D000000000001AAA is not the organisation configured in "
                f"{salesforce_soap.ORG_SETTING}"
            ),
        ),
        413: _answer(
            "Body larger than 1 MiB: a fault.",
            salesforce_soap.fault(too_large(MAX_BODY_BYTES).message),
        ),
        503: _answer(
            "The inbox database is unavailable: a fault; Salesforce retries.",
            salesforce_soap.UNAVAILABLE_FAULT,
        ),
    },
    openapi_extra=request_body("text/xml", _SCHEMA, _EXAMPLE),
)
