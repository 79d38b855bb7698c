"""The writeback's state per account: the values the CRM should hold, and whether they are
written, owed, or failed and due for a retry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.store.tables import Account, WritebackState
from connectors.records import AccountType, PropertyUpdate, WriteOutcome

PENDING, WRITTEN, FAILED = "pending", "written", "failed"
MAX_RETRY_DELAY = timedelta(hours=6)


def values_hash(values: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def mark_desired(
    session: Session,
    state: WritebackState | None,
    account_id: int,
    values: Mapping[str, str],
    now: datetime,
) -> WritebackState:
    """Records the values the CRM should hold; a change makes the account owed a write."""
    digest = values_hash(values)
    if state is None:
        state = WritebackState(account_id=account_id, values_hash="", status=PENDING, attempts=0)
        session.add(state)
    if state.values_hash != digest:
        state.values = dict(values)
        state.values_hash = digest
        state.status = PENDING
        state.attempts = 0
        state.last_error = None
        state.next_attempt_at = None
        state.updated_at = now
    return state


def due(
    session: Session,
    source: str,
    now: datetime,
    limit: int,
    *,
    only: Sequence[int] | None = None,
) -> list[tuple[WritebackState, Account]]:
    """Owed writes, and failed ones whose retry time has come (of these account rows only,
    when given); never for archived records nor for records deleted from the CRM."""
    query = (
        select(WritebackState, Account)
        .join(Account, Account.id == WritebackState.account_id)
        .where(
            Account.source == source,
            Account.archived.is_(False),
            Account.deleted_at.is_(None),
            or_(
                WritebackState.status == PENDING,
                (WritebackState.status == FAILED) & (WritebackState.next_attempt_at <= now),
            ),
        )
        .order_by(WritebackState.account_id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(WritebackState.account_id.in_(set(only)))
    return [(state, account) for state, account in session.execute(query)]


def updates_for(
    pairs: Sequence[tuple[WritebackState, Account]], *, new_since: datetime | None
) -> list[PropertyUpdate]:
    """The writes owed; `new_record` marks a first write to a record the CRM created at or
    after `new_since` (None: no record counts as new)."""
    return [
        PropertyUpdate(
            object_type=cast(AccountType, account.object_type),
            crm_id=account.crm_id,
            values=dict(state.values),
            new_record=(
                new_since is not None
                and state.written_at is None
                and account.crm_created_at is not None
                and account.crm_created_at >= new_since
            ),
        )
        for state, account in pairs
    ]


def record_outcomes(
    pairs: Sequence[tuple[WritebackState, Account]], outcomes: Sequence[WriteOutcome], now: datetime
) -> tuple[int, int]:
    """Applies one outcome per pair; a failure is kept with its error and retried later, with
    a delay that doubles per attempt. Returns (written, failed)."""
    written = failed = 0
    for (state, account), outcome in zip(pairs, outcomes, strict=True):
        if outcome.crm_id != account.crm_id:
            raise ValueError(f"write outcome for {outcome.crm_id} paired with {account.crm_id}")
        state.updated_at = now
        if outcome.written:
            state.status, state.written_at, state.attempts = WRITTEN, now, 0
            state.last_error, state.next_attempt_at = None, None
            written += 1
        else:
            state.status = FAILED
            state.attempts += 1
            state.last_error = outcome.error
            delay = min(timedelta(minutes=2**state.attempts), MAX_RETRY_DELAY)
            state.next_attempt_at = now + delay
            failed += 1
    return written, failed
