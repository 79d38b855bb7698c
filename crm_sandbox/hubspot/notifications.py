"""HubSpot's webhook notifications from the sandbox (hubspot.md §8): the app's subscriptions,
fired by every change the sandbox state reports, POSTed to the app's target URL as HubSpot does.

    hooks = HubSpotNotifications(state, "http://127.0.0.1:8000/webhooks/hubspot",
                            app_secret="…").start()
    state.touch_company(company_id, industry="INTERNET")   # → one company.propertyChange
    hooks.wait_idle(5.0)

- Subscriptions (`subscriptions`, default `DEFAULT_SUBSCRIPTIONS`): `company.creation`,
  `company.propertyChange`, `company.deletion`, the same for deals and contacts, and
  `contact.associationChange` (`*.restore` exists but is off by default). A propertyChange
  subscription is one per property in HubSpot; the sandbox acts as if subscribed to every
  property (or to `properties` when given), never to `hs_lastmodifieddate`/`lastmodifieddate`.
  Each gets its own `subscriptionId`.
- One event per change: a creation, an archive (`deletion`), and one `propertyChange` per
  property whose value changed (clearing sends `""`; writing the same value sends nothing).
  Writes through the API (batch update included: how icp-sync's own writeback echoes back) have
  `changeSource` `INTEGRATION`; direct state changes (`touch_company`, `create_company`, the
  inbound simulator: what a user would do) `CRM_UI`; the simulated workflows' writes
  (`workflows`) `AUTOMATION_PLATFORM`, HubSpot's source for workflow actions.
- `contact.associationChange`: one event when a contact↔company association is added or
  removed (seen from the contact: `associationType` `CONTACT_TO_COMPANY`, `fromObjectId` the
  contact, `toObjectId` the company, `associationRemoved`, `isPrimaryAssociation`; like
  HubSpot's, it carries no `objectId`, `propertyName` or `changeFlag`). A contact created with
  companies gets its `contact.creation`, then one per company. The company side
  (`company.associationChange`, `COMPANY_TO_CONTACT`) is not sent.
- Requests: a JSON array of at most 100 events raised within ~50 ms, compact JSON, numbers for
  ids and times; headers `Content-Type: application/json`, `X-HubSpot-Request-Timestamp` (epoch
  ms, per attempt), `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(app secret, "POST" + target
  URL (`signed_uri`: a few escapes decoded) + body + timestamp)) and
  `X-HubSpot-Signature-Version: v3`. With `v1_signature=True` also `X-HubSpot-Signature` =
  hex(sha256(secret + body)), and the version header says `v1` (as HubSpot's own requests do).
- Delivery: at most `max_concurrent` requests at once (HubSpot's `maxConcurrentRequests`,
  default 10); any 2xx is delivered; a connection error, a timeout (`timeout_s`, 5 s) or any
  other status is retried with the same `eventId`s and `attemptNumber` one higher, up to 10
  retries (`HUBSPOT_RETRY`: 0.5 s, 1 s, 2 s … 8 s apart, a compressed "24 h").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from crm_sandbox.core.delivery import HUBSPOT_RETRY, Delivery, IdSequence, Rendered, RetryPolicy
from crm_sandbox.core.notifier import DEFAULT_COALESCE_S, Notifier, Publisher
from crm_sandbox.hubspot.records import ChangeEvent
from crm_sandbox.hubspot.state import HubSpotState

#: Where `start_sandbox(webhook_target=BASE)` sends HubSpot's webhooks: BASE + this path.
HUBSPOT_WEBHOOK_PATH = "/webhooks/hubspot"
DEFAULT_SUBSCRIPTIONS: tuple[str, ...] = (
    "company.creation",
    "company.propertyChange",
    "company.deletion",
    "deal.creation",
    "deal.propertyChange",
    "deal.deletion",
    "contact.creation",
    "contact.propertyChange",
    "contact.deletion",
    "contact.associationChange",
)
DEFAULT_PORTAL_ID = 24_680_135
DEFAULT_APP_ID = 1_357_913
MAX_EVENTS_PER_REQUEST = 100
#: Never subscribable (hubspot.md §8).
NEVER_NOTIFIED = frozenset({"hs_lastmodifieddate", "lastmodifieddate"})
USER_AGENT = "HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon"
_SINGULAR = {"companies": "company", "deals": "deal", "contacts": "contact"}
_CHANGE_SOURCE = {"API": "INTEGRATION", "SANDBOX": "CRM_UI", "WORKFLOW": "AUTOMATION_PLATFORM"}
_ASSOCIATION_TYPES = {("contacts", "companies"): "CONTACT_TO_COMPANY"}
_DECODED_ESCAPES = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)
_CHANGE_FLAG = {"creation": "CREATED", "deletion": "DELETED", "restore": "RESTORED"}


def signed_uri(url: str) -> str:
    """The URI HubSpot signs: the URL it calls with only the escapes hubspot.md §8 lists
    decoded (`%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B`)."""
    return _DECODED_ESCAPES.sub(lambda match: chr(int(match.group(1), 16)), url)


def signature_v3(secret: str, method: str, url: str, body: bytes, timestamp_ms: int) -> str:
    """HubSpot's v3 signature: base64(HMAC-SHA256(secret, method + url + body + timestamp)),
    `url` being the signed URI (`signed_uri`)."""
    message = method.encode() + url.encode() + body + str(timestamp_ms).encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_v1(secret: str, body: bytes) -> str:
    """HubSpot's v1 webhook signature: hex(sha256(secret + body))."""
    return hashlib.sha256(secret.encode() + body).hexdigest()


@dataclass(frozen=True, slots=True)
class Association:
    """What an `associationChange` event adds."""

    association_type: str
    to_object_id: int
    removed: bool
    primary: bool

    def as_json(self, from_object_id: int) -> dict[str, Any]:
        return {
            "associationType": self.association_type,
            "fromObjectId": from_object_id,
            "toObjectId": self.to_object_id,
            "associationRemoved": self.removed,
            "isPrimaryAssociation": self.primary,
        }


@dataclass(frozen=True, slots=True)
class HubSpotEvent:
    """One event as queued; `attemptNumber`, `portalId` and `appId` are added per request."""

    event_id: int
    subscription_id: int
    subscription_type: str
    object_id: int
    occurred_at: int
    change_source: str
    property_name: str | None = None
    property_value: str | None = None
    change_flag: str | None = None
    association: Association | None = None

    def as_json(self, *, portal_id: int, app_id: int, attempt: int) -> dict[str, Any]:
        event: dict[str, Any] = {
            "eventId": self.event_id,
            "subscriptionId": self.subscription_id,
            "portalId": portal_id,
            "appId": app_id,
            "occurredAt": self.occurred_at,
            "subscriptionType": self.subscription_type,
            "attemptNumber": attempt,
        }
        if self.association is not None:
            event["changeSource"] = self.change_source
            event.update(self.association.as_json(self.object_id))
            return event
        event["objectId"] = self.object_id
        event["changeSource"] = self.change_source
        if self.property_name is not None:
            event["propertyName"] = self.property_name
            event["propertyValue"] = self.property_value
        if self.change_flag is not None:
            event["changeFlag"] = self.change_flag
        return event


class HubSpotNotifications(Publisher):
    """The sandbox app's webhook subscriptions and their notifier (see the module docstring).

    Attributes: `state`, `target_url`, `app_secret`, `app_id`, `portal_id`, `subscriptions`,
    `properties` (None: every property), `notifier` (the `Notifier`).
    """

    def __init__(
        self,
        state: HubSpotState,
        target_url: str,
        *,
        app_secret: str,
        app_id: int = DEFAULT_APP_ID,
        portal_id: int = DEFAULT_PORTAL_ID,
        subscriptions: Collection[str] = DEFAULT_SUBSCRIPTIONS,
        properties: Collection[str] | None = None,
        max_concurrent: int = 10,
        retry: RetryPolicy = HUBSPOT_RETRY,
        timeout_s: float = 5.0,
        coalesce_s: float = DEFAULT_COALESCE_S,
        duplicate_rate: float = 0.0,
        v1_signature: bool = False,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        if not app_secret:
            raise ValueError("the HubSpot app secret must not be empty")
        self.state = state
        self.app_secret = app_secret
        self.app_id = app_id
        self.portal_id = portal_id
        self.subscriptions = frozenset(subscriptions)
        self.properties = None if properties is None else frozenset(properties)
        self.v1_signature = v1_signature
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._event_ids = IdSequence(secrets.randbelow(1_000_000_000) + 1_000_000_000)
        self._subscription_ids: dict[tuple[str, str | None], int] = {}
        self._subscription_lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self.notifier: Notifier[HubSpotEvent] = Notifier(
            target_url,
            self,
            name="hubspot-notifications",
            max_concurrent=max_concurrent,
            retry=retry,
            timeout_s=timeout_s,
            coalesce_s=coalesce_s,
            max_batch=MAX_EVENTS_PER_REQUEST,
            duplicate_rate=duplicate_rate,
        )
        self.target_url = self.notifier.target_url

    def _subscribe(self) -> Callable[[], None]:
        return self.state.subscribe(self.on_change)

    def subscription_id(self, subscription_type: str, property_name: str | None = None) -> int:
        """The id of a subscription (one per propertyChange property), made on first use."""
        key = (subscription_type, property_name if subscription_type.endswith("Change") else None)
        with self._subscription_lock:
            found = self._subscription_ids.get(key)
            if found is None:
                found = self._subscription_ids[key] = 100 + len(self._subscription_ids) + 1
            return found

    # --- events -------------------------------------------------------------------------------

    def on_change(self, change: ChangeEvent) -> None:
        """A state listener (runs under the state's lock): queues the subscribed events."""
        singular = _SINGULAR.get(change.object_type)
        subscription_type = f"{singular}.{change.kind}"
        if singular is None or subscription_type not in self.subscriptions:
            return
        source = _CHANGE_SOURCE.get(change.source, change.source)
        object_id = int(change.object_id)
        if change.association is not None:
            link = change.association
            kind = _ASSOCIATION_TYPES.get((change.object_type, link.to_type))
            if kind is None:
                return
            association = Association(kind, int(link.to_id), link.removed, link.primary)
            self.notifier.submit(
                HubSpotEvent(
                    self._event_ids.next(),
                    self.subscription_id(subscription_type),
                    subscription_type,
                    object_id,
                    change.occurred_ms,
                    source,
                    association=association,
                )
            )
            return
        if change.kind != "propertyChange":
            self.notifier.submit(
                HubSpotEvent(
                    self._event_ids.next(),
                    self.subscription_id(subscription_type),
                    subscription_type,
                    object_id,
                    change.occurred_ms,
                    source,
                    change_flag=_CHANGE_FLAG.get(change.kind),
                )
            )
            return
        for name, value in change.properties.items():
            if name in NEVER_NOTIFIED or (
                self.properties is not None and name not in self.properties
            ):
                continue
            self.notifier.submit(
                HubSpotEvent(
                    self._event_ids.next(),
                    self.subscription_id(subscription_type, name),
                    subscription_type,
                    object_id,
                    change.occurred_ms,
                    source,
                    property_name=name,
                    property_value=value,
                )
            )

    # --- the delivery format --------------------------------------------------------------

    def batches(self, items: Sequence[HubSpotEvent], max_batch: int) -> list[list[HubSpotEvent]]:
        return [list(items[start : start + max_batch]) for start in range(0, len(items), max_batch)]

    def render(self, delivery: Delivery[Any], target_url: str) -> Rendered:
        events = [
            event.as_json(portal_id=self.portal_id, app_id=self.app_id, attempt=delivery.attempt)
            for event in delivery.items
        ]
        body = json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = self._clock_ms()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-HubSpot-Request-Timestamp": str(timestamp),
            "X-HubSpot-Signature-v3": signature_v3(
                self.app_secret, "POST", signed_uri(target_url), body, timestamp
            ),
            "X-HubSpot-Signature-Version": "v3",
        }
        if self.v1_signature:
            headers["X-HubSpot-Signature"] = signature_v1(self.app_secret, body)
            headers["X-HubSpot-Signature-Version"] = "v1"
        return Rendered(body, headers)

    def accepted(self, status: int, body: bytes) -> bool:
        del body
        return 200 <= status < 300
