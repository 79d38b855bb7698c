"""One sync of one CRM: pull accounts and deals page by page (each page stored, scored and
checkpointed in one transaction, so a killed sync resumes where it stopped with nothing lost
or duplicated), then write back what changed.

`dry_run` does all of it inside one transaction that is rolled back, and writes nothing to the
CRM: what it reports is exactly what a real run would write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from time import monotonic
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.scoring import CompiledRubric
from app.store.repo import (
    accounts_by_crm_ids,
    load_cursor,
    mark_unseen_deleted,
    save_cursor,
    sync_state,
    upsert_accounts,
    upsert_deals,
)
from app.store.tables import Account
from app.sync.facts import DEAL_FIELDS, LEAD
from app.sync.prefetch import prefetched
from app.sync.rescore import RescoreReport, rescore_with_leads_of
from app.sync.writeback import due, send
from connectors.base import CrmConnector
from connectors.records import CrmAccount, CrmDeal, Page, RecordT

ACCOUNTS, LEADS, DEALS = "accounts", "leads", "deals"
WRITE_BATCH = 1000
"""Owed writes handed to a connector at a time: a multiple of every CRM's batch maximum
(HubSpot 100, Salesforce 200), so no call goes out part-full but the last."""
PLAN_SAMPLE = 10


class SyncProgress(Protocol):
    """What a front end (progress bars, logs) hears while a sync runs."""

    def pulled(self, stream: str, records: int) -> None: ...

    def written(self, records: int, failed: int) -> None: ...


class _Silent:
    def pulled(self, stream: str, records: int) -> None:
        pass

    def written(self, records: int, failed: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    crm_id: str
    name: str | None
    values: dict[str, str]


@dataclass
class SyncReport:
    source: str
    full: bool
    dry_run: bool
    pulled: Counter[str] = field(default_factory=Counter)
    rescore: RescoreReport = field(default_factory=RescoreReport)
    deleted: int = 0
    """Stored accounts a full pull no longer found in the CRM (marked, never written again)."""
    written: int = 0
    failed: int = 0
    confirmed: int = 0
    """Writes an interrupted run had sent that the CRM turned out to hold (not sent again)."""
    planned: int = 0
    plan_sample: list[PlannedWrite] = field(default_factory=list)
    api_calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    retry_causes: Counter[str] = field(default_factory=Counter)
    """What was retried: `HTTP 503`, `HTTP 429`, `timeout`, `connection lost` → retries."""
    reauthentications: int = 0
    seconds: float = 0.0
    phases: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Per phase (pull accounts, pull deals, write back): (seconds, API calls)."""


def stream_name(object_type: str) -> str:
    """The sync-state key of an account type's stream: leads apart, every other account-like
    object (HubSpot company, Salesforce account) is "accounts"."""
    return LEADS if object_type == LEAD else ACCOUNTS


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_sync(
    connector: CrmConnector,
    session_factory: sessionmaker[Session],
    rubric: CompiledRubric,
    *,
    full: bool = False,
    dry_run: bool = False,
    write_batch: int = WRITE_BATCH,
    clock: Callable[[], datetime] = utc_now,
    progress: SyncProgress | None = None,
) -> SyncReport:
    listener: SyncProgress = progress or _Silent()
    started, started_at = monotonic(), clock()
    report = SyncReport(source=connector.source, full=full, dry_run=dry_run)
    stats = connector.stats
    calls_before = (stats.calls, stats.rate_limited, stats.retries, stats.reauthentications)
    causes_before = Counter(stats.retry_causes)
    with session_factory() as session:

        def checkpoint() -> None:
            # Commit (or, dry, flush) the page, then forget its objects: an identity map that
            # grows with every page makes each later flush slower (quadratic over a big pull).
            if dry_run:
                session.flush()
            else:
                session.commit()
            session.expunge_all()

        def pull(
            stream: str,
            pages: Callable[[], Iterable[Page[RecordT]]],
            store: Callable[[Page[RecordT]], None],
        ) -> None:
            for page in prefetched(pages()):
                store(page)
                if page.cursor is not None:
                    save_cursor(session, connector.source, stream, page.cursor)
                checkpoint()
                report.pulled[stream] += len(page.records)
                listener.pulled(stream, len(page.records))

        def store_accounts(page: Page[CrmAccount]) -> None:
            rows = upsert_accounts(session, page.records, fetched_at=clock())
            rescore_with_leads(rows)

        def store_deals(page: Page[CrmDeal]) -> None:
            touched = upsert_deals(session, page.records, fetched_at=clock())
            if rubric.fields_read & DEAL_FIELDS:  # else no score depends on deals
                rescore_with_leads(accounts_by_crm_ids(session, connector.source, touched))

        def rescore_with_leads(rows: list[Account]) -> None:
            report.rescore.add(
                rescore_with_leads_of(
                    session, rows, rubric=rubric, render=connector.render_score, now=clock()
                )
            )

        complete = True
        for object_type in connector.account_types:
            stream = stream_name(object_type)
            cursor = None if full else load_cursor(session, connector.source, stream)
            complete = complete and cursor is None
            with _phase(report, connector, f"pull {stream}"):
                pull_started = clock()
                pull(stream, partial(connector.pull_accounts, cursor, object_type), store_accounts)
                if cursor is None:  # a complete full pull: what it did not return is gone
                    report.deleted += mark_unseen_deleted(
                        session,
                        connector.source,
                        {object_type},
                        pulled_since=pull_started,
                        now=clock(),
                    )
                    checkpoint()
        deal_cursor = None if full else load_cursor(session, connector.source, DEALS)
        with _phase(report, connector, f"pull {DEALS}"):
            pull(DEALS, lambda: connector.pull_deals(deal_cursor), store_deals)

        if dry_run:
            _plan(session, connector.source, clock(), report)
            session.rollback()
        else:
            with _phase(report, connector, "write back"):
                _write_back(session, connector, clock, write_batch, report, listener)
            _record_run(session, connector.source, started_at, clock(), report, complete)
            session.commit()
    report.api_calls = connector.stats.calls - calls_before[0]
    report.rate_limited = connector.stats.rate_limited - calls_before[1]
    report.retries = connector.stats.retries - calls_before[2]
    report.retry_causes = Counter(stats.retry_causes) - causes_before
    report.reauthentications = stats.reauthentications - calls_before[3]
    report.seconds = monotonic() - started
    return report


@contextmanager
def _phase(report: SyncReport, connector: CrmConnector, name: str) -> Iterator[None]:
    started, calls = monotonic(), connector.stats.calls
    try:
        yield
    finally:
        report.phases[name] = (monotonic() - started, connector.stats.calls - calls)


def _plan(session: Session, source: str, now: datetime, report: SyncReport) -> None:
    pairs = due(session, source, now, limit=1_000_000)
    report.planned = len(pairs)
    report.plan_sample = [
        PlannedWrite(account.crm_id, account.name, dict(state.values))
        for state, account in pairs[:PLAN_SAMPLE]
    ]


def _write_back(
    session: Session,
    connector: CrmConnector,
    clock: Callable[[], datetime],
    batch: int,
    report: SyncReport,
    progress: SyncProgress,
) -> None:
    """Writes owed values in batches until none is due; a failed record gets a retry time in
    the future, so it is not picked again in this run. A record created after the last
    complete full sync and never written is new (its first write may route it); before the
    first full sync completes, nothing is new, so a backfill never re-routes existing leads."""
    new_since = sync_state(session, connector.source, ACCOUNTS).full_sync_completed_at
    while pairs := due(session, connector.source, clock(), limit=batch):
        result = send(session, connector, pairs, new_since=new_since, now=clock())
        session.commit()
        session.expunge_all()
        report.written += result.written
        report.failed += result.failed
        report.confirmed += result.confirmed
        progress.written(result.written + result.confirmed, result.failed)


def _record_run(
    session: Session,
    source: str,
    started: datetime,
    finished: datetime,
    report: SyncReport,
    complete: bool,
) -> None:
    state = sync_state(session, source, ACCOUNTS)
    state.last_run_started_at = started
    state.last_run_finished_at = finished
    state.last_status = "ok" if report.failed == 0 else "partial"
    state.stats = {
        "pulled": dict(report.pulled),
        "scored": report.rescore.scored,
        "changed": report.rescore.changed,
        "written": report.written,
        "failed": report.failed,
    }
    if complete:  # every account stream pulled from scratch (--full, or no cursor yet)
        state.full_sync_completed_at = finished
