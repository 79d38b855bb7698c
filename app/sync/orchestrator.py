"""One sync of one CRM: pull accounts and deals page by page (each page stored and scored by
the update pipeline and checkpointed in one transaction, so a killed sync resumes where it
stopped with nothing lost or duplicated: `app.sync.checkpoints`), then write back what changed.

The "complete full sync" state (`full_sync_completed_at`, which lets a new lead's first write
run the CRM's assignment rules) is set at the end of a run that finished a full sync: one asked
for (`--full`), the first ever, or one that earlier runs had started and this run took up, so
a first sync cut short anywhere (mid-pull, between streams, mid-writeback) sets it when its
last part completes, however many runs it took.

`dry_run` does all of it inside one transaction that is rolled back, and writes nothing to the
CRM: what it reports is exactly what a real run would write.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from time import monotonic
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from app.scoring import CompiledRubric
from app.store.repo import sync_state
from app.store.tables import SyncState
from app.sync.challengers import Challenger
from app.sync.checkpoints import StreamPull, checkpoint, complete, plan_pull
from app.sync.drift import REPAIR
from app.sync.facts import CONTACT, LEAD
from app.sync.health import WRITEBACK, record_failure, record_success, summarize_error
from app.sync.pipeline import ACCOUNTS, Changes, PlannedWrite, UpdatePipeline
from app.sync.prefetch import prefetched
from app.sync.rescore import RescoreReport
from app.sync.rubric_state import may_sweep
from app.sync.writeback import SYNC, WriteResult
from connectors.base import ApiStats, CrmConnector
from connectors.records import AccountType, Page, RecordT

logger = logging.getLogger(__name__)

LEADS, CONTACTS, DEALS = "leads", "contacts", "deals"
WRITE_BATCH = 1000
"""Owed writes handed to a connector at a time: a multiple of every CRM's batch maximum
(HubSpot 100, Salesforce 200), so no call goes out part-full but the last."""
PLAN_SAMPLE = 10
RESCORE_BATCH = 1000


class SyncProgress(Protocol):
    """What a front end (progress bars, logs) hears while a sync runs."""

    def pulled(self, stream: str, records: int) -> None: ...

    def written(self, records: int, failed: int) -> None: ...


class _Silent:
    def pulled(self, stream: str, records: int) -> None:
        pass

    def written(self, records: int, failed: int) -> None:
        pass


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
    drifted: int = 0
    """Records whose score properties someone else changed in the CRM since our last write
    (rewritten in repair mode, only counted in report mode)."""
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
    resumed: list[str] = field(default_factory=list)
    """Streams whose full pull an earlier run had started and this run took up."""
    completed_full_sync: bool = False
    """This run finished a full sync: new leads are routed from now on."""


def stream_name(object_type: str) -> str:
    """The sync-state key of an account type's stream: leads and contacts apart, every other
    account-like object (HubSpot company, Salesforce account) is "accounts"."""
    return {LEAD: LEADS, CONTACT: CONTACTS}.get(object_type, ACCOUNTS)


def synced_streams(connector: CrmConnector) -> list[str]:
    """What a run of this CRM brings up to date, in order: its account streams, deals, and
    the writeback of what changed."""
    accounts = dict.fromkeys(stream_name(t) for t in connector.account_types)
    return [*accounts, DEALS, WRITEBACK]


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
    drift: str = REPAIR,
    secrets: Iterable[str] = (),
    challengers: Sequence[Challenger] = (),
) -> SyncReport:
    """`drift`: what a score property changed by someone else in the CRM gets (`repair`:
    rewritten by this sync; `report`: counted in `SyncReport.drifted` only). `challengers`
    are scored in shadow alongside `rubric` (app.sync.challengers), never written.

    A real run records its outcome per stream (`app.sync.health`), a failure with the error
    scrubbed of `secrets` (and of anything shaped like a credential), then raises it again."""
    started, started_at = monotonic(), clock()
    report = SyncReport(source=connector.source, full=full, dry_run=dry_run)
    stats_before = replace(connector.stats, retry_causes=Counter(connector.stats.retry_causes))
    done: list[str] = []
    try:
        with session_factory() as session:
            first = _never_fully_synced(session, connector.source)
            run = _Run(
                session, connector, rubric, clock, report, progress or _Silent(), drift, challengers
            )
            for object_type in connector.account_types:
                run.pull_accounts_committing(object_type, full)
                done.append(stream_name(object_type))
            run.pull_deals_committing(full)
            done.append(DEALS)
            run.rescore_other_rubric_committing()
            if dry_run:
                report.planned, report.plan_sample = run.pipeline.planned_writes(PLAN_SAMPLE)
                session.rollback()
            else:
                with _phase(report, connector, "write back"):
                    run.write_back_committing(write_batch)
                report.completed_full_sync = full or first or bool(report.resumed)
                finished = clock()
                _count_calls(report, stats_before, connector.stats)
                _record_run(session, connector.source, started_at, finished, report)
                record_success(session, connector.source, synced_streams(connector), finished)
                session.commit()
    except Exception as error:
        if not dry_run:
            _record_failure(session_factory, connector, done, error, clock(), secrets)
        raise
    _count_calls(report, stats_before, connector.stats)
    report.seconds = monotonic() - started
    return report


class _Run:
    """One sync over one session. It decides what to pull; the pipeline stores, scores and
    writes. Each page and its cursor are committed (dry: flushed) before the next page, so
    the `_committing` methods commit as they go."""

    def __init__(
        self,
        session: Session,
        connector: CrmConnector,
        rubric: CompiledRubric,
        clock: Callable[[], datetime],
        report: SyncReport,
        progress: SyncProgress,
        drift: str,
        challengers: Sequence[Challenger] = (),
    ) -> None:
        self.session, self.connector, self.clock = session, connector, clock
        self.report, self.progress = report, progress
        self.pipeline = UpdatePipeline(
            session, connector, rubric, clock, role=SYNC, drift=drift, challengers=challengers
        )  # SYNC: this run holds the sync lock

    def pull_accounts_committing(self, object_type: AccountType, full: bool) -> None:
        """Pulls one account type; a full pull, once complete, marks what none of its runs
        returned as deleted."""
        pull = self._plan(stream_name(object_type), full)
        with _phase(self.report, self.connector, f"pull {pull.stream}"):
            pages = self.connector.pull_accounts(pull.since, object_type, resume=pull.resume)

            def unseen_deleted(since: datetime) -> None:
                self.report.deleted += self.pipeline.mark_unseen_deleted({object_type}, since)

            self._pull_committing(
                pull, pages, lambda page: Changes(accounts=page.records), unseen_deleted
            )

    def pull_deals_committing(self, full: bool) -> None:
        pull = self._plan(DEALS, full)
        with _phase(self.report, self.connector, f"pull {DEALS}"):
            pages = self.connector.pull_deals(pull.since, resume=pull.resume)
            self._pull_committing(pull, pages, lambda page: Changes(deals=page.records))

    def _plan(self, stream: str, full: bool) -> StreamPull:
        """The pull of `stream`, starting now by the run's clock (the bookmark it leaves)."""
        pull = plan_pull(self.session, self.connector.source, stream, full=full, now=self.clock())
        if pull.resumed:
            self.report.resumed.append(stream)
        return pull

    def rescore_other_rubric_committing(self) -> None:
        """Rescores what the pulls did not bring but another rubric version scored, when this
        run's rubric is the one rolled out (or none ever was): it brings over the records an
        interrupted roll-out or an older replica left behind. A rubric not yet rolled out is
        not this sweep's to roll out (app.sync.rubric_state.may_sweep)."""
        if not may_sweep(self.session, self.connector.source, self.pipeline.rubric):
            logger.warning(
                "%s sync: rubric %s is not the one rolled out; records scored by another are "
                "left as they are until it is (`icp-sync rescore`, or `serve` at start)",
                self.connector.source,
                self.pipeline.rubric.written_version,
            )
            return
        after = 0
        while True:
            rows, last = self.pipeline.scored_by_other_rubric(after, RESCORE_BATCH)
            if rows:
                self.report.rescore.add(self.pipeline.rescore(rows))
                self._commit_page()
            if last == after:
                return
            after = last

    def write_back_committing(self, batch: int) -> None:
        def count(result: WriteResult) -> None:
            self.progress.written(result.written + result.confirmed, result.failed)

        result = self.pipeline.write_back_all_committing(batch, count)
        self.report.written, self.report.failed = result.written, result.failed
        self.report.confirmed = result.confirmed

    def _pull_committing(
        self,
        pull: StreamPull,
        pages: Iterable[Page[RecordT]],
        changes: Callable[[Page[RecordT]], Changes],
        on_complete: Callable[[datetime], None] = lambda _: None,
    ) -> None:
        """Stores each page with its checkpoint; once the last page is stored, the pull is
        completed in one more transaction (a full pull's `on_complete(first run's start)`
        with it)."""
        source = self.connector.source
        for page in prefetched(pages):
            applied = self.pipeline.apply(changes(page))
            self.report.rescore.add(applied.rescore)
            self.report.drifted += len(applied.drifted)
            checkpoint(self.session, source, pull, page)
            self._commit_page()
            self.report.pulled[pull.stream] += len(page.records)
            self.progress.pulled(pull.stream, len(page.records))
        if pull.full:
            on_complete(pull.started_at)
        complete(self.session, source, pull)
        self._commit_page()

    def _commit_page(self) -> None:
        """Commits (or, dry, flushes) the page with its cursor, so a killed sync resumes after
        it; then forgets its objects: an identity map that grows with every page makes each
        later flush slower (quadratic over a big pull)."""
        if self.report.dry_run:
            self.session.flush()
        else:
            self.session.commit()
        self.session.expunge_all()


def _count_calls(report: SyncReport, before: ApiStats, after: ApiStats) -> None:
    report.api_calls = after.calls - before.calls
    report.rate_limited = after.rate_limited - before.rate_limited
    report.retries = after.retries - before.retries
    report.retry_causes = Counter(after.retry_causes) - before.retry_causes
    report.reauthentications = after.reauthentications - before.reauthentications


@contextmanager
def _phase(report: SyncReport, connector: CrmConnector, name: str) -> Iterator[None]:
    started, calls = monotonic(), connector.stats.calls
    try:
        yield
    finally:
        report.phases[name] = (monotonic() - started, connector.stats.calls - calls)


def _never_fully_synced(session: Session, source: str) -> bool:
    state = session.get(SyncState, (source, ACCOUNTS))
    return state is None or state.full_sync_completed_at is None


def _record_run(
    session: Session, source: str, started: datetime, finished: datetime, report: SyncReport
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
        "api_calls": report.api_calls,
    }
    if report.completed_full_sync:
        state.full_sync_completed_at = finished


def _record_failure(
    session_factory: sessionmaker[Session],
    connector: CrmConnector,
    done: list[str],
    error: Exception,
    now: datetime,
    secrets: Iterable[str],
) -> None:
    """Records the failed run in a session of its own (the run's may be unusable); a store
    that cannot take it (it may be what failed) leaves the run's own error to be raised."""
    streams = synced_streams(connector)
    try:
        with session_factory() as session:
            record_success(session, connector.source, done, now)
            failed = [s for s in streams if s not in done]
            record_failure(session, connector.source, failed, summarize_error(error, secrets), now)
            session.commit()
    except Exception as recording:
        logger.warning(
            "%s sync: its failure could not be recorded: %s",
            connector.source,
            summarize_error(recording, secrets).type,
        )
