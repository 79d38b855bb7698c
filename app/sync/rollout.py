"""A rubric roll-out: every stored live account and lead of a CRM scored with the current rubric,
from the store (no CRM pull), and what changed written back, batched and paced as a sync
writes. One function for `icp-sync rescore`, `serve` at start and `icp-sync promote`.

It runs under the CRM's sync lock (app.store.locks), so a roll-out and a sync of that CRM never
overlap; the rescoring goes through the one update pipeline (app.sync.pipeline), in batches
committed as they go (a killed roll-out resumes where it stopped: what it rescored is not
rescored again, what it owes is written by the next writer). It is recorded as complete
(app.sync.rubric_state) once no live record is left on another rubric version and every write
landed; until then `serve` rolls it out again at its next start.

A dry run rescores in one transaction that is rolled back, and writes nothing anywhere: what it
reports is what the roll-out would change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import monotonic

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from app import metrics
from app.crm import configured_sources, make_connector
from app.rubric import Rubric
from app.scoring import CompiledRubric, compile_rubric
from app.settings import Settings
from app.store.engine import make_session_factory
from app.store.locks import cluster_lock, holder_name, lock_holder, sync_lock_name
from app.store.tables import Account, Score, WritebackState
from app.sync.challengers import Challenger
from app.sync.health import (
    WRITEBACK,
    record_failure,
    record_success,
    secret_values,
    summarize_error,
)
from app.sync.pipeline import UpdatePipeline
from app.sync.rescore import RescoreReport
from app.sync.rubric_state import is_rolled_out, record_rubric, recorded_rubric
from app.sync.writeback import SYNC, WRITTEN, WriteResult, owed_count
from connectors.base import CrmConnector

logger = logging.getLogger(__name__)

RESCORE_BATCH = 5000
"""Records a roll-out rescores and commits at a time (the bulk mode: one statement per table)."""
WRITE_BATCH = 1000
"""As a sync's (app.sync.orchestrator): a multiple of every CRM's batch maximum."""
LOG_EVERY_SECONDS = 5.0


@dataclass
class SourceRollout:
    """One CRM's roll-out."""

    source: str
    previous_version: str | None = None
    """The written version recorded as rolled out before (None: none ever was)."""
    skipped: bool = False
    """Asked only if changed, and this rubric was already rolled out: nothing done."""
    busy: str | None = None
    """Who held the CRM's sync lock, when this roll-out could not take it (nothing done)."""
    accounts: int = 0
    """Live accounts and leads of the CRM in the store."""
    rescore: RescoreReport = field(default_factory=RescoreReport)
    planned: int = 0
    """Dry run: the writes the roll-out would make."""
    written: int = 0
    failed: int = 0
    confirmed: int = 0
    left: int = 0
    """Live records still on another rubric version afterwards (0 once complete)."""
    completed: bool = False
    """Recorded as the CRM's rubric: every live record carries it, every write landed."""
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "previous_version": self.previous_version,
            "skipped": self.skipped,
            "busy": self.busy,
            "accounts": self.accounts,
            "scored": self.rescore.scored,
            "changed": self.rescore.changed,
            "tier_changes": [
                {"from": old, "to": new, "accounts": count}
                for (old, new), count in sorted(self.rescore.transitions.items())
            ],
            "planned_writes": self.planned,
            "written": self.written,
            "failed": self.failed,
            "confirmed_in_crm": self.confirmed,
            "left_on_other_version": self.left,
            "completed": self.completed,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class RolloutReport:
    rubric_version: str
    """The written version rolled out (app.scoring.compiled.written_version)."""
    fingerprint: str
    reason: str
    dry_run: bool
    sources: list[SourceRollout] = field(default_factory=list)

    @property
    def busy(self) -> list[SourceRollout]:
        return [s for s in self.sources if s.busy is not None]

    def as_json(self) -> dict[str, object]:
        return {
            "rubric_version": self.rubric_version,
            "fingerprint": self.fingerprint,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "sources": [s.as_json() for s in self.sources],
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


def roll_out(
    settings: Settings,
    rubric: Rubric,
    engine: Engine,
    *,
    source: str | None = None,
    dry_run: bool = False,
    reason: str,
    if_changed: bool = False,
    cancel: threading.Event | None = None,
    clock: Callable[[], datetime] = utc_now,
    challengers: Sequence[Challenger] = (),
) -> RolloutReport:
    """Rolls `rubric` out to `source` (None: every configured CRM), one CRM after the other.

    `reason` names the roll-out in the lock holder's name and the logs ("icp-sync rescore",
    "serve start", "promote NAME"). `if_changed`: skip a CRM whose recorded rubric is this one
    (checked again under the lock, so processes starting together roll out once). A CRM whose
    sync lock another process holds is reported `busy` with the holder and left alone (a dry
    run takes no lock). `cancel`: set, the roll-out stops after its current batch (what it did
    stays; it is not recorded as complete). `challengers` are scored too, in shadow, as on every
    path (app.sync.challengers). A CRM error propagates, as in a sync."""
    compiled = compile_rubric(rubric)
    report = RolloutReport(compiled.written_version, compiled.fingerprint, reason, dry_run)
    session_factory = make_session_factory(engine)
    for name in [source] if source is not None else configured_sources(settings):
        if if_changed and _already(session_factory(), name, compiled):
            report.sources.append(SourceRollout(name, compiled.written_version, skipped=True))
            continue
        with _lock(engine, name, reason, dry_run) as busy:
            if busy is not None:
                report.sources.append(SourceRollout(name, busy=busy))
                continue
            if if_changed and _already(session_factory(), name, compiled):
                report.sources.append(SourceRollout(name, compiled.written_version, skipped=True))
                continue
            also = [challenger.rubric.rubric for challenger in challengers]
            connector = make_connector(name, settings, rubric, also=also)
            try:
                with session_factory() as session:
                    run = _Rollout(
                        session, connector, compiled, clock, dry_run, reason, cancel, challengers
                    )
                    run.secrets = secret_values(settings)
                    report.sources.append(run.committing())
            finally:
                connector.close()
    return report


def _already(session: Session, source: str, rubric: CompiledRubric) -> bool:
    with session:
        return is_rolled_out(session, source, rubric)


@contextmanager
def _lock(engine: Engine, source: str, reason: str, dry_run: bool) -> Iterator[str | None]:
    """Holds the CRM's sync lock for the block and yields None; or, when another process holds
    it, yields who. A dry run writes nothing, so it runs beside any sync, unlocked."""
    if dry_run:
        yield None
        return
    name = sync_lock_name(source)
    with cluster_lock(engine, name, holder_name(f"rubric roll-out ({reason})")) as held:
        yield None if held else lock_holder(engine, name)


class _Rollout:
    """One CRM's roll-out over one session, under its sync lock (or dry)."""

    def __init__(
        self,
        session: Session,
        connector: CrmConnector,
        rubric: CompiledRubric,
        clock: Callable[[], datetime],
        dry_run: bool,
        reason: str,
        cancel: threading.Event | None,
        challengers: Sequence[Challenger],
    ) -> None:
        self.session, self.connector, self.rubric, self.clock = session, connector, rubric, clock
        self.source, self.dry_run, self.reason = connector.source, dry_run, reason
        self.cancel = cancel or threading.Event()
        self.pipeline = UpdatePipeline(
            session, connector, rubric, clock, role=SYNC, challengers=challengers
        )
        self.result = SourceRollout(self.source)
        self.secrets: list[str] = []
        """Scrubbed from a failure's message before it is stored."""
        self._logged = monotonic()

    def committing(self) -> SourceRollout:
        started = monotonic()
        result = self.result
        recorded = recorded_rubric(self.session, self.source)
        result.previous_version = recorded.rubric_version if recorded else None
        result.accounts = self._count(_live(self.source))
        logger.info(
            "%s: rolling out rubric %s (%s; was %s) to %d accounts%s",
            self.source,
            self.rubric.written_version,
            self.reason,
            result.previous_version or "not recorded",
            result.accounts,
            " (dry run)" if self.dry_run else "",
        )
        try:
            self._rescore_committing()
            if self.dry_run:
                result.planned = self._owed()
                self.session.rollback()
            elif not self.cancel.is_set():
                self._write_back_committing()
                self._finish_committing()
        except Exception as error:
            self.session.rollback()
            if not self.dry_run:
                self._record_failure(error)
            raise
        result.seconds = monotonic() - started
        logger.info(
            "%s: roll-out of rubric %s %s: %d accounts, %d rescored, %d changed, %d written, "
            "%d failed, %d left on another version, in %.1fs",
            self.source,
            self.rubric.written_version,
            "complete" if result.completed else "dry run" if self.dry_run else "incomplete",
            result.accounts,
            result.rescore.scored,
            result.rescore.changed,
            result.written,
            result.failed,
            result.left,
            result.seconds,
        )
        return result

    def _rescore_committing(self) -> None:
        """Every live record, in id order, a batch at a time (committed, or flushed if dry):
        the pipeline's bulk mode rescores those an earlier rubric scored and records what the
        CRM is owed."""
        try:
            self._rescore_pages()
        finally:
            self.pipeline.end_store_rescoring()

    def _rescore_pages(self) -> None:
        after, done = 0, 0
        while not self.cancel.is_set():
            batch, last = self.pipeline.rescore_store_page(after, RESCORE_BATCH)
            if last is None:
                break
            after, done = last, done + batch.considered
            self.result.rescore.add(batch)
            if self.dry_run:
                self.session.flush()
            else:
                self.session.commit()
            self.session.expunge_all()
            if not self.dry_run:
                metrics.ROLLOUT_ACCOUNTS.labels(self.source, "rescored").inc(batch.scored)
                metrics.ROLLOUT_ACCOUNTS.labels(self.source, "changed").inc(batch.changed)
                metrics.ROLLOUT_REMAINING.labels(self.source, "rescore").set(
                    max(self.result.accounts - done, 0)
                )
            self._progress("rescored %d of %d accounts (%d changed)", done, self.result.accounts,
                           self.result.rescore.changed)  # fmt: skip

    def _write_back_committing(self) -> None:
        owed, sent = self._owed(), 0
        metrics.ROLLOUT_REMAINING.labels(self.source, "write").set(owed)

        def count(batch: WriteResult) -> None:
            nonlocal sent
            sent += batch.written + batch.confirmed + batch.failed
            metrics.ROLLOUT_ACCOUNTS.labels(self.source, "written").inc(
                batch.written + batch.confirmed
            )
            metrics.ROLLOUT_ACCOUNTS.labels(self.source, "failed").inc(batch.failed)
            metrics.ROLLOUT_REMAINING.labels(self.source, "write").set(max(owed - sent, 0))
            self._progress("written %d of %d (%d failed)", sent, owed, batch.failed)

        result = self.pipeline.write_back_all_committing(WRITE_BATCH, count)
        self.result.written, self.result.failed = result.written, result.failed
        self.result.confirmed = result.confirmed

    def _finish_committing(self) -> None:
        """Records the rubric as the CRM's when no live record is left on another version and
        every one's write landed (none owed, in doubt, or failed and waiting for its retry);
        and the writeback's health, as a sync's would be."""
        now = self.clock()
        self.result.left = self._count(
            and_(
                _live(self.source),
                or_(
                    ~Account.id.in_(select(Score.account_id)),
                    Account.id.in_(
                        select(Score.account_id).where(
                            Score.rubric_version != self.rubric.written_version
                        )
                    ),
                ),
            )
        )
        unwritten = self._count(
            and_(
                _live(self.source),
                Account.id.in_(
                    select(WritebackState.account_id).where(WritebackState.status != WRITTEN)
                ),
            )
        )
        self.result.completed = self.result.left == 0 and unwritten == 0
        if self.result.completed:
            record_rubric(self.session, self.source, self.rubric, self.result.accounts, now)
            record_success(self.session, self.source, [WRITEBACK], now)
        self.session.commit()

    def _record_failure(self, error: Exception) -> None:
        try:
            failure = summarize_error(error, self.secrets)
            record_failure(self.session, self.source, [WRITEBACK], failure, self.clock())
            self.session.commit()
        except Exception:
            logger.warning("%s roll-out: its failure could not be recorded", self.source)

    def _count(self, condition: ColumnElement[bool]) -> int:
        return int(self.session.scalar(select(func.count(Account.id)).where(condition)) or 0)

    def _owed(self) -> int:
        return owed_count(self.session, self.source, self.clock())

    def _progress(self, message: str, *args: object) -> None:
        """An INFO line every few seconds, so a long roll-out shows where it is."""
        if monotonic() - self._logged >= LOG_EVERY_SECONDS:
            self._logged = monotonic()
            logger.info("%s roll-out: " + message, self.source, *args)


def _live(source: str) -> ColumnElement[bool]:
    return and_(Account.source == source, Account.archived.is_(False), Account.deleted_at.is_(None))
