"""The accounts of the closed deals and their scores, kept as a few numbers per account.

`validate` and `plan` grade a rubric on every closed deal, each with its account's score.
At a million accounts, keeping each account's row, facts and `ScoreResult` until the
statistics ran cost gigabytes; here a page of accounts is scored and each *candidate* (an
account with a closed deal) keeps only its CRM id, score, tier, criteria points (a row of one
matrix) and flags (one tuple per distinct set, shared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np

from app.scoring import ScoreResult
from app.validation.accounts import AccountRow, Bools, ClosedDeals, Ints
from app.validation.columns import CriteriaTable, OutcomeColumns
from app.validation.populations import cluster_of


@dataclass(frozen=True, slots=True)
class Candidates:
    """The distinct accounts of the closed deals (closed since a day), by id, and per deal
    its account (an index into `ids`), won and close day (an ordinal)."""

    ids: Ints
    deal_account: Ints
    won: Bools
    day: Ints


def candidates_of(deals: ClosedDeals, since: date | None) -> Candidates:
    account, won, day = deals
    if since is not None:
        kept = day >= since.toordinal()
        account, won, day = account[kept], won[kept], day[kept]
    ids, inverse = np.unique(account, return_inverse=True)
    return Candidates(ids, inverse.reshape(-1).astype(np.int64), won, day)


def positions(candidates: Candidates, rows: Sequence[AccountRow]) -> list[tuple[int, int]]:
    """(index in `rows`, index in `candidates.ids`) of the rows that are candidates."""
    ids = np.fromiter(map(_ID, rows), np.int64, len(rows))
    if not len(candidates.ids) or not len(ids):
        return []
    at = np.minimum(np.searchsorted(candidates.ids, ids), len(candidates.ids) - 1)
    hit = np.flatnonzero(candidates.ids[at] == ids)
    return list(zip(hit.tolist(), at[hit].tolist(), strict=True))


_ID, _CRITERION_ID, _POINTS = attrgetter("id"), attrgetter("id"), attrgetter("points")


class RecordScores:
    """One rubric's own scores of the candidates, by their index in `Candidates.ids`, filled
    as the pages of accounts go by; a candidate never filled was not read live (archived or
    deleted by a sync after the deals were read): its deals are left out."""

    def __init__(self, candidates: int, *, by_company: bool = False) -> None:
        self.seen = np.zeros(candidates, np.bool_)
        self.crm_id: list[str] = [""] * candidates
        self.cluster: list[str] | None = [""] * candidates if by_company else None
        """With `by_company`: each candidate's resampling cluster (`cluster_of`)."""
        self.score = np.zeros(candidates, np.int64)
        self.tier: list[str] = [""] * candidates
        self.flags: list[tuple[str, ...]] = [()] * candidates
        self._flag_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.names: tuple[str, ...] = ()
        self.points = np.full((candidates, 0), np.nan)

    def add(self, at: int, row: AccountRow, result: ScoreResult) -> None:
        self.seen[at] = True
        self.crm_id[at] = row.crm_id
        if self.cluster is not None:
            self.cluster[at] = cluster_of(row.crm_id, row.company_crm_id)
        self.score[at] = result.score
        self.tier[at] = result.tier
        self.flags[at] = self._flag_sets.setdefault(result.flags, result.flags)
        names = tuple(map(_CRITERION_ID, result.criteria))
        if names != self.names:
            self._widen(names)
            self.points[at] = [self._point(result, name) for name in self.names]
        else:
            self.points[at] = [_NAN if p is None else p for p in map(_POINTS, result.criteria)]

    def _widen(self, names: tuple[str, ...]) -> None:
        """A column (of `nan`) for each criterion not seen before."""
        new = [n for n in dict.fromkeys(names) if n not in self.names]
        if new:
            more = np.full((len(self.points), len(new)), np.nan)
            self.points = np.hstack([self.points, more])
            self.names += tuple(new)

    @staticmethod
    def _point(result: ScoreResult, name: str) -> float:
        """The last points of criterion `name`, as a mapping of them would hold."""
        found = {c.id: c.points for c in result.criteria if c.points is not None}
        return found.get(name, _NAN)


_NAN = float("nan")


def outcome_columns_of(candidates: Candidates, scores: RecordScores) -> OutcomeColumns:
    """The deals of the candidates read live, one record per account, the records numbered in
    the order of their first deal."""
    account, won, day = candidates.deal_account, candidates.won, candidates.day
    if not scores.seen.all():
        kept = scores.seen[account]
        account, won, day = account[kept], won[kept], day[kept]
    at, first, inverse = np.unique(account, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(at), np.int64)
    rank[order] = np.arange(len(at), dtype=np.int64)
    records = at[order].tolist()
    return OutcomeColumns(
        account_id=[scores.crm_id[i] for i in records],
        score=scores.score[at[order]].tolist(),
        tier=[scores.tier[i] for i in records],
        criteria=CriteriaTable(scores.names, scores.points[at[order]]),
        flags=[scores.flags[i] for i in records],
        deal_record=rank[inverse.reshape(-1)],
        won=won,
        closed_on=day,
        cluster=None if scores.cluster is None else [scores.cluster[i] for i in records],
    )
