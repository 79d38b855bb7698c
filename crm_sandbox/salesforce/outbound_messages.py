"""Salesforce Outbound Messages from the sandbox org (salesforce.md §7): a record-triggered
flow's Outbound Message action on Lead, Account and Opportunity, fired by every create and
update the org reports (REST single-record and collection writes, direct `create`/`update`,
lead conversion), POSTed as SOAP to the configured endpoint.

    outbound = OutboundMessages(state, "http://127.0.0.1:8000/webhooks/salesforce/"
                                "outbound-message", instance_url=org.url).start()

- One message per object type per ~50 ms window, at most 100 `Notification`s each; a record
  saved twice in one window is notified once (values are the record's state when the message
  is built, as in Salesforce: intermediate changes are lost; a record deleted before then is
  left out, and a message left with no notification is not sent).
- The envelope of §7: `notifications` with `OrganizationId` (the org's 18-char id), `ActionId`
  (one `04k` id per object type), `SessionId` (a fake session id; `send_session_id=False` sends
  `xsi:nil`), `EnterpriseUrl`, `PartnerUrl`, and per record a `Notification` with a unique
  18-char `04l` `Id` and an `sObject xsi:type="sf:Lead"` carrying `sf:Id` and the object's
  `fields` (nulls left out). `Content-Type: text/xml; charset=utf-8`, `SOAPAction: ""`.
- Delivered only on HTTP 200 whose body holds `<Ack>true</Ack>`; anything else (another
  status, a fault, `false`, no answer within `timeout_s`) is retried with the same notification
  ids and body, backing off (`SALESFORCE_RETRY`: 0.5 s doubling to 5 s apart, dropped after 60 s:
  Salesforce's "2 h apart, dropped after 24 h" compressed).
- `exclude_modified_by`: user ids whose saves do not fire (the flow's entry criterion
  `LastModifiedById != <integration user>` of §7's echo suppression); empty by default, so
  icp-sync's own writes come back, as they do in an org without that criterion.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from crm_sandbox.core.delivery import SALESFORCE_RETRY, Delivery, IdSequence, Rendered, RetryPolicy
from crm_sandbox.core.notifier import DEFAULT_COALESCE_S, Notifier, Publisher
from crm_sandbox.core.times import iso_ms
from crm_sandbox.salesforce.backend import SalesforceChange
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.ids import make_id
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.state import SalesforceState

#: Where `start_sandbox(webhook_target=BASE)` sends Outbound Messages: BASE + this path.
SALESFORCE_WEBHOOK_PATH = "/webhooks/salesforce/outbound-message"
OUTBOUND_OBJECTS: tuple[str, ...] = ("Lead", "Account", "Opportunity")
#: The fields each object's Outbound Message carries (those the org has), after `Id`.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "Lead": (
        "Company",
        "Email",
        "Website",
        "Industry",
        "NumberOfEmployees",
        "Country",
        "Status",
        "IsConverted",
        "ICP_Tier__c",
        "LastModifiedById",
        "SystemModstamp",
    ),
    "Account": (
        "Name",
        "Website",
        "Industry",
        "NumberOfEmployees",
        "BillingCountry",
        "ICP_Tier__c",
        "LastModifiedById",
        "SystemModstamp",
    ),
    "Opportunity": (
        "Name",
        "AccountId",
        "StageName",
        "IsClosed",
        "IsWon",
        "Amount",
        "LastModifiedById",
        "SystemModstamp",
    ),
}
MAX_NOTIFICATIONS = 100
API_VERSION = "59.0"
_ACK = re.compile(rb"<(?:[\w.-]+:)?Ack>\s*true\s*</(?:[\w.-]+:)?Ack>")
_ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    " <soapenv:Body>\n"
    '  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">\n'
)
_ENVELOPE_TAIL = "  </notifications>\n </soapenv:Body>\n</soapenv:Envelope>\n"


@dataclass(frozen=True, slots=True)
class OutboundNotification:
    """One queued notification: its `04l` id and the record it is about."""

    notification_id: str
    object_name: str
    record_id: str


def ack_body(ack: bool = True) -> str:
    """The receiver's answer Salesforce expects (what a test receiver sends back)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<Ack>{'true' if ack else 'false'}</Ack></notificationsResponse></soapenv:Body>"
        "</soapenv:Envelope>"
    )


class OutboundMessages(Publisher):
    """The org's Outbound Message actions and their notifier (see the module docstring).

    Attributes: `state`, `target_url`, `instance_url`, `org_id`, `objects`, `fields`,
    `action_ids` (object → `04k` id), `session_id`, `exclude_modified_by`, `notifier`.
    """

    def __init__(
        self,
        state: SalesforceState,
        target_url: str,
        *,
        instance_url: str = "https://127.0.0.1",
        objects: Collection[str] = OUTBOUND_OBJECTS,
        fields: Mapping[str, Sequence[str]] | None = None,
        exclude_modified_by: Collection[str] = (),
        send_session_id: bool = True,
        max_concurrent: int = 5,
        retry: RetryPolicy = SALESFORCE_RETRY,
        timeout_s: float = 10.0,
        coalesce_s: float = DEFAULT_COALESCE_S,
        duplicate_rate: float = 0.0,
    ) -> None:
        self.state = state
        self.instance_url = instance_url.rstrip("/")
        self.org_id = state.org_id
        self.objects = frozenset(objects)
        self.fields = {name: tuple(fields_) for name, fields_ in (fields or DEFAULT_FIELDS).items()}
        self.action_ids = {
            name: make_id("04k", number) for number, name in enumerate(OUTBOUND_OBJECTS, 1)
        }
        self.session_id = (
            f"{self.org_id[:15]}!AQ0{secrets.token_urlsafe(48)}" if send_session_id else None
        )
        self.exclude_modified_by = frozenset(exclude_modified_by)
        self._notification_numbers = IdSequence(0)
        self._unsubscribe: Callable[[], None] | None = None
        self.notifier: Notifier[OutboundNotification] = Notifier(
            target_url,
            self,
            name="salesforce-outbound-messages",
            max_concurrent=max_concurrent,
            retry=retry,
            timeout_s=timeout_s,
            coalesce_s=coalesce_s,
            max_batch=MAX_NOTIFICATIONS,
            duplicate_rate=duplicate_rate,
        )
        self.target_url = self.notifier.target_url

    def _subscribe(self) -> Callable[[], None]:
        return self.state.subscribe(self.on_change)

    # --- events -------------------------------------------------------------------------------

    def on_change(self, change: SalesforceChange) -> None:
        """A state listener (runs under the org's lock): queues a notification."""
        if change.object_name not in self.objects:
            return
        if change.modified_by is not None and change.modified_by in self.exclude_modified_by:
            return
        notification_id = make_id("04l", self._notification_numbers.next())
        self.notifier.submit(
            OutboundNotification(notification_id, change.object_name, change.record_id)
        )

    # --- the delivery format --------------------------------------------------------------

    def batches(
        self, items: Sequence[OutboundNotification], max_batch: int
    ) -> list[list[OutboundNotification]]:
        """One message per object type (in order of first change), each record once."""
        by_object: dict[str, list[OutboundNotification]] = {}
        seen: set[tuple[str, str]] = set()
        for item in items:
            key = (item.object_name, item.record_id)
            if key in seen:
                continue
            seen.add(key)
            by_object.setdefault(item.object_name, []).append(item)
        return [
            group[start : start + max_batch]
            for group in by_object.values()
            for start in range(0, len(group), max_batch)
        ]

    def render(self, delivery: Delivery[Any], target_url: str) -> Rendered | None:
        """The envelope, built at the first attempt from the records' current state and sent
        unchanged on every retry."""
        del target_url
        if delivery.cache is None:
            delivery.cache = self._envelope(delivery.items) or b""
        body: bytes = delivery.cache
        if not body:
            return None
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return Rendered(body, headers)

    def accepted(self, status: int, body: bytes) -> bool:
        return status == 200 and _ACK.search(body) is not None

    def _envelope(self, items: Sequence[OutboundNotification]) -> bytes | None:
        if not items:
            return None
        object_name = items[0].object_name
        schema = self.state.fields(object_name)
        wanted = [name for name in self.fields.get(object_name, ()) if name in schema]
        notifications: list[str] = []
        for item in items:
            try:
                record = self.state.get(object_name, item.record_id)
            except SalesforceError:
                continue
            if record["IsDeleted"]:
                continue  # deleted before the send: no data
            values = "".join(
                f"<sf:{name}>{escape(_soap_value(schema[name], record[name]))}</sf:{name}>"
                for name in wanted
                if record.get(name) is not None
            )
            notifications.append(
                f"   <Notification>\n    <Id>{item.notification_id}</Id>\n"
                f"    <sObject xsi:type={quoteattr('sf:' + object_name)} "
                'xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
                f"<sf:Id>{escape(str(record['Id']))}</sf:Id>{values}</sObject>\n"
                "   </Notification>\n"
            )
        if not notifications:
            return None
        org15 = self.org_id[:15]
        session = (
            f"   <SessionId>{escape(self.session_id)}</SessionId>\n"
            if self.session_id is not None
            else '   <SessionId xsi:nil="true"/>\n'
        )
        header = (
            f"   <OrganizationId>{self.org_id}</OrganizationId>\n"
            f"   <ActionId>{self.action_ids.get(object_name, make_id('04k', 99))}</ActionId>\n"
            f"{session}"
            f"   <EnterpriseUrl>{escape(self.instance_url)}/services/Soap/c/{API_VERSION}/"
            f"{org15}</EnterpriseUrl>\n"
            f"   <PartnerUrl>{escape(self.instance_url)}/services/Soap/u/{API_VERSION}/"
            f"{org15}</PartnerUrl>\n"
        )
        return (_ENVELOPE_HEAD + header + "".join(notifications) + _ENVELOPE_TAIL).encode()


def _soap_value(definition: FieldDef, value: Any) -> str:
    """A field value as the enterprise WSDL writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if definition.type == "datetime" and isinstance(value, int):
        return iso_ms(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
