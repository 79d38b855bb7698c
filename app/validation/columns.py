"""Outcomes as columns: what `validate` and `plan` hand to the statistics on a big CRM.

Half a million deals as half a million `Outcome` objects cost more than the statistics on
them, and the statistics turn them into arrays anyway. Every outcome of one account's deals
repeats that account's score, tier, criteria and flags, so here they are stored once per
*record* (an account as scored), and each deal is three array entries: its record, won, and
its close day. `columns_of` turns a list of `Outcome` into this form (one record per
outcome), so both give the same statistics; `OutcomeColumns.outcomes` goes back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import overload

import numpy as np
import numpy.typing as npt

from app.validation.records import Outcome

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]


class CriteriaTable(Sequence[Mapping[str, float]]):
    """Per record its criteria points as a row of one matrix (`nan`: no points), read as a
    mapping per record. Scores of real accounts differ in their points (recency, size...):
    at a million accounts, a mapping each cost more than all else kept."""

    def __init__(self, names: Sequence[str], points: Floats) -> None:
        self.names = tuple(names)
        self.points = points  # records x names

    def __len__(self) -> int:
        return len(self.points)

    @overload
    def __getitem__(self, index: int) -> Mapping[str, float]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Mapping[str, float]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> Mapping[str, float] | Sequence[Mapping[str, float]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = self.points[index].tolist()
        return {n: p for n, p in zip(self.names, row, strict=True) if not math.isnan(p)}

    def __iter__(self) -> Iterator[Mapping[str, float]]:
        for i in range(len(self)):
            yield self[i]


@dataclass(frozen=True, slots=True)
class OutcomeColumns:
    """Per record: `account_id`, `score`, `tier`, `criteria`, `flags` (as in `Outcome`);
    per deal: `deal_record` (index into the records), `won`, `closed_on` (a date ordinal).
    Every record has at least one deal, and records are numbered in the order their first
    deal comes. `cluster`: see below."""

    account_id: list[str]
    score: list[int]
    tier: list[str]
    criteria: Sequence[Mapping[str, float]]
    flags: list[tuple[str, ...]]
    deal_record: Ints
    won: Bools
    closed_on: Ints
    cluster: list[str] | None = None
    """Per record, what the bootstrap resamples it with (a contact's company); None: each
    record by its `account_id`."""

    def __len__(self) -> int:
        return len(self.deal_record)

    def outcomes(self) -> list[Outcome]:
        """One `Outcome` per deal, in deal order (a record's outcomes share its criteria)."""
        days: dict[int, date] = {}
        found: list[Outcome] = []
        criteria = list(self.criteria)  # one mapping per record, however it is kept
        for record, won, day in zip(
            self.deal_record.tolist(), self.won.tolist(), self.closed_on.tolist(), strict=True
        ):
            closed_on = days.get(day)
            if closed_on is None:
                closed_on = days[day] = date.fromordinal(day)
            found.append(
                Outcome(
                    self.account_id[record],
                    self.score[record],
                    self.tier[record],
                    won,
                    closed_on,
                    criteria[record],
                    self.flags[record],
                )
            )
        return found


Outcomes = Sequence[Outcome] | OutcomeColumns
"""What the statistics take: a list of outcomes, or the same as columns."""


def columns_of(outcomes: Outcomes) -> OutcomeColumns:
    """`outcomes` as columns, one record per outcome (columns are returned as they are)."""
    if isinstance(outcomes, OutcomeColumns):
        return outcomes
    n = len(outcomes)
    return OutcomeColumns(
        account_id=list(map(attrgetter("account_id"), outcomes)),
        score=list(map(attrgetter("score"), outcomes)),
        tier=list(map(attrgetter("tier"), outcomes)),
        criteria=list(map(attrgetter("criteria"), outcomes)),
        flags=list(map(attrgetter("flags"), outcomes)),
        deal_record=np.arange(n, dtype=np.int64),
        won=np.fromiter(map(attrgetter("won"), outcomes), np.bool_, n),
        closed_on=np.fromiter(
            map(date.toordinal, map(attrgetter("closed_on"), outcomes)), np.int64, n
        ),
    )
