"""Inbox events as the webhook endpoints store them, for worker and queue tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import PENDING
from app.store.tables import WebhookEvent


def put(
    sessions: sessionmaker[Session], *events: dict[str, Any], now: datetime | None = None
) -> list[int]:
    """Stores the events (received `now`, due at once); returns their row ids in order."""
    at = now or datetime.now(UTC)
    rows = [
        WebhookEvent(
            source=e.get("source", "hubspot"),
            event_id=e["event_id"],
            event_type=e["event_type"],
            object_type=e["object_type"],
            object_id=e["object_id"],
            payload=e.get("payload", {}),
            status=PENDING,
            attempts=0,
            next_attempt_at=at,
            received_at=at,
        )
        for e in events
    ]
    with sessions() as session:
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def statuses(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Status per event id."""
    with sessions() as session:
        return {e.event_id: e.status for e in session.scalars(select(WebhookEvent))}


def company_change(event_id: str, company: str, **payload: Any) -> dict[str, Any]:
    """A HubSpot `company.propertyChange` event about `company`."""
    return {
        "event_id": event_id,
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": company,
        "payload": payload,
    }
