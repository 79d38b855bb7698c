"""What an operator sees of the inbox: events per status, the oldest waiting event's age, and
the newest events of one status with their last error. One document, shared by
`icp-sync inbox --json` and `GET /admin/inbox`, so both always say the same thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.inbox import queue
from app.inbox.events import DEAD, STATUSES
from app.store.tables import WebhookEvent


def inbox_state(
    session: Session, now: datetime, *, status: str = DEAD, limit: int = 20
) -> dict[str, Any]:
    """`counts` (events per status), `oldest_waiting_seconds` (None when nothing waits),
    `status` and `events`: the newest `limit` events of that status (see `event_summary`)."""
    if status not in STATUSES:
        raise ValueError(f"expected one of {', '.join(STATUSES)}, got {status!r}")
    age = queue.oldest_pending_age(session, now)
    return {
        "counts": queue.depth(session),
        "oldest_waiting_seconds": None if age is None else round(age.total_seconds(), 1),
        "status": status,
        "events": [event_summary(e) for e in queue.events(session, status=status, limit=limit)],
    }


def event_summary(event: WebhookEvent) -> dict[str, Any]:
    """One inbox event as JSON-ready values (times in ISO 8601); the payload is left out."""
    return {
        "id": event.id,
        "source": event.source,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "status": event.status,
        "attempts": event.attempts,
        "received_at": event.received_at.isoformat(),
        "processed_at": event.processed_at.isoformat() if event.processed_at else None,
        "last_error": event.last_error,
    }
