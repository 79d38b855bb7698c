"""The operational state of the dashboard's test store (tests.support.dashboard_store), written
by the product's own functions where it has them: each CRM's sync state (the last run's stats
and times, the streams' cursors) and health (Salesforce's writeback failing twice in a row),
the webhook inbox (events of the last three days: most done, the newest pending, a few dead
letters), and the writeback's outcomes (most written, some pending, some failed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.inbox.events import IncomingEvent, ObjectType, Source
from app.inbox.queue import DEFAULT_MAX_ATTEMPTS, complete, fail
from app.inbox.receive import enqueue_many
from app.store.repo import sync_state
from app.store.tables import WRITTEN, Account, Deal, WebhookEvent, WritebackState
from app.sync.health import WRITEBACK, record_failure, record_success, summarize_error
from app.sync.orchestrator import CONTACTS, DEALS, LEADS
from app.sync.pipeline import ACCOUNTS
from app.sync.writeback import FAILED
from app.webhooks.salesforce_soap import EVENT_TYPE as OUTBOUND_MESSAGE

LAST_SYNC = timedelta(minutes=15)
"""How long before `now` the last sync of each CRM finished."""
FULL_SYNC = timedelta(days=90)
STREAMS = {"hubspot": (CONTACTS, "contact"), "salesforce": (LEADS, "lead")}
"""Per CRM: its people stream, and their object type."""
FAILED_WRITES = {"hubspot": 0, "salesforce": 2}
"""Writes the last run of each CRM failed (Salesforce's writeback is failing)."""
FAILING_EVERY = 25
"""One account's write in this many failed; the two after it are still pending."""
DEAD_EVERY = 25
PENDING_SHARE = 0.08


def record_sync_runs(session: Session, now: datetime) -> None:
    """Per CRM: the streams' cursors, the last run's times and stats (as app.sync.orchestrator
    records them, plus its API calls), and each stream's health."""
    finished = now - LAST_SYNC
    started = finished - timedelta(seconds=42)
    for source, (people, person_type) in STREAMS.items():
        live = _live_counts(session, source)
        failed = FAILED_WRITES[source]
        pulled = {ACCOUNTS: 5 + live["accounts"] // 200, people: 3 + live["people"] // 100,
                  DEALS: 2 + live["accounts"] // 400}  # fmt: skip
        for stream, object_types in ((ACCOUNTS, ("company", "account")), (people, (person_type,))):
            state = sync_state(session, source, stream)
            state.cursor_updated_at, state.cursor_id = session.execute(
                select(Account.crm_updated_at, Account.crm_id)
                .where(Account.source == source, Account.object_type.in_(object_types))
                .order_by(Account.crm_updated_at.desc(), Account.crm_id.desc())
                .limit(1)
            ).one()
            state.full_sync_completed_at = now - FULL_SYNC
        deals = sync_state(session, source, DEALS)
        deals.cursor_updated_at, deals.cursor_id = session.execute(
            select(Deal.crm_updated_at, Deal.crm_id)
            .where(Deal.source == source)
            .order_by(Deal.crm_updated_at.desc(), Deal.crm_id.desc())
            .limit(1)
        ).one()
        deals.full_sync_completed_at = now - FULL_SYNC
        run = sync_state(session, source, ACCOUNTS)
        run.last_run_started_at, run.last_run_finished_at = started, finished
        run.last_status = "ok" if failed == 0 else "partial"
        scored = sum(pulled.values()) - pulled[DEALS]
        changed = scored // 3
        run.stats = {"pulled": pulled, "scored": scored, "changed": changed,
                     "written": changed - failed, "failed": failed,
                     "api_calls": 3 + sum(pulled.values()) // 100}  # fmt: skip
        record_success(session, source, (ACCOUNTS, people, DEALS), finished)
        if failed:
            record_success(session, source, (WRITEBACK,), now - timedelta(hours=3))
            error = summarize_error(ConnectionError("HTTP 503 from Salesforce: server busy"))
            for ago in (timedelta(hours=1), LAST_SYNC):
                record_failure(session, source, (WRITEBACK,), error, now - ago)
        else:
            record_success(session, source, (WRITEBACK,), finished)
    session.flush()


def _live_counts(session: Session, source: str) -> dict[str, int]:
    """The CRM's live records: its accounts (companies) and its people (contacts or leads)."""
    counts = dict(
        session.execute(
            select(Account.object_type, func.count())
            .where(Account.source == source, Account.archived.is_(False))
            .group_by(Account.object_type)
        ).all()
    )
    people = counts.pop(STREAMS[source][1], 0)
    return {"accounts": sum(counts.values()), "people": people}


def record_inbox(session: Session, now: datetime, *, events: int) -> None:
    """`events` webhook events about stored records, received over the three days before
    `now`: the newest `PENDING_SHARE` still pending, one in `DEAD_EVERY` of the others
    dead-lettered after its last attempt, the rest done."""
    records = session.execute(
        select(Account.source, Account.object_type, Account.crm_id)
        .where(Account.archived.is_(False))
        .order_by(Account.id)
        .limit(events)
    ).all()
    deliveries = []
    for index, (source, object_type, crm_id) in enumerate(records):
        received = now - timedelta(days=3) * (1 - index / len(records))
        event = _event(index, cast(Source, source), cast(ObjectType, object_type), crm_id, received)
        deliveries.append(([event], received))
    enqueue_many(session, deliveries)
    stored = list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.received_at)))
    settled = stored[: round(len(stored) * (1 - PENDING_SHARE))]
    for index, settling in enumerate(settled):
        settling.attempts = DEFAULT_MAX_ATTEMPTS if index % DEAD_EVERY == 0 else 1
        if index % DEAD_EVERY == 0:
            fail([settling], "HTTP 404: the record is gone from the CRM", settling.received_at)
        else:
            complete([settling], settling.received_at + timedelta(seconds=2))
    session.flush()


def _event(
    index: int, source: Source, object_type: ObjectType, crm_id: str, received: datetime
) -> IncomingEvent:
    if source == "salesforce":
        payload: dict[str, Any] = {"Id": crm_id, "ActionId": "04k5e000000001AAA"}
        return IncomingEvent(source, f"04l5e{index:013d}", OUTBOUND_MESSAGE, object_type, crm_id,
                             received, payload)  # fmt: skip
    payload = {"eventId": 7_000_000 + index, "objectId": int(crm_id),
               "subscriptionType": f"{object_type}.propertyChange",
               "propertyName": "numberofemployees" if object_type == "company" else "jobtitle",
               "propertyValue": str(100 + index), "changeSource": "CRM_UI",
               "occurredAt": int(received.timestamp() * 1000)}  # fmt: skip
    return IncomingEvent(source, str(payload["eventId"]), payload["subscriptionType"],
                         object_type, crm_id, received, payload)  # fmt: skip


def record_writeback_outcomes(session: Session, now: datetime) -> None:
    """What the writes of the last scores came to: one account in `FAILING_EVERY` failed (its
    retry due in minutes), the two after it still pending, every other written."""
    position = WritebackState.account_id % FAILING_EVERY
    session.execute(
        update(WritebackState)
        .where(position == 0)
        .values(
            status=FAILED,
            attempts=3,
            next_attempt_at=now + timedelta(minutes=8),
            last_error="HTTP 429: rate limit exceeded",
            updated_at=now - LAST_SYNC,
        )
    )
    session.execute(
        update(WritebackState)
        .where(position > 2)
        .values(status=WRITTEN, written_at=WritebackState.updated_at, attempts=0)
    )
    session.flush()
