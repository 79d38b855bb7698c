"""What a verified webhook delivery becomes before it is stored: one event per CRM record
change, in the CRM's own ids. A webhook carries ids, not the truth: the worker fetches the
fresh record, so the payload is kept for diagnosis and echo detection only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["hubspot", "salesforce"]
ObjectType = Literal["company", "deal", "contact", "account", "lead", "opportunity"]

PENDING, PROCESSING, DONE, DEAD = "pending", "processing", "done", "dead"


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One change notified by a CRM.

    `event_id` is the CRM's id for the notification (HubSpot `eventId`, an Outbound Message
    notification `Id`, the JSON endpoint's `eventId`): a redelivery carries the same id and is
    stored once. `event_type` is the CRM's name for it (`company.propertyChange`,
    `contact.creation`, `outbound_message`, …). `object_type`/`object_id` name the record.
    """

    source: Source
    event_id: str
    event_type: str
    object_type: ObjectType
    object_id: str
    occurred_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)
