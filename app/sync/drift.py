"""Drift: a score property in the CRM that no longer holds what we last wrote, because a
person or another tool changed it.

Every pull (sync page or webhook fetch) hands its records here after they are stored and
rescored. A record is drifted when its write is settled (`written`: a write owed anyway is
sent anyway) and the CRM's copy of a value we wrote differs from it. A record whose last
modification is older than our last write is a stale copy (search results lag our writes by
seconds), not drift; and our own write read back holds our values, so an echo is never drift.
In `repair` mode (the default) a drifted record is owed its write again, and the same
pipeline sends it; in `report` mode it is only logged and counted."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import metrics
from app.store.tables import Account, WritebackState
from app.sync.writeback import PENDING, WRITTEN
from connectors.records import CrmAccount
from connectors.text import holds_value

logger = logging.getLogger(__name__)

REPAIR, REPORT = "repair", "report"


def drifted(record: CrmAccount, state: WritebackState) -> list[str]:
    """The written properties whose value in `record` is not what `state` last wrote (none
    when the write is not settled, or the record is older than our last write)."""
    if state.status != WRITTEN or state.written_at is None:
        return []
    if record.modified_at < state.written_at:
        return []
    return sorted(
        name
        for name, value in state.values.items()
        if not holds_value(str(value), record.properties.get(name))
    )


def repair_drift(
    session: Session,
    stored: Sequence[tuple[CrmAccount, Account]],
    *,
    mode: str,
    now: datetime,
) -> set[int]:
    """Finds the drifted among the records (each with its stored row); in `repair` mode makes
    each owed its write again. Returns the drifted accounts' ids."""
    by_id = {row.id: record for record, row in stored}
    if not by_id:
        return set()
    states = session.scalars(
        select(WritebackState).where(WritebackState.account_id.in_(sorted(by_id)))
    )
    found: set[int] = set()
    for state in states:
        record = by_id[state.account_id]
        names = drifted(record, state)
        if not names:
            continue
        found.add(state.account_id)
        metrics.DRIFT_FOUND.labels(record.source, mode).inc()
        logger.warning(
            "%s %s %s: %s changed in the CRM since our last write (%s)",
            record.source,
            record.object_type,
            record.crm_id,
            ", ".join(names),
            "rewriting" if mode == REPAIR else "reported only",
        )
        if mode == REPAIR:
            state.status, state.updated_at = PENDING, now
            state.attempts, state.last_error, state.next_attempt_at = 0, None, None
    return found
