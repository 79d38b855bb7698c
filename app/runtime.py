"""The long-running parts of `icp-sync serve` and `icp-sync worker`: the inbox worker thread
and the scheduled syncs.

At start, a rubric that is not the one rolled out to a CRM is rolled out to it
(app.sync.rollout), in a thread of its own, under that CRM's sync lock.

Schedules (APScheduler, in-process): per configured CRM, an incremental sync every
`sync_interval_minutes` and a full reconcile nightly at `full_sync_hour` UTC; the validation
of the champion and the plan of each challenger at `validation_hour` UTC, stored for the
dashboard (app.validation.nightly); the inbox's retention (app.inbox.retention) a minute after
the start, then every `retention_interval_minutes`; one instance of a job at a time, missed
runs coalesced into one. Each run first takes the sync lock of its CRM
(app.store.locks, the one `icp-sync sync` takes too): the process that gets it runs the sync,
the others skip that round.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.crm import configured_sources, make_connector
from app.inbox.retention import prune_committing
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.semantic.cache import prune as prune_embeddings
from app.semantic.enrich import warm_up
from app.settings import Settings
from app.store.locks import cluster_lock, holder_name, lock_holder, sync_lock_name
from app.store.statistics import refresh_if_stale
from app.sync.challengers import LiveRubrics, Rubrics, live_rubrics
from app.sync.health import secret_values, summarize_error
from app.sync.orchestrator import run_sync
from app.sync.rollout import roll_out
from app.validation.nightly import validate_nightly
from app.validation.runs import StoredRun, prune_runs
from connectors.base import CrmConnector
from connectors.errors import ConnectorError

logger = logging.getLogger(__name__)

ROLLOUT_RETRY = timedelta(seconds=10)
"""How soon a start's rubric roll-out tries again for the sync lock another process holds."""
ROLLOUT_FAILURE_RETRY = timedelta(minutes=2)
PRUNE_START_DELAY = timedelta(minutes=1)
"""The first retention run after a start: soon, so a service restarted more often than hourly
still prunes; not at once, so a start's migrations and first syncs go first."""


@dataclass
class Runtime:
    """The worker thread and the scheduler of one process; `start()` then `stop()`."""

    settings: Settings
    rubric: Rubric
    engine: Engine
    session_factory: sessionmaker[Session]
    run_worker: bool = True
    run_schedules: bool = True
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _connectors: dict[str, CrmConnector] = field(default_factory=dict)
    _scheduler: BackgroundScheduler | None = None
    _rubrics: LiveRubrics | None = None

    def start(self) -> None:
        if self.settings.rubric_dir is not None:
            # The directory's champion (recorded in the store) replaces `rubric`; challengers
            # are scored in shadow on every path (app.rubric.registry).
            self._rubrics = live_rubrics(self.settings.rubric_dir, self.settings.rubric)
            with self.session_factory() as session:
                self.rubric = self._rubrics(session).champion.rubric
        sources = configured_sources(self.settings)
        if not sources:
            logger.warning("no CRM is configured: webhooks are stored but not processed")
        compiled = compile_rubric(self.rubric)
        if self.run_worker:
            challengers = self._challenger_rubrics()
            if warm_up([self.rubric, *challengers]):
                logger.info("semantic model loaded and narratives embedded")
            self._connectors = {
                s: make_connector(s, self.settings, self.rubric, also=challengers) for s in sources
            }
            worker = Worker(
                self.session_factory,
                self._connectors,
                compiled,
                batch=self.settings.worker_batch,
                lease=timedelta(seconds=self.settings.inbox_lease_seconds),
                outage_window=timedelta(hours=self.settings.inbox_outage_hours),
                outage_max_backoff=timedelta(
                    seconds=self.settings.inbox_outage_max_backoff_seconds
                ),
                retry_writes_every=timedelta(seconds=self.settings.writeback_retry_seconds),
                drift=self.settings.drift,
                rubrics=self._rubrics,
            )
            thread = threading.Thread(
                target=worker.run, args=(self._stop,), name="inbox-worker", daemon=True
            )
            thread.start()
            self._threads.append(thread)
            logger.info("inbox worker %s started for %s", worker.worker_id, sources or "no CRM")
        if self.run_schedules:
            if sources:
                thread = threading.Thread(
                    target=self.roll_out_at_start, name="rubric-rollout", daemon=True
                )
                thread.start()
                self._threads.append(thread)
            self._scheduler = self._schedule(sources)
            self._scheduler.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
        for thread in self._threads:
            thread.join(timeout)
        for connector in self._connectors.values():
            connector.close()

    def _schedule(self, sources: list[str]) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300},
        )
        for source in sources:
            if self.settings.sync_interval_minutes:
                scheduler.add_job(
                    self.sync,
                    IntervalTrigger(minutes=self.settings.sync_interval_minutes),
                    args=(source, False),
                    id=f"sync-{source}",
                )
            if self.settings.full_sync_hour >= 0:
                scheduler.add_job(
                    self.sync,
                    CronTrigger(hour=self.settings.full_sync_hour, minute=0),
                    args=(source, True),
                    id=f"full-sync-{source}",
                )
        if self.settings.validation_hour >= 0:
            scheduler.add_job(
                self.validate_nightly,
                CronTrigger(hour=self.settings.validation_hour, minute=0),
                id="validation",
            )
        scheduler.add_job(
            self.prune,
            IntervalTrigger(minutes=self.settings.retention_interval_minutes),
            id="retention",
            next_run_time=datetime.now(UTC) + PRUNE_START_DELAY,
        )
        return scheduler

    def roll_out_at_start(self) -> None:
        """Rolls this process's rubric out to every configured CRM whose recorded rubric
        (app.sync.rubric_state) is another: once per deployment, since only the elected process
        runs this, and a replica starting beside it finds the roll-out recorded once it gets
        the sync lock. A CRM whose lock is taken (a sync, another replica's roll-out) is tried
        again every `ROLLOUT_RETRY`; a roll-out that fails, after `ROLLOUT_FAILURE_RETRY`."""
        pending = configured_sources(self.settings)
        while pending and not self._stop.is_set():
            waiting: list[str] = []
            delay = ROLLOUT_RETRY
            for source in pending:
                try:
                    rubrics = self._current_rubrics()
                    report = roll_out(
                        self.settings,
                        rubrics.champion.rubric,
                        self.engine,
                        source=source,
                        reason="serve start",
                        if_changed=True,
                        cancel=self._stop,
                        challengers=rubrics.challengers,
                    )
                except Exception as error:
                    failure = summarize_error(error, secret_values(self.settings))
                    logger.error(
                        "%s: rubric roll-out failed: %s: %s; trying again in %ds",
                        source,
                        failure.type,
                        failure.message,
                        ROLLOUT_FAILURE_RETRY.seconds,
                        exc_info=not isinstance(error, ConnectorError),
                    )
                    waiting.append(source)
                    delay = ROLLOUT_FAILURE_RETRY
                    continue
                rolled = report.sources[0]
                if rolled.skipped:
                    logger.info(
                        "%s: rubric %s is the one rolled out: nothing to roll out",
                        source,
                        report.rubric_version,
                    )
                elif rolled.busy is not None:
                    logger.info(
                        "%s: rubric roll-out waits for the sync lock (%s)", source, rolled.busy
                    )
                    waiting.append(source)
                elif not rolled.completed and not rolled.skipped and not self._stop.is_set():
                    waiting.append(source)  # writes failed: the next round retries them
                    delay = ROLLOUT_FAILURE_RETRY
            pending = waiting
            if pending:
                self._stop.wait(delay.total_seconds())

    def prune(self) -> int:
        """Deletes the inbox events processed longer ago than the retention; returns how many.
        Replicas may run it at once: they delete different rows (app.inbox.retention)."""
        retention = timedelta(days=self.settings.retention_days)
        try:
            with self.session_factory() as session:
                pruned = prune_committing(session, datetime.now(UTC), retention)
        except Exception:
            logger.exception(
                "inbox retention failed; retrying in %d min",
                self.settings.retention_interval_minutes,
            )
            return 0
        if pruned.events:
            logger.info(
                "inbox retention: deleted %d events processed before %s",
                pruned.events,
                pruned.before.isoformat(),
            )
        self._prune_embeddings()
        self._prune_validation_runs(retention)
        self._refresh_statistics()
        return pruned.events

    def _refresh_statistics(self) -> None:
        try:
            if refresh_if_stale(self.engine):
                logger.info("store statistics refreshed (ANALYZE): the accounts have grown")
        except Exception:
            logger.exception("refreshing the store's statistics failed; retrying next hour")

    def validate_nightly(self, now: datetime | None = None) -> list[StoredRun]:
        """The champion's validation and each challenger's plan, as of `now`, stored; a failure
        is logged, never raised (the scheduler's thread goes on)."""
        secrets = secret_values(self.settings)
        try:
            if self._rubrics is None:
                champion, challengers, name = self.rubric, {}, None
            else:
                with self.session_factory() as session:
                    chosen = self._rubrics.chosen(session)
                champion, name = chosen.champion.rubric, chosen.champion.name
                challengers = {c.name: c.rubric for c in chosen.challengers}
            return validate_nightly(
                self.session_factory,
                champion,
                challengers,
                now=now or datetime.now(UTC),
                champion_name=name,
                secrets=secrets,
            )
        except Exception as error:
            failure = summarize_error(error, secrets)
            logger.error("nightly validation failed: %s: %s", failure.type, failure.message)
            return []

    def _prune_validation_runs(self, retention: timedelta) -> None:
        """Drops stored validate and plan runs older than the retention, but the latest ones."""
        try:
            with self.session_factory.begin() as session:
                dropped = prune_runs(session, datetime.now(UTC), retention)
        except Exception:
            logger.exception("pruning stored validation runs failed; retrying next round")
            return
        if dropped:
            logger.info("deleted %d stored validation runs older than the retention", dropped)

    def _prune_embeddings(self) -> None:
        """Drops cached text embeddings of a model no longer installed (app.semantic.cache)."""
        try:
            with self.session_factory() as session:
                dropped = prune_embeddings(session)
                session.commit()
        except Exception:
            logger.exception("pruning cached text embeddings failed; retrying next round")
            return
        if dropped:
            logger.info("deleted %d cached text embeddings of an older model", dropped)

    def sync(self, source: str, full: bool) -> bool:
        """One scheduled sync, if no other replica is running it; returns whether it ran."""
        kind = "full" if full else "incremental"
        holder = holder_name(f"scheduled {kind} sync")
        with cluster_lock(self.engine, sync_lock_name(source), holder) as held:
            if not held:
                running = lock_holder(self.engine, sync_lock_name(source))
                logger.info("%s %s sync skipped: already running (%s)", kind, source, running)
                return False
            started = time.monotonic()
            rubrics = self._current_rubrics()
            also = [c.rubric.rubric for c in rubrics.challengers]
            connector = make_connector(source, self.settings, rubrics.champion.rubric, also=also)
            secrets = secret_values(self.settings)
            try:
                report = run_sync(
                    connector,
                    self.session_factory,
                    rubrics.champion,
                    full=full,
                    drift=self.settings.drift,
                    secrets=secrets,
                    challengers=rubrics.challengers,
                )
            except Exception as error:
                metrics.SYNC_FAILURES.labels(source, kind).inc()
                failure = summarize_error(error, secrets)
                logger.error(
                    "%s %s sync failed after %.1fs: %s: %s",
                    kind,
                    source,
                    time.monotonic() - started,
                    failure.type,
                    failure.message,
                    exc_info=not isinstance(error, ConnectorError),  # a bug: its traceback
                )
                return True
            finally:
                connector.close()
                metrics.SYNC_SECONDS.labels(source, kind).observe(time.monotonic() - started)
            metrics.CRM_API_CALLS.labels(source).inc(report.api_calls)
            metrics.CRM_RATE_LIMITED.labels(source).inc(report.rate_limited)
            logger.info(
                "%s %s sync: pulled %s, scored %d, written %d, failed %d, in %.1fs",
                kind,
                source,
                dict(report.pulled),
                report.rescore.scored,
                report.written,
                report.failed,
                report.seconds,
            )
            return True

    def _current_rubrics(self) -> Rubrics:
        """The rubrics a sync starting now scores with (a promotion is followed at once)."""
        if self._rubrics is None:
            return Rubrics(compile_rubric(self.rubric))
        with self.session_factory() as session:
            return self._rubrics(session)

    def _challenger_rubrics(self) -> list[Rubric]:
        """Every rubric of the directory: the worker's connectors pull what any of them reads,
        whichever is champion after a promotion."""
        return [] if self._rubrics is None else list(self._rubrics.rubrics())
