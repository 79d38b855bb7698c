"""Where a record lives in its CRM.

HubSpot's record URLs name the portal (`app.hubspot.com/contacts/<portal>/record/0-2/<id>`
for a company, `0-1` for a contact), and neither the settings nor the synced records know
it unless `ICP_SYNC_HUBSPOT_PORTAL_ID` is set: HubSpot's webhook payloads carry it
(`portalId`), so the newest HubSpot event in the inbox is asked, once per process. Without the
setting and before any webhook has arrived there is no HubSpot link, and the page says why.
Salesforce's Lightning URL is built on the instance URL setting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.settings import Settings
from app.store.tables import WebhookEvent

HUBSPOT_APP = "https://app.hubspot.com"
HUBSPOT_OBJECTS = {"company": "0-2", "contact": "0-1"}
SALESFORCE_OBJECTS = {"account": "Account", "lead": "Lead", "contact": "Contact"}
EVENTS_LOOKED_AT = 20


@dataclass(frozen=True)
class CrmLink:
    url: str | None
    label: str
    missing: str | None = None
    """Why there is no link."""


class CrmLinks:
    def __init__(self, settings: Settings) -> None:
        self._instance = (settings.salesforce_instance_url or "").rstrip("/")
        self._lock = threading.Lock()
        self._portal = str(settings.hubspot_portal_id) if settings.hubspot_portal_id else None

    def link(self, session: Session, source: str, object_type: str, crm_id: str) -> CrmLink:
        record = quote(crm_id, safe="")
        if source == "salesforce":
            label = "Open in Salesforce"
            kind = SALESFORCE_OBJECTS.get(object_type)
            if not self._instance or kind is None:
                return CrmLink(None, label, "the Salesforce instance URL is not configured")
            return CrmLink(f"{self._instance}/lightning/r/{kind}/{record}/view", label)
        if source == "hubspot":
            label = "Open in HubSpot"
            kind = HUBSPOT_OBJECTS.get(object_type)
            portal = self._portal_id(session)
            if portal is None or kind is None:
                return CrmLink(
                    None,
                    label,
                    "the HubSpot portal id is not known: set ICP_SYNC_HUBSPOT_PORTAL_ID (your "
                    "Hub ID), or it is learnt from the first HubSpot webhook",
                )
            return CrmLink(f"{HUBSPOT_APP}/contacts/{portal}/record/{kind}/{record}", label)
        return CrmLink(None, "", f"records from {source} have no page in a CRM")

    def _portal_id(self, session: Session) -> str | None:
        with self._lock:
            if self._portal is None:
                payloads = session.scalars(
                    select(WebhookEvent.payload)
                    .where(WebhookEvent.source == "hubspot")
                    .order_by(WebhookEvent.id.desc())
                    .limit(EVENTS_LOOKED_AT)
                )
                for payload in payloads:
                    portal = (payload or {}).get("portalId")
                    if isinstance(portal, int) and not isinstance(portal, bool):
                        self._portal = str(portal)
                        break
            return self._portal
