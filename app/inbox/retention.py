"""Retention: processed inbox events, with the webhook bodies stored in them, are deleted once
processed longer ago than `ICP_SYNC_RETENTION_DAYS` (default 7), so the inbox stays the size of
that many days of events instead of growing for ever.

Kept whatever their age: events waiting (pending, processing) and dead-lettered ones, which an
operator has to act on (`icp-sync inbox replay`). Kept for the retention, never less than the
CRMs' redelivery window (`app.settings.CRM_REDELIVERY_DAYS`): a processed event's identity, so
that a late redelivery is still recognised as a duplicate and not processed again.

Deleted in batches of `BATCH` rows, each its own short transaction, with a pause between them:
the worker and the webhook writer get the store between two batches (on SQLite they queue for
the one write lock). On PostgreSQL the rows of a batch are picked `FOR UPDATE SKIP LOCKED`, so
replicas pruning at the same time delete different rows and never wait for each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import metrics
from app.inbox.events import DONE
from app.settings import CRM_REDELIVERY_DAYS
from app.store.tables import WebhookEvent

BATCH = 1_000
PAUSE_S = 0.05
"""Between two batches: long enough for a waiting SQLite writer to take the lock."""
MIN_RETENTION = timedelta(days=CRM_REDELIVERY_DAYS)


@dataclass(frozen=True, slots=True)
class Pruned:
    events: int
    """Processed inbox events deleted (with their bodies)."""
    before: datetime
    """The cutoff: events processed before it were deleted."""


def prune_events(session: Session, before: datetime, *, limit: int = BATCH) -> int:
    """Deletes up to `limit` events processed before `before`, oldest first; returns how many.
    Nothing is committed here."""
    picked = list(
        session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.status == DONE, WebhookEvent.processed_at < before)
            .order_by(WebhookEvent.processed_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not picked:
        return 0
    # By id alone: a processed event never changes status again, and SQLite would otherwise
    # pick the status index and read every processed event instead of 1,000 rows by key.
    deleted = session.scalars(
        delete(WebhookEvent)
        .where(WebhookEvent.id.in_(picked))
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    )
    return len(deleted.all())


def prune_committing(
    session: Session,
    now: datetime,
    retention: timedelta,
    *,
    batch: int = BATCH,
    pause: float = PAUSE_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Pruned:
    """Deletes every event processed more than `retention` before `now`, committing each batch
    of `batch` rows (and counting it in `icp_sync_retention_rows_pruned`)."""
    if retention < MIN_RETENTION:
        raise ValueError(
            f"retention {retention} is shorter than the CRMs' redelivery window {MIN_RETENTION}"
        )
    before = now - retention
    total = 0
    while True:
        deleted = prune_events(session, before, limit=batch)
        session.commit()
        total += deleted
        if deleted:
            metrics.RETENTION_PRUNED.labels("webhook_events").inc(deleted)
        if deleted < batch:
            return Pruned(total, before)
        sleep(pause)
