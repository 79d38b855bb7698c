"""Grouping a worker's batch of inbox events: by record, by kind, and again after a rollback."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.store.tables import WebhookEvent


def record_ids(
    events: Iterable[WebhookEvent], kinds: Iterable[str], *, exclude: set[tuple[str, str]]
) -> list[str]:
    """The ids of the records of these kinds the events name, once each, in order."""
    wanted = set(kinds)
    return list(
        dict.fromkeys(
            e.object_id
            for e in events
            if e.object_type in wanted and (e.object_type, e.object_id) not in exclude
        )
    )


def by_record(events: list[WebhookEvent]) -> list[list[WebhookEvent]]:
    """The events grouped per record, in the order of each record's first event."""
    groups: dict[tuple[str, str], list[WebhookEvent]] = defaultdict(list)
    for event in events:
        groups[(event.object_type, event.object_id)].append(event)
    return list(groups.values())


def reload(session: Session, events: list[WebhookEvent]) -> list[WebhookEvent]:
    """The events again after a rollback expired them."""
    return [session.get(WebhookEvent, event.id) or event for event in events]
