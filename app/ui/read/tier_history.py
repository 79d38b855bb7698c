"""Accounts per tier at the end of each day, from the score history.

A day's figure counts each record (account, company, lead, contact) by the tier of its last
history row on or before that day. Reading the whole history on every page view would cost
seconds at 100,000 accounts, so each process keeps the per-day changes it has read and, on
each view, reads only the rows appended since (the history is append-only and each record's
rows are appended in time order). Records archived or deleted since are still counted on the
days they were live; today's figures come from the scores themselves (`overview`).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.store.tables import ScoreHistory

READ_CHUNK = 50_000


@dataclass(frozen=True)
class TierSeries:
    days: list[date]
    counts: dict[str, list[int]]
    """Per tier, the accounts in it at the end of each of `days`."""


class TierHistory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_id = 0
        self._tier_of: dict[int, str] = {}
        self._changes: dict[date, Counter[str]] = defaultdict(Counter)

    def series(self, session: Session, today: date, days: int) -> TierSeries:
        """The `days` days up to and including `today`, after reading the rows appended since
        the last call."""
        with self._lock:
            while True:
                rows = session.execute(
                    select(ScoreHistory.id, ScoreHistory.account_id, ScoreHistory.tier,
                           ScoreHistory.scored_at)
                    .where(ScoreHistory.id > self._last_id)
                    .order_by(ScoreHistory.id)
                    .limit(READ_CHUNK)
                ).all()  # fmt: skip
                self._add(rows)
                if len(rows) < READ_CHUNK:
                    break
            return self._series(today, days)

    def add(self, rows: Iterable[tuple[int, int, str, datetime]]) -> None:
        """History rows (id, account id, tier, scored at), in id order."""
        with self._lock:
            self._add(rows)

    def _add(self, rows: Iterable[tuple[int, int, str, datetime]]) -> None:
        for row_id, account_id, tier, scored_at in rows:
            before = self._tier_of.get(account_id)
            self._last_id = row_id
            if before == tier:
                continue
            change = self._changes[scored_at.date()]
            if before is not None:
                change[before] -= 1
            change[tier] += 1
            self._tier_of[account_id] = tier

    def _series(self, today: date, days: int) -> TierSeries:
        first = today - timedelta(days=days - 1)
        running: Counter[str] = Counter()
        for changed_on, change in self._changes.items():
            if changed_on < first:
                running.update(change)
        tiers = sorted({tier for change in self._changes.values() for tier in change})
        counts: dict[str, list[int]] = {tier: [] for tier in tiers}
        span = [first + timedelta(days=offset) for offset in range(days)]
        for each_day in span:
            running.update(self._changes.get(each_day, Counter()))
            for tier in tiers:
                counts[tier].append(running[tier])
        return TierSeries(span, {tier: c for tier, c in counts.items() if any(c)})
