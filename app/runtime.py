"""The long-running parts of `icp-sync serve` and `icp-sync worker`: the inbox worker thread
and the scheduled syncs.

Schedules (APScheduler, in-process): per configured CRM, an incremental sync every
`sync_interval_minutes` and a full reconcile nightly at `full_sync_hour` UTC; one instance of
a job at a time, missed runs coalesced into one. With several replicas on PostgreSQL, each run
first takes a session-level advisory lock named after the job: the replica that gets it runs
the sync, the others skip that round. SQLite is single-node: no lock is needed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app import metrics
from app.crm import configured_sources, make_connector
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.settings import Settings
from app.sync.orchestrator import run_sync
from connectors.base import CrmConnector

logger = logging.getLogger(__name__)


@contextmanager
def cluster_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yields whether this process holds the lock `name` for the block. PostgreSQL: a
    session advisory lock (released with the block, or by the server if the process dies);
    anything else: always True.

    The lock's connection runs in autocommit: the lock belongs to the database session, not
    to a transaction, so there is nothing to commit, and no transaction sits idle on it for
    the length of a sync (holding back vacuum, or cut by `idle_in_transaction_session_timeout`
    together with the lock)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


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

    def start(self) -> None:
        sources = configured_sources(self.settings)
        if not sources:
            logger.warning("no CRM is configured: webhooks are stored but not processed")
        compiled = compile_rubric(self.rubric)
        if self.run_worker:
            self._connectors = {s: make_connector(s, self.settings, self.rubric) for s in sources}
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
            )
            thread = threading.Thread(
                target=worker.run, args=(self._stop,), name="inbox-worker", daemon=True
            )
            thread.start()
            self._threads.append(thread)
            logger.info("inbox worker %s started for %s", worker.worker_id, sources or "no CRM")
        if self.run_schedules and sources:
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
        return scheduler

    def sync(self, source: str, full: bool) -> bool:
        """One scheduled sync, if no other replica is running it; returns whether it ran."""
        kind = "full" if full else "incremental"
        with cluster_lock(self.engine, f"icp-sync:sync:{source}") as held:
            if not held:
                logger.info("%s %s sync skipped: another replica runs it", kind, source)
                return False
            started = time.monotonic()
            connector = make_connector(source, self.settings, self.rubric)
            try:
                report = run_sync(
                    connector, self.session_factory, compile_rubric(self.rubric), full=full
                )
            except Exception:
                logger.exception("%s %s sync failed", kind, source)
                return True
            finally:
                connector.close()
                metrics.SYNC_SECONDS.labels(source, kind).observe(time.monotonic() - started)
            metrics.CRM_API_CALLS.labels(source).inc(report.api_calls)
            metrics.CRM_RATE_LIMITED.labels(source).inc(report.rate_limited)
            logger.info(
                "%s %s sync: pulled %s, scored %d, written %d, failed %d",
                kind,
                source,
                dict(report.pulled),
                report.rescore.scored,
                report.written,
                report.failed,
            )
            return True
