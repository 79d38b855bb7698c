"""The inbox worker: drains webhook events into fresh scores written back to the CRM.

One pass claims a batch of events, and per CRM:
1. drops the changes of properties no score reads (HubSpot names the property: a workflow
   routing a contact sets its owner), and our own echoes, as each CRM tells them apart
   (`CrmConnector.is_own_change`: HubSpot's
   `changeSource` INTEGRATION on a property the writeback owns, Salesforce's `LastModifiedById`
   the integration user): writing a score must not trigger another scoring; the same change by
   a person or another tool is drift, handled like any change: the record is fetched and the
   pipeline rewrites what we last wrote (app.sync.drift). The inbox no longer stores
   HubSpot's echoes (app.inbox.receive); this drops Salesforce's and those stored before;
2. coalesces what is left per record (ten changes to one company are one fetch);
3. fetches the fresh records (a webhook carries ids, not the truth): companies, contacts,
   accounts and leads by id and type, deals with their accounts, and a contact's company when
   the store does not hold it yet (a new inbound contact at a new company); a record the CRM
   no longer returns, or a deletion event, is marked deleted and never written again;
4. hands them to the update pipeline, which stores them, rescores what changed (and the
   prospects that borrow from a changed company: leads, contacts), and writes back only the
   values that differ from what the CRM was last sent;
5. marks the events done, in the same transaction as the scores. A CRM outage (no answer,
   5xx, 429, quota) opens the CRM's circuit and puts the events back without spending an
   attempt: they wait (back-off capped at 5 minutes) for as long as the CRMs retry their own
   deliveries (24 h), then are processed in order per record. Any other failure is the
   events' own: a batch of several records is retried record by record, so only the record
   that fails is put back with back-off, and dead-lettered after `max_attempts`. A killed
   worker's events come back when their claim's lease expires.

When the inbox is empty, the pass retries the CRM writes that failed once their back-off has
expired (at most every `retry_writes_every`), through the same pipeline, without waiting for
the next scheduled sync.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.inbox import queue
from app.inbox.batches import by_record, record_ids, reload
from app.inbox.circuit import MAX_BACKOFF, OUTAGE_REASONS, Circuit, is_outage, outage_reason
from app.inbox.events import DONE, STATUSES
from app.inbox.fetch import fetched_accounts
from app.inbox.gather import Gatherer
from app.scoring import CompiledRubric
from app.store.tables import WebhookEvent
from app.sync.challengers import Rubrics
from app.sync.drift import REPAIR
from app.sync.pipeline import Changes, UpdatePipeline
from app.sync.writeback import FAILED, due
from connectors.base import CrmConnector
from connectors.errors import ConnectorError, RetryableError

logger = logging.getLogger(__name__)

DEAL_KINDS = frozenset({"deal", "opportunity"})
DELETIONS = frozenset({"company.deletion", "contact.deletion", "deal.deletion", "deleted"})
DEPTH_EVERY_S = 5.0
"""How often a worker counts the waiting and dead-lettered events for the depth gauge (index
ranges as small as the backlog): not on every idle pass (10 a second)."""
DONE_DEPTH_EVERY_S = 60.0
"""How often it counts the processed ones: up to the retention's worth of events (a week by
default), read through the index each time, for a figure nobody alerts on."""
LOGGED_IDS = 20
"""Event ids bound to the log lines of a batch (the first ones: a batch may hold hundreds)."""
RETRY_WRITES_EVERY = timedelta(seconds=30)
"""How often an idle worker looks for failed writes whose back-off expired: a failed write is
retried within a minute of its retry time, not at the next scheduled sync."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PassReport:
    claimed: int = 0
    echoes: int = 0
    unscored: int = 0
    """Changes of a property no score reads (a workflow's owner change): done, not fetched."""
    fetched: int = 0
    scored: int = 0
    written: int = 0
    failed_writes: int = 0
    failed_events: int = 0
    dead: int = 0
    waiting: int = 0
    """Events put back to wait out a CRM outage (no attempt spent)."""
    drifted: int = 0
    """Fetched records whose score properties someone else changed since our last write."""
    retried_writes: int = 0
    """Failed writes retried by the idle pass."""
    latencies: list[float] = field(default_factory=list)


class Worker:
    """Processes inbox events for the CRMs in `connectors` (source → connector)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        connectors: Mapping[str, CrmConnector],
        rubric: CompiledRubric,
        *,
        worker_id: str | None = None,
        batch: int = 200,
        lease: timedelta = queue.DEFAULT_LEASE,
        max_attempts: int = queue.DEFAULT_MAX_ATTEMPTS,
        clock: Callable[[], datetime] = utc_now,
        outage_window: timedelta = queue.OUTAGE_WINDOW,
        outage_max_backoff: timedelta = MAX_BACKOFF,
        retry_writes_every: timedelta = RETRY_WRITES_EVERY,
        drift: str = REPAIR,
        rubrics: Callable[[Session], Rubrics] | None = None,
    ) -> None:
        """`drift`: `repair` (rewrite) or `report` a score property changed by someone else
        in the CRM (app.sync.drift). `rubrics`, when given, replaces `rubric`: the champion
        and the challengers (scored in shadow) to use, asked at each batch (a rubric
        directory's champion may be promoted while the worker runs: app.sync.challengers)."""
        self._rubrics = rubrics or (lambda _: Rubrics(rubric))
        self._drift = drift
        self._sessions = session_factory
        self._connectors = dict(connectors)
        self._rubric = rubric
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self._batch = batch
        self._lease = lease
        self._max_attempts = max_attempts
        self._clock = clock
        self._depth_recorded = -DEPTH_EVERY_S
        self._done_depth_recorded = -DONE_DEPTH_EVERY_S
        self._outage_window = outage_window
        self._circuits = {s: Circuit(max_backoff=outage_max_backoff) for s in self._connectors}
        self._gatherer = Gatherer(self._connectors)
        self._outage_reason: dict[str, str | None] = {}
        self._retry_writes_every = retry_writes_every
        self._writes_checked: datetime | None = None

    def run(self, stop: threading.Event, *, idle_wait: float = 0.1) -> None:
        """Passes until `stop` is set; waits `idle_wait` seconds when the inbox is empty."""
        while not stop.is_set():
            try:
                report = self.run_once(gather=True)
            except Exception:  # a database outage must not kill the service's worker
                logger.exception("inbox pass failed; retrying")
                stop.wait(1.0)
                continue
            if report.claimed == 0:
                stop.wait(idle_wait)

    def run_once(self, *, gather: bool = False) -> PassReport:
        """One pass; with `gather`, a rate-limited CRM's events may wait (app.inbox.gather)."""
        report, started = PassReport(), time.monotonic()
        with self._sessions() as session:
            now = self._clock()
            tripped = [s for s, circuit in self._circuits.items() if circuit.is_open(now)]
            tripped += self._gatherer.held(tripped) if gather else []
            claimed = queue.claim(
                session,
                self.worker_id,
                now,
                limit=self._batch,
                lease=self._lease,
                skip_sources=tripped,
            )
            # Durable before the work: a failure rolls the work back, not the claim (its
            # lease, and the attempt that dead-letters an event that always kills its worker).
            session.commit()
            report.claimed = len(claimed)
            by_source: dict[str, list[WebhookEvent]] = defaultdict(list)
            for event in claimed:
                by_source[event.source].append(event)
            for source, events in by_source.items():
                self._process_source_committing(session, source, events, report)
            if not claimed:
                self._retry_failed_writes_committing(session, report)
            self._record_depth(session)
        if report.claimed or report.retried_writes:
            _log_batch(report, time.monotonic() - started)
        return report

    def _process_source_committing(
        self, session: Session, source: str, events: list[WebhookEvent], report: PassReport
    ) -> None:
        """Commits the events' outcome: done with their scores, or put back (or dead)."""
        connector = self._connectors.get(source)
        if connector is None:
            self._fail_committing(session, events, f"no {source} connector is configured", report)
            return
        calls = connector.stats.calls, connector.stats.rate_limited
        bound = structlog.contextvars.bound_contextvars(
            source=source, event_ids=[e.event_id for e in events[:LOGGED_IDS]]
        )
        try:
            with bound:
                self._attempt_committing(session, connector, events, report)
        finally:
            metrics.CRM_API_CALLS.labels(source).inc(connector.stats.calls - calls[0])
            metrics.CRM_RATE_LIMITED.labels(source).inc(connector.stats.rate_limited - calls[1])

    def _attempt_committing(
        self,
        session: Session,
        connector: CrmConnector,
        events: list[WebhookEvent],
        report: PassReport,
        *,
        split: bool = True,
    ) -> None:
        """Processes the events; on an outage, puts them all back to wait; on any other
        failure, retries each record's events on their own (when `split` and there are
        several records), so that only what fails on its own is charged an attempt."""
        circuit = self._circuits[connector.source]
        try:
            self._process_committing(session, connector, events, report)
        except Exception as error:
            session.rollback()  # first: a failed flush leaves the rows unreadable until then
            reloaded = reload(session, events)
            message = f"{type(error).__name__}: {error}"
            if is_outage(error):
                retry_after = error.retry_after if isinstance(error, RetryableError) else None
                until = circuit.trip(self._clock(), retry_after)
                self._unavailable(connector.source, outage_reason(error))
                self._wait_committing(session, reloaded, message, until, report)
                return
            records = by_record(reloaded)
            if split and len(records) > 1:
                for record_events in records:
                    if circuit.open_until is not None and circuit.is_open(self._clock()):
                        # the CRM went down meanwhile: the rest wait, untried
                        until = circuit.open_until
                        self._wait_committing(session, record_events, message, until, report)
                    else:
                        self._attempt_committing(
                            session, connector, record_events, report, split=False
                        )
                return
            if not isinstance(error, ConnectorError):  # a CRM's refusal is expected, not a bug
                logger.exception("inbox events %s failed", [e.id for e in reloaded])
            self._fail_committing(session, reloaded, message, report)
            return
        if circuit.failures:
            self._unavailable(connector.source, None)
        circuit.close()

    def _process_committing(
        self,
        session: Session,
        connector: CrmConnector,
        events: list[WebhookEvent],
        report: PassReport,
    ) -> None:
        """Decides what the events ask for, fetches it, and has the pipeline store, score and
        write it; commits the events done with the scores (the pipeline's write commits its
        `sending` mark first)."""
        echoes = {e.id for e in events if connector.is_own_change(e.event_type, e.payload or {})}
        unscored = {
            e.id for e in events if connector.is_unscored_change(e.event_type, e.payload or {})
        } - echoes
        report.echoes += len(echoes)
        report.unscored += len(unscored)
        work = [e for e in events if e.id not in echoes and e.id not in unscored]
        deleted = {(e.object_type, e.object_id) for e in work if e.event_type in DELETIONS}
        accounts, gone = fetched_accounts(session, connector, work, deleted)
        deal_ids = record_ids(work, DEAL_KINDS, exclude=deleted)
        deals = connector.fetch_deals(deal_ids) if deal_ids else []
        report.fetched += len(accounts) + len(deals)
        champion, challengers = self._rubrics(session)
        pipeline = UpdatePipeline(
            session, connector, champion, self._clock, drift=self._drift, challengers=challengers
        )
        applied = pipeline.apply(Changes(accounts=accounts, deals=deals, gone=gone))
        report.scored += applied.rescore.scored
        report.drifted += len(applied.drifted)
        result = pipeline.write_back_committing(applied.account_ids)
        report.written += result.written + result.confirmed
        report.failed_writes += result.failed
        done_at = self._clock()
        queue.complete(events, done_at)
        session.commit()
        metrics.EVENTS_PROCESSED.labels(connector.source).inc(len(events))
        for event in events:
            latency = (done_at - event.received_at).total_seconds()
            report.latencies.append(latency)
            metrics.END_TO_END_SECONDS.labels(connector.source).observe(latency)

    def _unavailable(self, source: str, reason: str | None) -> None:
        """Sets the CRM's unavailability gauge: 1 for `reason`, 0 for the others (all 0 when
        the CRM is back, `reason` None)."""
        self._outage_reason[source] = reason
        for known in OUTAGE_REASONS:
            metrics.CRM_UNAVAILABLE.labels(source, known).set(1 if known == reason else 0)

    def _fail_committing(
        self, session: Session, events: list[WebhookEvent], error: str, report: PassReport
    ) -> None:
        dead = queue.fail(events, error, self._clock(), max_attempts=self._max_attempts)
        session.commit()
        report.failed_events += len(events)
        report.dead += dead
        source = events[0].source if events else ""
        if dead:
            metrics.EVENTS_FAILED.labels(source, "true").inc(dead)
        metrics.EVENTS_FAILED.labels(source, "false").inc(len(events) - dead)
        logger.warning("%d inbox events failed (%d dead-lettered): %s", len(events), dead, error)

    def _wait_committing(
        self,
        session: Session,
        events: list[WebhookEvent],
        error: str,
        until: datetime,
        report: PassReport,
    ) -> None:
        dead = queue.wait_out(events, error, self._clock(), until=until, window=self._outage_window)
        session.commit()
        report.waiting += len(events) - dead
        report.dead += dead
        source = events[0].source if events else ""
        reason = self._outage_reason.get(source) or "server_error"
        metrics.EVENTS_WAITING.labels(source, reason).inc(len(events) - dead)
        if dead:
            metrics.EVENTS_FAILED.labels(source, "true").inc(dead)
        log = logger.error if reason == "auth" else logger.warning  # auth needs an admin
        log(
            "%s unavailable: %d inbox events wait until %s (%d dead-lettered after %s): %s",
            source,
            len(events) - dead,
            until.isoformat(),
            dead,
            self._outage_window,
            error,
        )

    def _retry_failed_writes_committing(self, session: Session, report: PassReport) -> None:
        """Retries the failed writes whose back-off expired, through the update pipeline
        (pending and in-doubt writes belong to the run writing them: a sync or an event).
        Skips a CRM whose circuit is open; a CRM that fails again keeps its writes failed,
        with a longer back-off, for the next idle pass."""
        now = self._clock()
        if self._writes_checked is not None and now - self._writes_checked < (
            self._retry_writes_every
        ):
            return
        self._writes_checked = now
        for source, connector in self._connectors.items():
            if self._circuits[source].is_open(now):
                continue
            owed = due(session, source, now, limit=self._batch)
            ids = [state.account_id for state, _ in owed if state.status == FAILED]
            if not ids:
                continue
            pipeline = UpdatePipeline(session, connector, self._rubric, self._clock)
            try:
                result = pipeline.write_back_committing(ids)
                session.commit()
            except Exception as error:
                session.rollback()
                if is_outage(error):
                    self._circuits[source].trip(self._clock())
                    self._unavailable(source, outage_reason(error))
                logger.warning("retrying %d failed %s writes failed: %s", len(ids), source, error)
                continue
            report.retried_writes += len(ids)
            report.written += result.written + result.confirmed
            report.failed_writes += result.failed

    def _record_depth(self, session: Session) -> None:
        clock = time.monotonic()
        if clock - self._depth_recorded < DEPTH_EVERY_S:
            return
        statuses = [s for s in STATUSES if s != DONE]
        if clock - self._done_depth_recorded >= DONE_DEPTH_EVERY_S:
            statuses.append(DONE)
            self._done_depth_recorded = clock
        for status, count in queue.depth(session, statuses).items():
            metrics.INBOX_DEPTH.labels(status).set(count)
        self._depth_recorded = clock


def _log_batch(report: PassReport, seconds: float) -> None:
    logger.info(
        "inbox batch: %d events, %d echoes dropped, %d records scored, %d written, "
        "%d writes failed, %d events failed (%d dead), %d waiting, in %.2fs",
        report.claimed, report.echoes, report.scored, report.written, report.failed_writes,
        report.failed_events, report.dead, report.waiting, seconds,
    )  # fmt: skip
