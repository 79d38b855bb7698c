"""Salesforce Outbound Messages: a SOAP 1.1 `notifications` envelope in, an `Ack` out.

Outbound Messages are not signed. A message is accepted when its `OrganizationId` is the
configured org (`ICP_SYNC_SALESFORCE_ORG_ID`; the first 15 characters are compared, case-
sensitively, so the 15- and 18-character forms of the same id match). Org ids are not secret, so
this only filters out other orgs and mistakes: serve the endpoint over HTTPS only, and where that
matters restrict it at the proxy (Salesforce's IP ranges, or its client certificate).

XML safety: `defusedxml` is not a dependency, so before parsing the body is decoded as UTF-8 and
refused if it contains `<!DOCTYPE` or `<!ENTITY`. Without a document type declaration there are
no entity definitions, hence no entity expansion ("billion laughs") and no external entities or
DTD fetches; the text checked is exactly the text parsed (the parser is given a `str`, so an
`encoding=` in the XML declaration cannot make it read other characters than were checked).
Outbound Messages never carry a DOCTYPE; markup-like text inside field values arrives escaped
(`&lt;!DOCTYPE`), so no real message is refused by this check.

Errors are answered as SOAP faults (`faultcode` `soapenv:Client`, or `soapenv:Server` for a 503)
with HTTP 400, 401 or 413 rather than SOAP 1.1's customary 500: Salesforce treats anything but a
200 `Ack` as a failure and retries it for up to 24 hours either way, and a 4xx tells the people
watching the service that the request, not the service, is at fault.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from app.inbox.events import IncomingEvent, ObjectType
from app.webhooks.common import (
    EVENT_ID_MAX_CHARS,
    Delivery,
    check_count,
    describe,
    fail,
    require_id,
)
from app.webhooks.errors import (
    UNAVAILABLE,
    WebhookError,
    malformed,
    not_configured,
    unauthorized,
)

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ORG_SETTING = "ICP_SYNC_SALESFORCE_ORG_ID"
EVENT_TYPE = "outbound_message"

# The sObject types (`xsi:type="sf:Lead"`) we act on; others are acknowledged and skipped.
SOBJECTS: dict[str, ObjectType] = {
    "Lead": "lead",
    "Account": "account",
    "Opportunity": "opportunity",
}

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)
CONTENT_TYPE = "text/xml; charset=utf-8"

_SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
TYPE_NAME_PATTERN = "^([A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z_][A-Za-z0-9_.-]*$"
"""An `xsi:type` value: a type name, prefixed or not (`sf:Lead`)."""
_TYPE_NAME = re.compile(TYPE_NAME_PATTERN)
_FORBIDDEN_MARKUP = ("<!DOCTYPE", "<!ENTITY")


def fault(message: str, *, server: bool = False) -> str:
    """A SOAP 1.1 fault envelope carrying `message` (escaped)."""
    code = "soapenv:Server" if server else "soapenv:Client"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


UNAVAILABLE_FAULT = fault(UNAVAILABLE, server=True)


def require_org_id(org_id: str | None) -> str:
    """The first 15 characters of the configured org id, or a 401 saying it is not set."""
    if not org_id or not org_id.strip():
        raise not_configured("the Salesforce organisation id", ORG_SETTING)
    org_id = org_id.strip()
    if not _SALESFORCE_ID.fullmatch(org_id):
        raise WebhookError(
            401,
            "not_configured",
            f"{ORG_SETTING} is not a 15- or 18-character organisation id: every request is refused",
        )
    return org_id[:15]


def parse_delivery(body: bytes, *, org_id: str | None) -> Delivery:
    """The notifications of an Outbound Message from the configured org, as inbox events.

    401 when the org id is not configured or the message comes from another org; 400 naming the
    problem when the body is not a well-formed Outbound Message.
    """
    expected_org = require_org_id(org_id)
    notifications = _notifications(_parse_xml(body))
    organization = _child_text(notifications, "OrganizationId", "notifications")
    if not _SALESFORCE_ID.fullmatch(organization):
        fail("notifications/OrganizationId", f"expected an org id, got {describe(organization)}")
    if organization[:15] != expected_org:
        raise unauthorized(
            "org",
            f"OrganizationId {organization} is not the organisation configured in {ORG_SETTING}",
        )
    action = notifications.find(f"{{{OUTBOUND_NS}}}ActionId")
    action_id = (action.text or "").strip() if action is not None else None
    items = notifications.findall(f"{{{OUTBOUND_NS}}}Notification")
    check_count(len(items), "notifications")
    events: list[IncomingEvent] = []
    ignored = 0
    for position, item in enumerate(items, start=1):
        path = f"notifications/Notification[{position}]"
        event = _event(item, path, organization=organization, action_id=action_id)
        if event is None:
            ignored += 1
        else:
            events.append(event)
    return Delivery(events=tuple(events), ignored=ignored)


def _parse_xml(body: bytes) -> ET.Element:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise malformed(f"body: not UTF-8 text (byte {error.start})") from None
    for markup in _FORBIDDEN_MARKUP:
        if markup in text:
            raise malformed(
                f"body: {markup} declarations are refused (an Outbound Message has none)"
            )
    if not text.strip():
        raise malformed("body: empty, expected a SOAP envelope")
    try:
        return ET.fromstring(text)  # noqa: S314 - DOCTYPE/ENTITY refused above (module docstring)
    except ET.ParseError as error:
        raise malformed(f"body: not well-formed XML: {error}") from None


def _notifications(root: ET.Element) -> ET.Element:
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        fail("body", f"expected a SOAP 1.1 Envelope ({SOAP_ENV_NS}), got <{_name(root.tag)}>")
    soap_body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if soap_body is None:
        fail("Envelope", "no soapenv:Body")
    notifications = soap_body.find(f"{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        fail("Envelope/Body", f"no notifications element in namespace {OUTBOUND_NS}")
    return notifications


def _event(
    item: ET.Element, path: str, *, organization: str, action_id: str | None
) -> IncomingEvent | None:
    notification_id = _child_text(item, "Id", path)
    require_id(notification_id, f"{path}/Id", EVENT_ID_MAX_CHARS)
    if not _SALESFORCE_ID.fullmatch(notification_id):
        fail(f"{path}/Id", f"expected a Salesforce id, got {describe(notification_id)}")
    sobject = item.find(f"{{{OUTBOUND_NS}}}sObject")
    if sobject is None:
        fail(path, "no sObject")
    declared = sobject.get(f"{{{XSI_NS}}}type")
    if not declared:
        fail(f"{path}/sObject", "no xsi:type naming the object (e.g. sf:Lead)")
    if not _TYPE_NAME.fullmatch(declared):
        fail(
            f"{path}/sObject", f"xsi:type is not a type name such as sf:Lead: {describe(declared)}"
        )
    object_type = SOBJECTS.get(declared.rpartition(":")[2])
    if object_type is None:
        return None
    fields: dict[str, Any] = {}
    for child in sobject:
        if not isinstance(child.tag, str):  # a comment or processing instruction
            continue
        nil = child.get(f"{{{XSI_NS}}}nil") in ("true", "1")
        fields[_name(child.tag)] = None if nil else "".join(child.itertext())
    record_id = fields.get("Id")
    if not isinstance(record_id, str) or not _SALESFORCE_ID.fullmatch(record_id.strip()):
        fail(f"{path}/sObject/Id", f"expected a Salesforce id, got {describe(record_id)}")
    payload = {**fields, "ActionId": action_id, "OrganizationId": organization}
    return IncomingEvent(
        source="salesforce",
        event_id=notification_id,
        event_type=EVENT_TYPE,
        object_type=object_type,
        object_id=record_id.strip(),
        payload=payload,
    )


def _child_text(parent: ET.Element, name: str, path: str) -> str:
    child = parent.find(f"{{{OUTBOUND_NS}}}{name}")
    if child is None:
        fail(path, f"no {name}")
    return "".join(child.itertext()).strip()


def _name(tag: str) -> str:
    """The local name of a `{namespace}name` tag."""
    return tag.rpartition("}")[2]
