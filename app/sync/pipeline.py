"""The one update pipeline: store what a CRM sent, rescore what that changed, and write back
what the CRM is owed. Scheduled syncs (page by page), the inbox worker (event batch by event
batch) and any rescoring of the store all go through it, so they cannot drift apart.

The caller owns the transaction: nothing here commits, except the methods whose name ends in
`_committing` (their docstrings say why they must)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.store.repo import (
    accounts_by_crm_ids,
    mark_deleted,
    mark_unseen_deleted,
    sync_state,
    upsert_accounts,
    upsert_deals,
)
from app.store.tables import Account, Score, WritebackState
from app.sync.bulk import BulkRescore
from app.sync.challengers import Challenger
from app.sync.drift import REPAIR, repair_drift
from app.sync.facts import DEAL_FIELDS, PROSPECTS
from app.sync.rescore import RescoreReport, rescore_with_prospects_of
from app.sync.writeback import WORKER, WriteResult, claim, due, send_committing, writer_id
from connectors.base import CrmConnector
from connectors.records import CrmAccount, CrmDeal

ACCOUNTS = "accounts"
"""The sync-state key whose last complete full sync tells which records are new."""
PLAN_LIMIT = 1_000_000
SWEEP_SPAN = 10
"""Accounts a sweep of other rubric versions examines per account it may return."""


@dataclass(frozen=True, slots=True)
class Changes:
    """What a CRM sent: fresh records, and the (object type, CRM id) of the account-like
    records it no longer has (HubSpot ids are unique per object type only)."""

    accounts: Sequence[CrmAccount] = ()
    deals: Sequence[CrmDeal] = ()
    gone: Collection[tuple[str, str]] = frozenset()


@dataclass
class Applied:
    rescore: RescoreReport = field(default_factory=RescoreReport)
    account_ids: set[int] = field(default_factory=set)
    """Account rows stored, linked to a stored deal, or rescored (a lead that borrows from
    one): those whose writeback may now be owed."""
    deleted: int = 0
    drifted: set[int] = field(default_factory=set)
    """Accounts whose score properties someone else changed in the CRM (app.sync.drift)."""


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    crm_id: str
    name: str | None
    values: dict[str, str]


class UpdatePipeline:
    """One CRM's records in the store, over the caller's session."""

    def __init__(
        self,
        session: Session,
        connector: CrmConnector,
        rubric: CompiledRubric,
        clock: Callable[[], datetime],
        *,
        role: str = WORKER,
        drift: str = REPAIR,
        challengers: Sequence[Challenger] = (),
    ) -> None:
        """`role`: SYNC only for a sync that holds the sync lock (it may take over what an
        earlier, dead, sync left claimed); WORKER for anything else (see writeback.claim).
        `drift`: what a score property changed by someone else in the CRM gets: `repair`
        (rewritten) or `report` (app.sync.drift).
        `challengers`: rubrics scored too, in shadow, never written (app.sync.challengers)."""
        self._drift = drift
        self._challengers = tuple(challengers)
        self._writer = writer_id(role)
        self._session = session
        self._connector = connector
        self._source = connector.source
        self._rubric = rubric
        self._clock = clock
        self._bulk: BulkRescore | None = None

    def apply(self, changes: Changes) -> Applied:
        """Stores the records, marks the gone accounts deleted, and rescores every account
        whose inputs may have changed: those stored, and (when the rubric reads deals) those
        linked to a stored deal before or after; then finds the records whose score
        properties someone else changed since our last write (drift) and, in repair mode,
        makes them owed their write again."""
        now = self._clock()
        rows = upsert_accounts(self._session, changes.accounts, fetched_at=now)
        stored = list(zip(changes.accounts, rows, strict=True))
        deleted = mark_deleted(self._session, self._source, changes.gone, now=now)
        if changes.deals:
            linked = upsert_deals(self._session, changes.deals, fetched_at=now)
            if self._rubric.fields_read & DEAL_FIELDS:  # else no score depends on deals
                known = {row.id for row in rows}
                rows += [
                    row
                    for row in accounts_by_crm_ids(self._session, self._source, linked)
                    if row.id not in known and row.object_type not in PROSPECTS
                ]
        report = self.rescore(rows)
        drifted = repair_drift(self._session, stored, mode=self._drift, now=now)
        self._session.flush()
        return Applied(report, {row.id for row in rows} | report.scored_ids, deleted, drifted)

    def rescore(self, rows: Sequence[Account]) -> RescoreReport:
        """Rescores these rows where their inputs changed (and the leads that borrow from a
        rescored account), recording the values the CRM should now hold."""
        return rescore_with_prospects_of(
            self._session,
            rows,
            rubric=self._rubric,
            render=self._connector.render_score,
            now=self._clock(),
            challengers=self._challengers,
        )

    def rescore_store_page(self, after_id: int, limit: int) -> tuple[RescoreReport, int | None]:
        """The bulk mode of `rescore`, for rescoring the whole store (a rubric roll-out): the
        next `limit` live records by id above `after_id`, read as plain rows and written with
        one statement per table (app.sync.bulk), deciding per record what `rescore` would.
        Returns what it did and the last id read (None: none was left)."""
        if self._bulk is None:
            self._bulk = BulkRescore(
                self._session,
                self._source,
                self._rubric,
                self._connector.render_score,
                self._challengers,
            )
        return self._bulk.page(after_id, limit, self._clock())

    def end_store_rescoring(self) -> None:
        """Ends what `rescore_store_page` started (its scoring process): call when its pages
        are done or abandoned (the last page, an error and garbage collection end it too)."""
        if self._bulk is not None:
            self._bulk.close()

    def scored_by_other_rubric(self, after_id: int, limit: int) -> tuple[list[Account], int]:
        """Stored live accounts (id order, ids above `after_id`) last scored under another
        rubric version: at most `limit` of them, found among the next `limit * SWEEP_SPAN`
        accounts, and the last id examined (where the next call goes on; `after_id` when no
        account is left). An incremental pull returns only what changed in the CRM, so a new
        rubric reaches the rest through these.

        Walks accounts by primary key and looks each one's score up by its own: no index can
        serve `rubric_version <> v`, and a query that sorts the matches reads every score on
        each page (quadratic when many rows are on another version)."""
        window = (
            select(Account.id)
            .where(Account.source == self._source, Account.id > after_id)
            .order_by(Account.id)
            .limit(limit * SWEEP_SPAN)
            .subquery()
        )
        last = self._session.scalar(select(func.max(window.c.id)))
        if last is None:
            return [], after_id
        found = list(
            self._session.scalars(
                select(Account)
                .join(Score, Score.account_id == Account.id)
                .where(
                    Account.source == self._source,
                    Account.id > after_id,
                    Account.id <= last,
                    Score.account_id > after_id,
                    Score.account_id <= last,
                    Account.archived.is_(False),
                    Account.deleted_at.is_(None),
                    Score.rubric_version != self._rubric.written_version,
                )
                .order_by(Account.id)
                .limit(limit)
            )
        )
        return found, found[-1].id if len(found) == limit else last

    @property
    def rubric(self) -> CompiledRubric:
        return self._rubric

    def mark_unseen_deleted(self, object_types: Collection[str], pulled_since: datetime) -> int:
        """After a complete full pull: what it did not return is gone from the CRM."""
        return mark_unseen_deleted(
            self._session, self._source, object_types, pulled_since=pulled_since, now=self._clock()
        )

    def planned_writes(self, sample: int) -> tuple[int, list[PlannedWrite]]:
        """How many writes are owed now, and the first `sample` of them."""
        pairs = due(self._session, self._source, self._clock(), limit=PLAN_LIMIT)
        planned = [
            PlannedWrite(account.crm_id, account.name, dict(state.values))
            for state, account in pairs[:sample]
        ]
        return len(pairs), planned

    def write_back_committing(self, account_ids: Collection[int]) -> WriteResult:
        """Writes what these accounts are owed (those no other writer holds), in one CRM batch,
        and records the outcomes for the caller to commit. Commits the session before the CRM
        call (see `send_committing`)."""
        if not account_ids:
            return WriteResult()
        new_since = self._new_since()
        ids = sorted(account_ids)
        pairs = self._claim(len(ids), only=ids)
        return self._send_committing(pairs, new_since)

    def write_back_all_committing(
        self, batch: int, on_batch: Callable[[WriteResult], None] = lambda _: None
    ) -> WriteResult:
        """Writes everything owed that no other writer holds, `batch` records at a time, until
        none is left; a failed record gets a retry time in the future, so it is not picked
        again in this run.

        Commits each batch's outcomes before taking the next, so a kill leaves at most one
        batch in doubt; and forgets each batch's rows, so the session does not grow with the
        store (an identity map that grows makes every later flush slower)."""
        new_since = self._new_since()
        total = WriteResult()
        while pairs := self._claim(batch):
            result = self._send_committing(pairs, new_since)
            self._session.commit()
            self._session.expunge_all()
            total += result
            on_batch(result)
        return total

    def _claim(
        self, limit: int, *, only: Sequence[int] | None = None
    ) -> list[tuple[WritebackState, Account]]:
        """The owed writes no other writer holds, now claimed by this one."""
        return claim(
            self._session, self._source, self._clock(), limit, writer=self._writer, only=only
        )

    def _new_since(self) -> datetime | None:
        """A record created after the last complete full sync and never written is new (its
        first write may route it); before the first full sync completes nothing is new, so a
        backfill never re-routes existing leads."""
        return sync_state(self._session, self._source, ACCOUNTS).full_sync_completed_at

    def _send_committing(
        self, pairs: Sequence[tuple[WritebackState, Account]], new_since: datetime | None
    ) -> WriteResult:
        if not pairs:
            return WriteResult()
        return send_committing(
            self._session, self._connector, pairs, new_since=new_since, now=self._clock()
        )
