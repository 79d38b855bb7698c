"""Win rates per tier, per criterion (high against low), per disqualifier and per quarter,
over the deals' arrays, with account-resampled intervals when asked."""

from __future__ import annotations

import math
import zlib

import numpy as np

from app.validation.deals import Bools, Deals, Ints, sum_by, win_rate
from app.validation.records import CriterionRate, FlagRate, Interval, QuarterRate, TierRate
from app.validation.resampling import Resampling, account_sums, percentile_interval, ratio


def tier_rates(deals: Deals, how: Resampling | None) -> list[TierRate]:
    size = len(deals.tier_names)
    won = sum_by(deals.cell_tier, deals.cell_won, size)
    closed = sum_by(deals.cell_tier, deals.cell_closed, size)
    base = win_rate(int(won.sum()), deals.n)
    intervals: list[Interval | None] = [None] * size
    if how is not None and deals.n:
        inside = [deals.cell_tier == t for t in range(size)]
        sums = account_sums(
            deals,
            [deals.cell_won * m for m in inside] + [deals.cell_closed * m for m in inside],
            how,
            1,
        )
        intervals = [
            percentile_interval(ratio(sums[:, t], sums[:, size + t]), how.confidence)
            for t in range(size)
        ]
    rows: list[TierRate] = []
    for t, name in enumerate(deals.tier_names):
        w, c = int(won[t]), int(closed[t])
        rate = win_rate(w, c)
        lift = rate / base if rate is not None and base else None
        rows.append(TierRate(name, w, c - w, c, rate, lift, intervals[t]))
    return rows


def _stream(name: str) -> int:
    return zlib.crc32(name.encode())


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def _split(deals: Deals, inside: Bools) -> list[Ints]:
    """Per cell: won inside, closed inside, won outside, closed outside."""
    won, closed = deals.cell_won, deals.cell_closed
    return [won * inside, closed * inside, won * ~inside, closed * ~inside]


def criterion_rates(deals: Deals, high_at: float, how: Resampling | None) -> list[CriterionRate]:
    total_won = int(deals.cell_won.sum())
    rows: list[CriterionRate] = []
    for c, name in enumerate(deals.criteria_names):
        high = (deals.points[:, c] >= high_at)[deals.cell_profile]
        high_closed = int(deals.cell_closed[high].sum())
        high_won = int(deals.cell_won[high].sum())
        low_closed, low_won = deals.n - high_closed, total_won - high_won
        high_rate, low_rate = win_rate(high_won, high_closed), win_rate(low_won, low_closed)
        difference = None if high_rate is None or low_rate is None else high_rate - low_rate
        lift = high_rate / low_rate if high_rate is not None and low_rate else None
        interval: tuple[float | None, float | None] | None = None
        if how is not None and deals.n:
            sums = account_sums(deals, _split(deals, high), how, 2, _stream(name))
            lifts = ratio(ratio(sums[:, 0], sums[:, 1]), ratio(sums[:, 2], sums[:, 3]))
            lifts[(sums[:, 2] == 0) & (sums[:, 0] > 0) & (sums[:, 3] > 0)] = np.inf
            found = percentile_interval(lifts, how.confidence)
            interval = None if found is None else (_finite(found[0]), _finite(found[1]))
        rows.append(
            CriterionRate(
                name,
                high_won,
                high_closed,
                high_rate,
                low_won,
                low_closed,
                low_rate,
                difference,
                lift,
                interval,
            )
        )
    return rows


def flag_rates(deals: Deals, how: Resampling | None) -> list[FlagRate]:
    total_won = int(deals.cell_won.sum())
    rows: list[FlagRate] = []
    for f, name in enumerate(deals.flag_names):
        flagged = deals.flag_table[:, f][deals.cell_flags]
        count = int(deals.cell_closed[flagged].sum())
        won = int(deals.cell_won[flagged].sum())
        rest_closed, rest_won = deals.n - count, total_won - won
        flagged_interval: Interval | None = None
        rest_interval: Interval | None = None
        if how is not None:
            sums = account_sums(deals, _split(deals, flagged), how, 3, _stream(name))
            flagged_interval = percentile_interval(ratio(sums[:, 0], sums[:, 1]), how.confidence)
            rest_interval = percentile_interval(ratio(sums[:, 2], sums[:, 3]), how.confidence)
        rows.append(
            FlagRate(
                name,
                count,
                won,
                count - won,
                win_rate(count - won, count),
                win_rate(won, count),
                flagged_interval,
                rest_won,
                rest_closed,
                win_rate(rest_won, rest_closed),
                rest_interval,
            )
        )
    return rows


def _quarter_label(code: int) -> str:
    return f"{code // 4:04d}-Q{code % 4 + 1}"


def quarter_rates(deals: Deals) -> list[QuarterRate]:
    size = len(deals.tier_names)
    codes, index = np.unique(deals.quarter, return_inverse=True)
    cells = index.astype(np.int64) * size + deals.tier
    won = np.bincount(cells[deals.won], minlength=len(codes) * size)
    closed = np.bincount(cells, minlength=len(codes) * size)
    rows: list[QuarterRate] = []
    for q, code in enumerate(codes.tolist()):
        for t, name in enumerate(deals.tier_names):
            w, c = int(won[q * size + t]), int(closed[q * size + t])
            rows.append(QuarterRate(_quarter_label(code), name, w, c, win_rate(w, c)))
    return rows
