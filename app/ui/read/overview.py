"""The overview's figures, read from the store: the tiers now, the rubric versions in force,
the last sync of each CRM, the webhook inbox and the CRM writes still owed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.inbox import queue
from app.inbox.events import DEAD, PENDING, PROCESSING
from app.rubric.model import DISQUALIFIED_TIER
from app.rubric.registry import recorded_champion
from app.store.partial import excluding
from app.store.tables import (
    WRITTEN,
    Account,
    RubricRollout,
    Score,
    SyncHealth,
    SyncState,
    WritebackState,
)
from app.sync.pipeline import ACCOUNTS

KINDS = {
    ("hubspot", "company"): "HubSpot companies",
    ("hubspot", "contact"): "HubSpot contacts",
    ("salesforce", "account"): "Salesforce accounts",
    ("salesforce", "lead"): "Salesforce leads",
}


@dataclass(frozen=True)
class TierCounts:
    tiers: list[str]
    """Best first: by the average score of the records in the tier; disqualified last."""
    kinds: list[tuple[str, str]]
    counts: dict[tuple[str, tuple[str, str]], int]
    unscored: int

    def count(self, tier: str, kind: tuple[str, str]) -> int:
        return self.counts.get((tier, kind), 0)

    def total(self, tier: str) -> int:
        return sum(n for (t, _), n in self.counts.items() if t == tier)

    @property
    def scored(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class LastSync:
    source: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str | None
    pulled: int
    written: int
    failed: int
    api_calls: int | None
    failing_streams: list[str]
    last_error: str | None


@dataclass(frozen=True)
class RubricInForce:
    versions: list[tuple[str, int]]
    """The rubric versions of the stored scores, most used first."""
    rollouts: list[RubricRollout]
    champion: str | None
    """The rubric directory's champion last recorded by `icp-sync promote`, if any."""


def _live() -> tuple[Any, ...]:
    return (Account.archived.is_(False), Account.deleted_at.is_(None))


def tier_counts(session: Session) -> TierCounts:
    rows = session.execute(
        select(Score.tier, Account.source, Account.object_type, func.count(), func.avg(Score.score))
        .join(Account, Account.id == Score.account_id)
        .where(*_live())
        .group_by(Score.tier, Account.source, Account.object_type)
    ).all()
    counts: dict[tuple[str, tuple[str, str]], int] = {}
    weighted: dict[str, list[float]] = {}
    for tier, source, object_type, count, average in rows:
        counts[(tier, (source, object_type))] = int(count)
        total, n = weighted.get(tier, [0.0, 0.0])
        weighted[tier] = [total + float(average or 0) * count, n + count]
    tiers = sorted(
        weighted,
        key=lambda t: (t == DISQUALIFIED_TIER, -weighted[t][0] / max(weighted[t][1], 1), t),
    )
    kinds = sorted({kind for _, kind in counts}, key=lambda k: (k not in KINDS, k))
    live = session.scalar(select(func.count()).select_from(Account).where(*_live())) or 0
    return TierCounts(tiers, kinds, counts, int(live) - sum(counts.values()))


def rubric_in_force(session: Session) -> RubricInForce:
    versions = session.execute(
        select(Score.rubric_version, func.count())
        .group_by(Score.rubric_version)
        .order_by(func.count().desc())
    ).all()
    rollouts = list(session.scalars(select(RubricRollout).order_by(RubricRollout.source)))
    champion = recorded_champion(session)
    return RubricInForce([(v, int(n)) for v, n in versions], rollouts, champion)


def last_syncs(session: Session) -> list[LastSync]:
    health: dict[str, list[SyncHealth]] = {}
    for row in session.scalars(select(SyncHealth).order_by(SyncHealth.stream)):
        health.setdefault(row.source, []).append(row)
    states = {
        s.source: s
        for s in session.scalars(select(SyncState).where(SyncState.object_type == ACCOUNTS))
    }
    syncs = []
    for source in sorted(set(states) | set(health)):
        state = states.get(source)
        stats = state.stats if state is not None else {}
        failing = [h for h in health.get(source, []) if h.consecutive_failures]
        syncs.append(
            LastSync(
                source=source,
                started_at=state.last_run_started_at if state else None,
                finished_at=state.last_run_finished_at if state else None,
                status=state.last_status if state else None,
                pulled=sum(int(n) for n in (stats.get("pulled") or {}).values()),
                written=int(stats.get("written", 0)),
                failed=int(stats.get("failed", 0)),
                api_calls=None if "api_calls" not in stats else int(stats["api_calls"]),
                failing_streams=[h.stream for h in failing],
                last_error=next((h.last_error for h in failing if h.last_error), None),
            )
        )
    return syncs


def inbox_depth(session: Session) -> dict[str, int]:
    return queue.depth(session, (PENDING, PROCESSING, DEAD))


def writes_owed(session: Session) -> dict[str, int]:
    """CRM writes not yet done, per status (pending, sending, failed)."""
    rows = session.execute(
        select(WritebackState.status, func.count())
        .where(excluding(WritebackState.status, WRITTEN))
        .group_by(WritebackState.status)
    ).all()
    return {status: int(n) for status, n in rows}
