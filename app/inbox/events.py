"""What a verified webhook delivery becomes before it is stored: one event per CRM record
change, in the CRM's own ids. A webhook carries ids, not the truth: the worker fetches the
fresh record, so the payload is kept for diagnosis and echo detection only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["hubspot", "salesforce"]
ObjectType = Literal["company", "deal", "contact", "account", "lead", "opportunity"]

PENDING, PROCESSING, DONE, DEAD = "pending", "processing", "done", "dead"
STATUSES = (PENDING, PROCESSING, DONE, DEAD)


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One change notified by a CRM.

    `event_id` is the CRM's id for the notification (HubSpot `eventId`, an Outbound Message
    notification `Id`, the JSON endpoint's `eventId`). It is not the event's identity on its
    own: HubSpot documents `eventId` as not guaranteed unique, so two distinct changes may share
    it; `identity` (see `event_identity`) is what a redelivery repeats and a distinct event does
    not, and the inbox stores each identity once. `event_type` is the CRM's name for it
    (`company.propertyChange`, `contact.creation`, `outbound_message`, …).
    `object_type`/`object_id` name the record.
    """

    source: Source
    event_id: str
    event_type: str
    object_type: ObjectType
    object_id: str
    occurred_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> str:
        """The inbox's dedupe key for this event (`event_identity`)."""
        return event_identity(
            self.source,
            self.event_id,
            self.event_type,
            self.object_type,
            self.object_id,
            self.payload,
        )


# The payload fields that, with the columns, tell two distinct events apart. HubSpot: "eventId
# … is not guaranteed to be unique" (developers.hubspot.com/docs/api/webhooks, "Webhook
# payloads"), so the portal, property and `occurredAt` join the subscription type, object and
# `eventId`; a retry repeats all of them (only `attemptNumber` changes). Salesforce: an
# Outbound Message redelivery repeats its notification `Id` (unique per notification in its
# org), so the org joins it; the JSON endpoint's events add their `occurredAt`.
_DISTINCT_FIELDS: dict[str, tuple[str, ...]] = {
    "hubspot": ("portalId", "propertyName", "occurredAt"),
    "salesforce": ("OrganizationId", "occurredAt"),
}


def event_identity(
    source: str,
    event_id: str,
    event_type: str,
    object_type: str,
    object_id: str,
    payload: Mapping[str, Any],
) -> str:
    """A 64-character digest of what makes an event distinct: (source, event id, type, object
    type, object id) and the source's distinguishing payload fields (`_DISTINCT_FIELDS`).

    Stored in `webhook_events.identity` (unique per source); the migration that added the
    column computes the same digest for the rows it found, so keep the two in step.
    """
    parts = [source, event_id, event_type, object_type, object_id]
    distinct = [payload.get(name) for name in _DISTINCT_FIELDS.get(source, ())]
    canonical = json.dumps([*parts, *distinct], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
