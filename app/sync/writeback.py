"""The writeback's state per account: the values the CRM should hold, and whether they are
written, owed, being sent, or failed and due for a retry.

Crash safety: a batch is marked `sending` (committed) before the CRM sees it. A process killed
between the CRM's answer and our commit leaves those states `sending`; the next writer reads
those records back from the CRM first, and marks the ones that already hold the values written
instead of writing them again. So a kill at any point neither loses a write nor repeats one.

One writer per record: writers (syncs, the inbox worker, in any process) take the records they
send with `claim`, which stamps them with the writer and the time in one statement (PostgreSQL:
rows picked `FOR UPDATE SKIP LOCKED`; SQLite runs one writer at a time). A record claimed by
another writer is not theirs until the claim is older than `CLAIM_LEASE` (its writer is
presumed dead; the record is in doubt and read back first) or, for a sync, until it holds the
sync lock and the claim is an earlier sync's: only one sync runs at a time, so that one died."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from app.store.partial import excluding
from app.store.tables import WRITTEN as WRITTEN
from app.store.tables import Account, WritebackState
from connectors.base import CrmConnector
from connectors.records import AccountType, CrmAccount, PropertyUpdate, WriteOutcome
from connectors.text import holds_value

PENDING, SENDING, FAILED = "pending", "sending", "failed"
MAX_RETRY_DELAY = timedelta(hours=6)
CLAIM_LEASE = timedelta(minutes=10)
"""How long a claim keeps other writers off a record: longer than one CRM batch takes with
its retries and rate-limit waits."""
SYNC, WORKER = "sync", "worker"
"""Writer roles: a sync runs under the sync lock (app.store.locks); anything else does not."""


def writer_id(role: str) -> str:
    """This process as a writer: its role, host and pid (fits `claimed_by`)."""
    return f"{role}:{os.getpid()}:{socket.gethostname()}"[:64]


_VALUES_ENCODER = json.JSONEncoder(sort_keys=True)
"""`json.dumps(values, sort_keys=True)`'s encoder, built once: the same bytes (a changed digest
would make every stored account owe the CRM a write)."""


def values_hash(values: Mapping[str, str]) -> str:
    return hashlib.sha256(_VALUES_ENCODER.encode(values).encode()).hexdigest()


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
        for column, value in desired_state(values, digest, now).items():
            setattr(state, column, value)
    return state


def desired_state(values: Mapping[str, str], digest: str, now: datetime) -> dict[str, Any]:
    """The state's columns once the CRM is owed `values` (whose `values_hash` is `digest`):
    pending, with no attempt made nor error left (`mark_desired`, and the bulk mode's
    statements)."""
    return {
        "values": dict(values),
        "values_hash": digest,
        "status": PENDING,
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": None,
        "updated_at": now,
    }


def due(
    session: Session,
    source: str,
    now: datetime,
    limit: int,
    *,
    only: Sequence[int] | None = None,
) -> list[tuple[WritebackState, Account]]:
    """Owed writes, writes an interrupted writer left in doubt, and failed ones whose retry
    time has come (of these account rows only, when given); never for archived records nor for
    records deleted from the CRM. Reads only: a writer takes them with `claim`."""
    query = (
        select(WritebackState, Account)
        .join(Account, Account.id == WritebackState.account_id)
        .where(_owed(source, now, only))
        .order_by(WritebackState.account_id)
        .limit(limit)
    )
    return [(state, account) for state, account in session.execute(query)]


def owed_count(session: Session, source: str, now: datetime) -> int:
    """How many writes `due` would list (without loading them)."""
    query = (
        select(func.count())
        .select_from(WritebackState)
        .join(Account, Account.id == WritebackState.account_id)
        .where(_owed(source, now, None))
    )
    return int(session.scalar(query) or 0)


def claim(
    session: Session,
    source: str,
    now: datetime,
    limit: int,
    *,
    writer: str,
    only: Sequence[int] | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> list[tuple[WritebackState, Account]]:
    """Takes up to `limit` of the writes `due` lists that no other live writer holds, for
    `writer` (from `writer_id`); the caller commits the claim before the CRM call (as
    `send_committing` does). A record claimed by someone else is skipped, never waited for."""
    free = or_(
        WritebackState.claimed_at.is_(None),
        WritebackState.claimed_at < now - lease,
        WritebackState.claimed_by == writer,
    )
    if writer.startswith(f"{SYNC}:"):  # under the sync lock: an earlier sync's claim is dead
        free = or_(free, WritebackState.claimed_by.startswith(f"{SYNC}:"))
    picked = (
        select(WritebackState.account_id)
        .join(Account, Account.id == WritebackState.account_id)
        .where(_owed(source, now, only), free)
        .order_by(WritebackState.account_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WritebackState)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Locked first, in a statement of its own: as a subquery of the UPDATE, PostgreSQL
        # may run it again per row, skip the rows this UPDATE just changed, and take more.
        locked = list(session.scalars(picked))
        if not locked:
            return []
        target = WritebackState.account_id.in_(locked)
    else:  # one statement: SQLite runs it as one write, and the subquery once
        target = WritebackState.account_id.in_(picked.scalar_subquery())
    ids = list(session.scalars(
        update(WritebackState)
        .where(target, _owed_now(now), free)
        .values(claimed_by=writer, claimed_at=now)
        .returning(WritebackState.account_id)
        .execution_options(synchronize_session=False)
    ))  # fmt: skip
    if not ids:
        return []
    query = (
        select(WritebackState, Account)
        .join(Account, Account.id == WritebackState.account_id)
        .where(WritebackState.account_id.in_(ids))
        .order_by(WritebackState.account_id)
        .execution_options(populate_existing=True)
    )
    return [(state, account) for state, account in session.execute(query)]


def _owed(source: str, now: datetime, only: Sequence[int] | None) -> ColumnElement[bool]:
    owed = and_(
        Account.source == source,
        Account.archived.is_(False),
        Account.deleted_at.is_(None),
        _owed_now(now),
    )
    return owed if only is None else and_(owed, WritebackState.account_id.in_(set(only)))


def _owed_now(now: datetime) -> ColumnElement[bool]:
    """Pending, left in doubt, or failed and due for its retry: not written, which lets the
    index of the writes not written serve it (app.store.partial)."""
    return and_(
        excluding(WritebackState.status, WRITTEN),
        or_(
            WritebackState.status.in_((PENDING, SENDING)),
            (WritebackState.status == FAILED) & (WritebackState.next_attempt_at <= now),
        ),
    )


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


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: int = 0
    failed: int = 0
    confirmed: int = 0
    """Writes an interrupted run had sent that the CRM turned out to hold: not sent again."""

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.written + other.written,
            self.failed + other.failed,
            self.confirmed + other.confirmed,
        )


def send_committing(
    session: Session,
    connector: CrmConnector,
    pairs: Sequence[tuple[WritebackState, Account]],
    *,
    new_since: datetime | None,
    now: datetime,
) -> WriteResult:
    """Writes `pairs` to the CRM and records the outcomes (the caller commits them). Writes
    left in doubt by an interrupted writer are first checked against the CRM.

    Commits once, before the CRM call: the batch's `sending` mark (and whatever else the
    session holds) must be durable before the CRM can hold the values, or a process killed
    after the CRM's answer would leave no trace that the write may have landed."""
    landed = _landed(connector, [pair for pair in pairs if pair[0].status == SENDING])
    confirmed = 0
    to_send = []
    for state, account in pairs:
        if account.id in landed:
            state.status, state.written_at, state.updated_at = WRITTEN, now, now
            state.attempts, state.last_error, state.next_attempt_at = 0, None, None
            state.claimed_by, state.claimed_at = None, None
            confirmed += 1
        else:
            state.status, state.updated_at = SENDING, now
            to_send.append((state, account))
    session.commit()
    if not to_send:
        return WriteResult(confirmed=confirmed)
    sent = {state.account_id: (state.values_hash, state.claimed_by) for state, _ in to_send}
    outcomes = connector.write(updates_for(to_send, new_since=new_since))
    written, failed = record_outcomes(to_send, outcomes, now)
    _store_if_unchanged(session, to_send, sent)
    return WriteResult(written=written, failed=failed, confirmed=confirmed)


OUTCOME_FIELDS = (
    "status",
    "written_at",
    "attempts",
    "last_error",
    "next_attempt_at",
    "updated_at",
    "claimed_by",
    "claimed_at",
)
STORE_CHUNK = 500
"""Rows per bulk UPDATE of outcomes: bounded bind parameters (SQLite's limit)."""
T = TypeVar("T")


def _store_if_unchanged(
    session: Session,
    pairs: Sequence[tuple[WritebackState, Account]],
    sent: Mapping[int, tuple[str, str | None]],
) -> None:
    """Stores each outcome only where the row still holds the values sent (`sent`: account id
    → (values_hash, claimed_by) when sent): a compare-and-set in the UPDATE. Another writer
    may have rescored the record while the CRM call ran (the worker, during a sync's batch);
    marking its new values written with the old ones sent would leave the CRM wrong for good,
    so such a row keeps its new values owed, and only our claim on it is let go.

    In bulk: one UPDATE per distinct outcome (all the batch's writes share one; failures one
    per attempt count and error), matching rows on (account id, values hash), and one per
    writer to let go of the claims on the rows that changed: a row per statement cost more
    CPU than the CRM's rate limit allows time for (issue 18)."""
    by_outcome: dict[tuple[object, ...], list[tuple[int, str]]] = defaultdict(list)
    for state, _ in pairs:
        outcome = tuple(getattr(state, name) for name in OUTCOME_FIELDS)
        by_outcome[outcome].append((state.account_id, sent[state.account_id][0]))
    stored: set[int] = set()
    with session.no_autoflush:  # the ORM's own flush would store the outcomes unconditionally
        for outcome, rows in by_outcome.items():
            for chunk in _chunks(rows):
                stored.update(session.scalars(
                    update(WritebackState)
                    .where(
                        WritebackState.account_id.in_([row for row, _ in chunk]),
                        tuple_(WritebackState.account_id, WritebackState.values_hash).in_(chunk),
                    )
                    .values(dict(zip(OUTCOME_FIELDS, outcome, strict=True)))
                    .returning(WritebackState.account_id)
                    .execution_options(synchronize_session=False)
                ))  # fmt: skip
        changed: dict[str | None, list[int]] = defaultdict(list)
        for state, _ in pairs:
            if state.account_id not in stored:
                changed[sent[state.account_id][1]].append(state.account_id)
        for claimed_by, ids in changed.items():
            for some in _chunks(ids):
                session.execute(
                    update(WritebackState)
                    .where(
                        WritebackState.account_id.in_(some),
                        WritebackState.claimed_by == claimed_by,
                    )
                    .values(claimed_by=None, claimed_at=None)
                    .execution_options(synchronize_session=False)
                )
        for state, _ in pairs:
            session.expire(state)  # what the row holds now, not the outcome set in memory


def _chunks(rows: Sequence[T]) -> list[Sequence[T]]:
    return [rows[i : i + STORE_CHUNK] for i in range(0, len(rows), STORE_CHUNK)]


def _landed(
    connector: CrmConnector, in_doubt: Sequence[tuple[WritebackState, Account]]
) -> set[int]:
    """The in-doubt accounts (ids) whose records already hold every value they were sent, read
    back by type (HubSpot ids are unique per object type only)."""
    if not in_doubt:
        return set()
    held: dict[tuple[str, str], CrmAccount] = {
        (record.object_type, record.crm_id): record
        for object_type in sorted({account.object_type for _, account in in_doubt})
        for record in connector.fetch_accounts(
            [a.crm_id for _, a in in_doubt if a.object_type == object_type],
            cast(AccountType, object_type),
        )
    }
    return {
        account.id
        for state, account in in_doubt
        if (found := held.get((account.object_type, account.crm_id))) is not None
        and all(
            holds_value(str(value), found.properties.get(name))
            for name, value in state.values.items()
        )
    }


def record_outcomes(
    pairs: Sequence[tuple[WritebackState, Account]], outcomes: Sequence[WriteOutcome], now: datetime
) -> tuple[int, int]:
    """Applies one outcome per pair; a failure is kept with its error and retried later, with
    a delay that doubles per attempt. Returns (written, failed)."""
    written = failed = 0
    for (state, account), outcome in zip(pairs, outcomes, strict=True):
        if outcome.crm_id != account.crm_id:
            raise ValueError(f"write outcome for {outcome.crm_id} paired with {account.crm_id}")
        state.updated_at, state.claimed_by, state.claimed_at = now, None, None
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
