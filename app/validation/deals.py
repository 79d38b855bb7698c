"""The outcomes as ``numpy`` arrays, built once (:class:`Deals`), and the small array helpers
the statistics share. Deals are grouped into *cells* (the deals of one account sharing score,
tier, criteria and flags) so that the statistics' cost follows accounts, not deals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from app.validation.columns import CriteriaTable, Outcomes, columns_of

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Deals:
    """The outcomes as arrays, built once.

    A *cell* groups the deals of one account sharing score, tier, criteria and flags (in
    practice an account is one cell): the statistics and resampling work on cells, weighted
    by their ``won`` and ``closed`` counts, so their cost follows accounts, not deals.
    """

    n: int
    accounts: int  # distinct accounts resampled (a contact's: its company, its cluster)
    won: Bools  # per deal
    tier: Ints  # per deal, index into tier_names
    quarter: Ints  # per deal, year * 4 + quarter - 1
    tier_names: list[str]
    criteria_names: list[str]
    points: Floats  # criteria profiles x criteria
    flag_names: list[str]
    flag_table: Bools  # flag profiles x flags
    cell_account: Ints
    cell_score: Ints
    cell_tier: Ints
    cell_profile: Ints
    cell_flags: Ints
    cell_won: Ints
    cell_closed: Ints

    @property
    def cell_lost(self) -> Ints:
        return self.cell_closed - self.cell_won


def groups(columns: Sequence[Ints]) -> tuple[Ints, Ints]:
    """(first row, group per row) of the distinct rows of non-negative integer columns, the
    groups numbered in the order of the rows' values (so independent of the rows' order)."""
    if columns[0].size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    spans = [int(column.max()) + 1 for column in columns]
    if math.prod(spans) < 2**62:
        key = columns[0].astype(np.int64)
        for column, span in zip(columns[1:], spans[1:], strict=True):
            key = key * span + column
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(
            np.stack(columns, axis=1), axis=0, return_index=True, return_inverse=True
        )
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def _index(values: list[Any]) -> tuple[Ints, list[Any]]:
    """(index per value into the distinct values, the distinct values in first-seen order)."""
    distinct = list(dict.fromkeys(values))
    lookup = dict(zip(distinct, range(len(distinct)), strict=True))
    return np.fromiter(map(lookup.__getitem__, values), np.int64, len(values)), distinct


def _account_index(values: list[Any]) -> tuple[Ints, int]:
    """`_index` of the account ids, and how many distinct. Columns from a store hold one
    record per account, so the ids usually all differ: when their hashes all do, the index is
    0, 1, 2, ... without a dictionary of a million strings."""
    hashes = np.fromiter(map(hash, values), np.int64, len(values))
    if len(np.unique(hashes)) == len(values):
        return np.arange(len(values), dtype=np.int64), len(values)
    index, distinct = _index(values)
    return index, len(distinct)


def _identity_index(objects: list[Any]) -> tuple[Ints, list[Any]]:
    """(index per object, the distinct objects), told apart by ``id``: the outcomes of one
    account share their criteria mapping and flags tuple, so only a few are looked into.
    (Which object gets which index does not change any result.)"""
    ids = np.fromiter(map(id, objects), np.int64, len(objects))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), [objects[i] for i in first.tolist()]


def _profiles(
    criteria: Sequence[Mapping[str, float]], extra: Sequence[str]
) -> tuple[Ints, list[str], Floats]:
    """(profile per record, the criteria seen and `extra`, sorted: their points per profile,
    0 where none). A `CriteriaTable` is one profile per record."""
    if isinstance(criteria, CriteriaTable):
        seen = [bool(np.any(~np.isnan(column))) for column in criteria.points.T]
        names = sorted({n for n, s in zip(criteria.names, seen, strict=True) if s} | set(extra))
        points = np.zeros((len(criteria), len(names)), np.float64)
        for c, name in enumerate(names):
            if name in criteria.names:
                column = criteria.points[:, criteria.names.index(name)]
                points[:, c] = np.where(np.isnan(column), 0.0, column)
        return np.arange(len(criteria), dtype=np.int64), names, points
    profile_of_record, profiles = _identity_index(list(criteria))
    names = sorted({c for p in profiles for c in p} | set(extra))
    points = np.zeros((len(profiles), len(names)), np.float64)
    for c, name in enumerate(names):
        points[:, c] = np.fromiter(
            map(methodcaller("get", name, 0.0), profiles), np.float64, len(profiles)
        )
    return profile_of_record, names, points


def deals_of(outcomes: Outcomes, tiers: Sequence[str], extra_criteria: Sequence[str] = ()) -> Deals:
    """Everything per record (:class:`~app.validation.columns.OutcomeColumns`), then spread
    over the deals by array indexing: at 500,000 deals a Python-level loop per deal would
    cost more than all the statistics."""
    columns = columns_of(outcomes)
    record = columns.deal_record
    n = len(record)
    # what is resampled: the account, or the record's cluster (a contact's company)
    account_of_record, accounts = _account_index(
        columns.account_id if columns.cluster is None else columns.cluster
    )
    raw_tier, seen_tiers = _index(columns.tier)
    tier_names = list(dict.fromkeys(tiers))
    tier_names += sorted(set(seen_tiers) - set(tier_names))
    position = {name: i for i, name in enumerate(tier_names)}
    tier_of_record = np.array([position[name] for name in seen_tiers] or [0], np.int64)[raw_tier]
    first_day = int(columns.closed_on.min()) if n else 0
    last_day = int(columns.closed_on.max()) if n else 0
    day_quarter = np.array(
        [
            d.year * 4 + (d.month - 1) // 3
            for d in map(date.fromordinal, range(max(first_day, 1), last_day + 1))
        ]
        or [0],
        np.int64,
    )
    profile_of_record, criteria_names, points = _profiles(columns.criteria, extra_criteria)
    flags_of_record, flag_tuples = _identity_index(columns.flags)
    flag_sets = [set(flags) for flags in flag_tuples]
    flag_names = sorted({f for s in flag_sets for f in s})
    flag_table = np.array([[f in s for f in flag_names] for s in flag_sets], np.bool_).reshape(
        len(flag_sets), len(flag_names)
    )
    score_of_record = np.array(columns.score, np.int64).reshape(-1)
    won = columns.won
    low_score = int(score_of_record.min()) if n else 0
    # Cells are grouped over records (an account each, or an outcome), not deals: the same
    # distinct keys, numbered in the order of their values either way.
    first, cell_of_record = groups(
        [account_of_record, score_of_record - low_score, tier_of_record, profile_of_record,
         flags_of_record]
    )  # fmt: skip
    cell = cell_of_record[record]
    return Deals(
        n=n,
        accounts=accounts,
        won=won,
        tier=tier_of_record[record],
        quarter=day_quarter[columns.closed_on - first_day],
        tier_names=tier_names,
        criteria_names=criteria_names,
        points=points,
        flag_names=flag_names,
        flag_table=flag_table,
        cell_account=account_of_record[first],
        cell_score=score_of_record[first],
        cell_tier=tier_of_record[first],
        cell_profile=profile_of_record[first],
        cell_flags=flags_of_record[first],
        cell_won=np.bincount(cell[won], minlength=len(first)).astype(np.int64),
        cell_closed=np.bincount(cell, minlength=len(first)).astype(np.int64),
    )


def win_rate(won: int, closed: int) -> float | None:
    return won / closed if closed else None


def sum_by(index: Ints, values: Ints, size: int) -> Ints:
    return np.bincount(index, weights=values, minlength=size).astype(np.int64)
