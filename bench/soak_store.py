"""The soak's view of the store: its size on disk, and the back-fill that puts the inbox in the
steady state of a service that has run for longer than its retention.

Why a back-fill: retention cannot be shorter than the CRMs' one-day redelivery window
(`ICP_SYNC_RETENTION_DAYS` >= 1), so a fresh store pruned for 30 minutes deletes nothing and its
inbox only grows. A store in service for more than a day holds about one retention window of
processed events, and pruning deletes them at about the rate new ones arrive. `backfill` inserts
that window: processed events spread evenly over the past `window` at `rate` per second, their
payloads copied round-robin from the processed events already stored (so their sizes are the
service's own), with identities of their own so that no real event is mistaken for a duplicate.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Text, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import DONE
from app.store.tables import WebhookEvent

MIB = 1024 * 1024
CHUNK = 5_000
TEMPLATES = 2_000


def store_size(engine: Engine) -> dict[str, float]:
    """MiB on disk. SQLite: `db_file_mib` and `db_wal_mib` (the files), `db_used_mib` (pages in
    use: page_count - freelist_count). PostgreSQL: `db_database_mib` (pg_database_size) and
    `db_inbox_mib` (webhook_events with its indexes and TOAST)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            free = connection.execute(text("PRAGMA freelist_count")).scalar_one()
            page_size = connection.execute(text("PRAGMA page_size")).scalar_one()
            path = Path(str(engine.url.database))
            wal = path.with_name(path.name + "-wal")
            return {
                "db_file_mib": path.stat().st_size / MIB,
                "db_wal_mib": wal.stat().st_size / MIB if wal.exists() else 0.0,
                "db_used_mib": (pages - free) * page_size / MIB,
            }
        database = connection.execute(
            text("SELECT pg_database_size(current_database())")
        ).scalar_one()
        inbox = connection.execute(
            text("SELECT pg_total_relation_size('webhook_events')")
        ).scalar_one()
        return {"db_database_mib": database / MIB, "db_inbox_mib": inbox / MIB}


def inbox_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def payload_templates(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Up to `TEMPLATES` processed events (their columns but the key, status and times), the
    newest first, spread over their kinds."""
    columns = (
        WebhookEvent.source,
        WebhookEvent.event_type,
        WebhookEvent.object_type,
        WebhookEvent.object_id,
        WebhookEvent.payload,
    )
    with sessions() as session:
        rows = session.execute(
            select(*columns)
            .where(WebhookEvent.status == DONE)
            .order_by(WebhookEvent.id.desc())
            .limit(TEMPLATES)
        ).all()
    return [row._asdict() for row in rows]


def backfill(
    engine: Engine,
    templates: list[dict[str, Any]],
    *,
    rate: float,
    window: timedelta,
    now: datetime,
) -> int:
    """Inserts `rate` x `window` processed events, processed evenly over (`now` - `window`,
    `now`], each received a second before it was processed; returns how many."""
    if not templates:
        raise SystemExit("no processed event in the store to copy for the back-fill")
    count = int(rate * window.total_seconds())
    step = window / max(1, count)
    start = now - window
    cycle = itertools.cycle(templates)
    inserted = 0
    with engine.begin() as connection:
        while inserted < count:
            rows = []
            for n in range(inserted, min(count, inserted + CHUNK)):
                template = next(cycle)
                processed = start + step * (n + 1)
                rows.append(
                    {
                        **template,
                        "event_id": f"soak-backfill-{n}",
                        "identity": f"soak-backfill-{n}",
                        "status": DONE,
                        "attempts": 1,
                        "received_at": processed - timedelta(seconds=1),
                        "processed_at": processed,
                    }
                )
            connection.execute(insert(WebhookEvent), rows)
            inserted += len(rows)
    with engine.connect() as connection:  # fresh statistics, as autovacuum would leave them
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE webhook_events")
            )
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return inserted


def mean_payload_bytes(engine: Engine, since: datetime | None) -> float | None:
    """Mean stored payload size (its JSON text) of the events received since `since` (None:
    the back-fill's)."""
    length = (
        func.length(WebhookEvent.payload)
        if engine.dialect.name == "sqlite"
        else func.length(func.cast(WebhookEvent.payload, Text()))
    )
    query = select(func.avg(length))
    query = (
        query.where(WebhookEvent.event_id.like("soak-backfill-%"))
        if since is None
        else query.where(WebhookEvent.received_at >= since)
    )
    with engine.connect() as connection:
        value = connection.execute(query).scalar()
    return None if value is None else float(value)
