"""Does the ICP score separate won deals from lost ones? Pure statistics on closed deals.

Everything here is pure: no I/O, no clock reads. The input is one :class:`Outcome` per closed
deal (an account with several closed deals appears several times), carrying the account's
score, tier, per-criterion points and disqualifier flags as they were when the deal closed.
Every result is a frozen dataclass of plain values, so ``dataclasses.asdict`` turns a
:class:`Validation` straight into JSON-ready data.

A *win rate* is ``won / closed`` and is ``None`` (never a division error) when nothing closed.

**Intervals resample accounts, not deals.** The deals of one account share its score, tier and
flags and mostly its fate, so they are not independent observations: 6,000 deals of 85
accounts carry the evidence of about 85, not 6,000. Every interval here is a percentile
bootstrap over accounts (a cluster bootstrap): each resample draws every account a
Poisson(1) number of times (the Poisson bootstrap, the large-sample form of drawing accounts
with replacement), with all of its deals, from a ``numpy`` generator seeded with ``seed``, so
the same deals and seed always give the same intervals, in whatever order the deals come.

**Fast.** The deals are turned into arrays once. A statistic of a resample depends only on how
many times each *kind* of account was drawn (for the AUC, accounts of the same score with the
same numbers of won and lost deals are interchangeable), so accounts are collapsed into kinds
and each resample draws one Poisson count per kind (the sum of independent Poisson(1) draws
is Poisson): the work per resample grows with the number of kinds, a few thousand, not with
the number of accounts or deals.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter, methodcaller
from typing import Any

import numpy as np
import numpy.typing as npt

from app.validation.verdicts import Verdict, judge

__all__ = [
    "CriterionRate",
    "FlagRate",
    "Outcome",
    "QuarterRate",
    "TierRate",
    "Validation",
    "Verdict",
    "auc",
    "auc_interval",
    "criterion_lift",
    "disqualifier_precision",
    "summarise",
    "warnings",
    "win_rates_by_quarter",
    "win_rates_by_tier",
]

#: The rule of thumb (30-50 closed-won deals) below which win rates are indicative only.
MIN_WON = 30
#: Fewer closed deals than this in a tier and its win rate is not worth reading.
MIN_TIER_CLOSED = 10
#: Fewer distinct accounts than this and the intervals rest on too few independent units.
MIN_ACCOUNTS = 100
#: The rule of thumb of ``MIN_WON`` applied to accounts: accounts with a won (a lost) deal.
MIN_OUTCOME_ACCOUNTS = 30
#: Fewer distinct scores than this and the AUC mostly compares ties.
MIN_DISTINCT_SCORES = 20

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Interval = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One closed deal and how its account scored.

    ``score`` is the fit score 0-100, ``criteria`` maps criterion id to the points 0-100 the
    account earned on it, ``flags`` are the disqualifiers that held.
    """

    account_id: str
    score: int
    tier: str
    won: bool
    closed_on: date
    criteria: Mapping[str, float]
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TierRate:
    """Closed deals of one tier; ``lift`` is ``win_rate`` / the overall base win rate.

    ``win_rate_interval`` is the account-resampled interval of ``win_rate`` (``None`` when not
    computed or when fewer than two resamples held a deal of the tier).
    """

    tier: str
    won: int
    lost: int
    closed: int
    win_rate: float | None
    lift: float | None
    win_rate_interval: Interval | None = None


@dataclass(frozen=True, slots=True)
class CriterionRate:
    """Win rate of deals scoring high (>= ``high_at``) on one criterion against the others.

    ``lift`` = ``high_win_rate / low_win_rate`` (``None`` when either is undefined or the low
    rate is 0); ``lift_interval`` its account-resampled interval, a bound ``None`` when it is
    infinite (the low group won nothing in those resamples).
    """

    criterion: str
    high_won: int
    high_closed: int
    high_win_rate: float | None
    low_won: int
    low_closed: int
    low_win_rate: float | None
    difference: float | None  # high_win_rate - low_win_rate
    lift: float | None = None
    lift_interval: tuple[float | None, float | None] | None = None


@dataclass(frozen=True, slots=True)
class FlagRate:
    """What one disqualifier would have thrown away; ``precision`` = lost / flagged.

    ``flagged_win_rate`` (won / flagged) is set against ``rest_win_rate``, the win rate of the
    deals without the flag, each with its account-resampled interval.
    """

    flag: str
    flagged: int
    won_thrown_away: int
    lost: int
    precision: float | None
    flagged_win_rate: float | None = None
    flagged_win_rate_interval: Interval | None = None
    rest_won: int = 0
    rest_closed: int = 0
    rest_win_rate: float | None = None
    rest_win_rate_interval: Interval | None = None


@dataclass(frozen=True, slots=True)
class QuarterRate:
    """Closed deals of one tier in one calendar quarter (``quarter`` like ``2026-Q3``)."""

    quarter: str
    tier: str
    won: int
    closed: int
    win_rate: float | None


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything :func:`summarise` computes; ``dataclasses.asdict`` gives plain data.

    ``accounts`` counts the distinct accounts of the deals, ``won_accounts`` (``lost_accounts``)
    those with at least one won (lost) deal, ``distinct_scores`` the different scores among
    the deals; ``verdicts`` say what the figures mean (:mod:`app.validation.verdicts`).
    """

    closed: int
    won: int
    lost: int
    base_win_rate: float | None
    auc: float | None
    auc_interval: Interval | None
    confidence: float
    resamples: int
    seed: int
    tiers: tuple[TierRate, ...]
    criteria: tuple[CriterionRate, ...]
    disqualifiers: tuple[FlagRate, ...]
    quarters: tuple[QuarterRate, ...]
    warnings: tuple[str, ...]
    accounts: int = 0
    won_accounts: int = 0
    lost_accounts: int = 0
    distinct_scores: int = 0
    verdicts: tuple[Verdict, ...] = ()


@dataclass(frozen=True, slots=True)
class _Resampling:
    resamples: int
    confidence: float
    seed: int

    def rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed % 2**64, *stream])


@dataclass(frozen=True, slots=True)
class _Deals:
    """The outcomes as arrays, built once.

    A *cell* groups the deals of one account sharing score, tier, criteria and flags (in
    practice an account is one cell): the statistics and resampling work on cells, weighted
    by their ``won`` and ``closed`` counts, so their cost follows accounts, not deals.
    """

    n: int
    accounts: int
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


def _groups(columns: Sequence[Ints]) -> tuple[Ints, Ints]:
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


def _identity_index(outcomes: Sequence[Outcome], field: str) -> tuple[Ints, list[Any]]:
    """(index per outcome, the distinct objects) of one field's objects, told apart by ``id``:
    the outcomes of one account share their criteria mapping and flags tuple, so only a few
    are looked into. (Which object gets which index does not change any result.)"""
    ids = np.fromiter(map(id, map(attrgetter(field), outcomes)), np.int64, len(outcomes))
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    get = attrgetter(field)
    return inverse.reshape(-1).astype(np.int64), [get(outcomes[i]) for i in first.tolist()]


def _deals(
    outcomes: Sequence[Outcome], tiers: Sequence[str], extra_criteria: Sequence[str] = ()
) -> _Deals:
    """Everything as C-level ``map`` loops over the outcomes: at 500,000 deals a Python-level
    loop per field would cost more than all the statistics."""
    n = len(outcomes)
    account, distinct_accounts = _index(list(map(attrgetter("account_id"), outcomes)))
    raw_tier, seen_tiers = _index(list(map(attrgetter("tier"), outcomes)))
    tier_names = list(dict.fromkeys(tiers))
    tier_names += sorted(set(seen_tiers) - set(tier_names))
    position = {name: i for i, name in enumerate(tier_names)}
    tier = np.array([position[name] for name in seen_tiers] or [0], np.int64)[raw_tier]
    days = np.fromiter(map(date.toordinal, map(attrgetter("closed_on"), outcomes)), np.int64, n)
    unique_days, day_index = np.unique(days, return_inverse=True)
    day_quarter = np.array(
        [d.year * 4 + (d.month - 1) // 3 for d in map(date.fromordinal, unique_days.tolist())]
        or [0],
        np.int64,
    )
    profile, profiles = _identity_index(outcomes, "criteria")
    criteria_names = sorted({c for p in profiles for c in p} | set(extra_criteria))
    points = np.zeros((len(profiles), len(criteria_names)), np.float64)
    for c, name in enumerate(criteria_names):
        points[:, c] = np.fromiter(
            map(methodcaller("get", name, 0.0), profiles), np.float64, len(profiles)
        )
    flag_profile, flag_tuples = _identity_index(outcomes, "flags")
    flag_sets = [set(flags) for flags in flag_tuples]
    flag_names = sorted({f for s in flag_sets for f in s})
    flag_table = np.array([[f in s for f in flag_names] for s in flag_sets], np.bool_).reshape(
        len(flag_sets), len(flag_names)
    )
    score = np.fromiter(map(attrgetter("score"), outcomes), np.int64, n)
    won = np.fromiter(map(attrgetter("won"), outcomes), np.bool_, n)
    low_score = int(score.min()) if n else 0
    first, cell = _groups([account, score - low_score, tier, profile, flag_profile])
    return _Deals(
        n=n,
        accounts=len(distinct_accounts),
        won=won,
        tier=tier,
        quarter=day_quarter[day_index],
        tier_names=tier_names,
        criteria_names=criteria_names,
        points=points,
        flag_names=flag_names,
        flag_table=flag_table,
        cell_account=account[first],
        cell_score=score[first],
        cell_tier=tier[first],
        cell_profile=profile[first],
        cell_flags=flag_profile[first],
        cell_won=np.bincount(cell[won], minlength=len(first)).astype(np.int64),
        cell_closed=np.bincount(cell, minlength=len(first)).astype(np.int64),
    )


def _rate(won: int, closed: int) -> float | None:
    return won / closed if closed else None


def _sum_by(index: Ints, values: Ints, size: int) -> Ints:
    return np.bincount(index, weights=values, minlength=size).astype(np.int64)


# --- resampling ------------------------------------------------------------------------------

#: Poisson draws with a mean below this are made by inverting the distribution function, one
#: uniform each (numpy's own method draws about ``mean`` uniforms per draw).
_INVERT_BELOW = 32
_CDF_LENGTH = 200  # P(Poisson(31) >= 200) is far below double precision


def _poisson_cdf(lam: int) -> Floats:
    """P(X <= k) for k = 0, 1, ... while P(X = k) > 1e-18, the last set to exactly 1."""
    k = np.arange(_CDF_LENGTH)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, _CDF_LENGTH)))])
    mass = np.exp(-lam + k * math.log(lam) - log_factorial)
    cdf = np.cumsum(mass[: int(np.flatnonzero(mass > 1e-18)[-1]) + 1])
    cdf[-1] = 1.0
    return cdf


_POISSON_CDF = [_poisson_cdf(lam) for lam in range(1, _INVERT_BELOW)]


def _poisson(rng: np.random.Generator, means: Ints, rows: int) -> Floats:
    """len(means) x rows Poisson draws of integer ``means`` (kinds first, so the draws of the
    kinds sharing a mean are one contiguous block)."""
    out = np.empty((len(means), rows), np.float64)
    order = np.argsort(means, kind="stable")
    ordered = means[order]
    small = int(np.searchsorted(ordered, _INVERT_BELOW))
    if small:
        uniform = rng.random((small, rows))
        edges = [0, *(np.flatnonzero(np.diff(ordered[:small])) + 1).tolist(), small]
        for start, stop in itertools.pairwise(edges):
            lam = int(ordered[start])
            out[order[start:stop]] = (
                np.searchsorted(_POISSON_CDF[lam - 1], uniform[start:stop], side="right")
                if lam
                else 0.0
            )
    if small < len(means):
        out[order[small:]] = rng.poisson(
            ordered[small:, None].astype(np.float64), size=(len(means) - small, rows)
        )
    return out


def _collapse(rows: Ints) -> tuple[Ints, Ints]:
    """The distinct rows of an accounts x columns matrix of counts, and how many accounts each."""
    if rows.shape[0] == 0:
        return rows, np.zeros(0, np.int64)
    first, group = _groups([rows[:, j] for j in range(rows.shape[1])])
    return rows[first], np.bincount(group, minlength=len(first)).astype(np.int64)


def _blocks(kinds: int, resamples: int) -> Iterator[tuple[int, int]]:
    """(start, stop) ranges of resamples, a few million draws at a time."""
    block = max(1, 2_000_000 // max(1, kinds))
    for start in range(0, resamples, block):
        yield start, min(resamples, start + block)


def _resampled_sums(rng: np.random.Generator, sizes: Ints, kinds: Floats, resamples: int) -> Floats:
    """resamples x columns: the column sums of ``kinds`` (kinds x columns) over each resample,
    a kind of ``sizes[k]`` accounts being drawn Poisson(``sizes[k]``) times."""
    out = np.empty((resamples, kinds.shape[1]), np.float64)
    for start, stop in _blocks(len(sizes), resamples):
        out[start:stop] = (kinds.T @ _poisson(rng, sizes, stop - start)).T
    return out


def _account_sums(deals: _Deals, columns: Sequence[Ints], how: _Resampling, *stream: int) -> Floats:
    """resamples x len(columns): each column of per-cell counts summed per resample of
    accounts."""
    rows = np.stack(
        [_sum_by(deals.cell_account, values, deals.accounts) for values in columns], axis=1
    )
    kinds, sizes = _collapse(rows)
    return _resampled_sums(how.rng(*stream), sizes, kinds.astype(np.float64), how.resamples)


def _ratio(numerator: Floats, denominator: Floats) -> Floats:
    """numerator / denominator, ``nan`` where the denominator is 0 (undefined)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _interval(values: Floats, confidence: float) -> Interval | None:
    """The percentile interval of the defined (non-``nan``) values, linear between closest
    ranks (numpy's default), ``inf`` allowed; ``None`` with fewer than two defined values."""
    kept = np.sort(values[~np.isnan(values)])
    if len(kept) < 2:
        return None
    tail = (1.0 - confidence) / 2

    def quantile(q: float) -> float:
        h = (len(kept) - 1) * q
        lo = math.floor(h)
        hi = min(lo + 1, len(kept) - 1)
        a, b = float(kept[lo]), float(kept[hi])
        if a == b or h == lo:
            return a
        if math.isinf(b):
            return b
        return a + (h - lo) * (b - a)

    return quantile(tail), quantile(1.0 - tail)


def _check(resamples: int, confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")


# --- AUC -------------------------------------------------------------------------------------


def _auc_of(won: Floats, lost: Floats) -> Floats:
    """AUC per row of won / lost counts by ascending score (last axis); ``nan`` if undefined."""
    below = np.cumsum(lost, axis=-1) - lost
    u = (won * (below + 0.5 * lost)).sum(axis=-1)
    return _ratio(np.asarray(u, np.float64), won.sum(axis=-1) * lost.sum(axis=-1))


def _auc(deals: _Deals) -> float | None:
    scores, index = np.unique(deals.cell_score, return_inverse=True)
    won = np.bincount(index, weights=deals.cell_won, minlength=len(scores)).astype(np.float64)
    lost = np.bincount(index, weights=deals.cell_lost, minlength=len(scores)).astype(np.float64)
    value = float(_auc_of(won, lost))
    return None if math.isnan(value) else value


def _auc_interval(deals: _Deals, how: _Resampling) -> Interval | None:
    if _auc(deals) is None:
        return None
    scores, index = np.unique(deals.cell_score, return_inverse=True)
    size = len(scores)
    first, cell = _groups([deals.cell_account, index.astype(np.int64)])
    cell_won = _sum_by(cell, deals.cell_won, len(first))
    cell_lost = _sum_by(cell, deals.cell_lost, len(first))
    cell_account, cell_score = deals.cell_account[first], index[first].astype(np.int64)
    single = np.bincount(cell_account, minlength=deals.accounts)[cell_account] == 1
    # accounts of one score: one kind per (score, won, lost), sorted by score; the accounts
    # with deals at several scores (rare) each a kind of their own
    kinds, sizes = _collapse(
        np.stack([cell_score[single], cell_won[single], cell_lost[single]], axis=1)
    )
    present, starts = np.unique(kinds[:, 0], return_index=True)
    multi_accounts, multi_kind = np.unique(cell_account[~single], return_inverse=True)
    multi = np.zeros((2 * size, len(multi_accounts)), np.float64)
    multi[cell_score[~single], multi_kind.reshape(-1)] = cell_won[~single]
    multi[size + cell_score[~single], multi_kind.reshape(-1)] = cell_lost[~single]
    all_sizes = np.concatenate([sizes, np.ones(len(multi_accounts), np.int64)])
    rng = how.rng(0)
    values = np.empty(how.resamples, np.float64)
    for start, stop in _blocks(len(all_sizes), how.resamples):
        drawn = _poisson(rng, all_sizes, stop - start)
        single_drawn, multi_drawn = drawn[: len(sizes)], drawn[len(sizes) :]
        histogram = multi @ multi_drawn  # (won by score, lost by score) x resamples
        if len(sizes):
            histogram[present] += np.add.reduceat(single_drawn * kinds[:, 1:2], starts, axis=0)
            histogram[size + present] += np.add.reduceat(
                single_drawn * kinds[:, 2:3], starts, axis=0
            )
        values[start:stop] = _auc_of(histogram[:size].T, histogram[size:].T)
    return _interval(values, how.confidence)


def auc(outcomes: Sequence[Outcome]) -> float | None:
    """ROC AUC of ``score`` separating won from lost deals.

    The probability that a random won deal scores higher than a random lost one, a tie
    counting 1/2 (the Mann-Whitney U of the won deals over ``n_won * n_lost``), computed from
    the won and lost counts per score. 1.0 is perfect separation, 0.5 no better than chance,
    0.0 perfectly reversed. ``None`` when there is no won or no lost deal.
    """
    return _auc(_deals(outcomes, ()))


def auc_interval(
    outcomes: Sequence[Outcome],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval | None:
    """Percentile bootstrap confidence interval ``(low, high)`` of :func:`auc`, resampling
    accounts (see the module docstring).

    Resamples without both a won and a lost deal are skipped; the ``(1 - confidence) / 2``
    and ``(1 + confidence) / 2`` quantiles of the remaining AUCs are returned. ``None`` when
    the outcomes lack a won or a lost deal or fewer than two resamples were usable. Raises
    ``ValueError`` unless ``0 < confidence < 1`` and ``resamples >= 1``.
    """
    _check(resamples, confidence)
    return _auc_interval(_deals(outcomes, ()), _Resampling(resamples, confidence, seed))


# --- tiers, criteria, disqualifiers, quarters ------------------------------------------------


def _tiers(deals: _Deals, how: _Resampling | None) -> list[TierRate]:
    size = len(deals.tier_names)
    won = _sum_by(deals.cell_tier, deals.cell_won, size)
    closed = _sum_by(deals.cell_tier, deals.cell_closed, size)
    base = _rate(int(won.sum()), deals.n)
    intervals: list[Interval | None] = [None] * size
    if how is not None and deals.n:
        inside = [deals.cell_tier == t for t in range(size)]
        sums = _account_sums(
            deals,
            [deals.cell_won * m for m in inside] + [deals.cell_closed * m for m in inside],
            how,
            1,
        )
        intervals = [
            _interval(_ratio(sums[:, t], sums[:, size + t]), how.confidence) for t in range(size)
        ]
    rows: list[TierRate] = []
    for t, name in enumerate(deals.tier_names):
        w, c = int(won[t]), int(closed[t])
        rate = _rate(w, c)
        lift = rate / base if rate is not None and base else None
        rows.append(TierRate(name, w, c - w, c, rate, lift, intervals[t]))
    return rows


def _stream(name: str) -> int:
    return zlib.crc32(name.encode())


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def _split(deals: _Deals, inside: Bools) -> list[Ints]:
    """Per cell: won inside, closed inside, won outside, closed outside."""
    won, closed = deals.cell_won, deals.cell_closed
    return [won * inside, closed * inside, won * ~inside, closed * ~inside]


def _criteria(deals: _Deals, high_at: float, how: _Resampling | None) -> list[CriterionRate]:
    total_won = int(deals.cell_won.sum())
    rows: list[CriterionRate] = []
    for c, name in enumerate(deals.criteria_names):
        high = (deals.points[:, c] >= high_at)[deals.cell_profile]
        high_closed = int(deals.cell_closed[high].sum())
        high_won = int(deals.cell_won[high].sum())
        low_closed, low_won = deals.n - high_closed, total_won - high_won
        high_rate, low_rate = _rate(high_won, high_closed), _rate(low_won, low_closed)
        difference = None if high_rate is None or low_rate is None else high_rate - low_rate
        lift = high_rate / low_rate if high_rate is not None and low_rate else None
        interval: tuple[float | None, float | None] | None = None
        if how is not None and deals.n:
            sums = _account_sums(deals, _split(deals, high), how, 2, _stream(name))
            lifts = _ratio(_ratio(sums[:, 0], sums[:, 1]), _ratio(sums[:, 2], sums[:, 3]))
            lifts[(sums[:, 2] == 0) & (sums[:, 0] > 0) & (sums[:, 3] > 0)] = np.inf
            found = _interval(lifts, how.confidence)
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


def _disqualifiers(deals: _Deals, how: _Resampling | None) -> list[FlagRate]:
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
            sums = _account_sums(deals, _split(deals, flagged), how, 3, _stream(name))
            flagged_interval = _interval(_ratio(sums[:, 0], sums[:, 1]), how.confidence)
            rest_interval = _interval(_ratio(sums[:, 2], sums[:, 3]), how.confidence)
        rows.append(
            FlagRate(
                name,
                count,
                won,
                count - won,
                _rate(count - won, count),
                _rate(won, count),
                flagged_interval,
                rest_won,
                rest_closed,
                _rate(rest_won, rest_closed),
                rest_interval,
            )
        )
    return rows


def _quarter_label(code: int) -> str:
    return f"{code // 4:04d}-Q{code % 4 + 1}"


def _quarters(deals: _Deals) -> list[QuarterRate]:
    size = len(deals.tier_names)
    codes, index = np.unique(deals.quarter, return_inverse=True)
    cells = index.astype(np.int64) * size + deals.tier
    won = np.bincount(cells[deals.won], minlength=len(codes) * size)
    closed = np.bincount(cells, minlength=len(codes) * size)
    rows: list[QuarterRate] = []
    for q, code in enumerate(codes.tolist()):
        for t, name in enumerate(deals.tier_names):
            w, c = int(won[q * size + t]), int(closed[q * size + t])
            rows.append(QuarterRate(_quarter_label(code), name, w, c, _rate(w, c)))
    return rows


def _resampling(resamples: int, confidence: float, seed: int) -> _Resampling | None:
    if resamples == 0:
        return None
    _check(resamples, confidence)
    return _Resampling(resamples, confidence, seed)


def win_rates_by_tier(
    outcomes: Sequence[Outcome],
    tiers: Sequence[str],
    *,
    resamples: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[TierRate]:
    """Won, lost, closed, win rate and lift per tier.

    One row per tier of ``tiers`` in that order, even a tier with no deals (its ``win_rate``
    and ``lift`` are ``None``), then one per tier seen in ``outcomes`` but not listed, sorted
    by name. ``lift`` is the tier's win rate divided by the overall base win rate (won / closed
    over all outcomes); ``None`` when either is undefined or the base rate is 0. With
    ``resamples`` > 0 each row carries its account-resampled ``win_rate_interval``.
    """
    return _tiers(_deals(outcomes, tiers), _resampling(resamples, confidence, seed))


def criterion_lift(
    outcomes: Sequence[Outcome],
    *,
    high_at: float = 50.0,
    weights: Mapping[str, float] | None = None,
    resamples: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[CriterionRate]:
    """Win rate of deals scoring high on each criterion against the rest.

    One row per criterion id seen in any outcome's ``criteria`` or weighted in ``weights``,
    sorted by id. A deal is *high* on a criterion when it earned at least ``high_at`` points
    on it; otherwise (fewer points, or the criterion absent from its ``criteria``, i.e. no
    points) it is *low*. ``difference`` is ``high_win_rate - low_win_rate`` and ``lift`` their
    ratio; a group's rate, and these, are ``None`` when that group is empty. With
    ``resamples`` > 0 each row carries the account-resampled ``lift_interval``.
    """
    extra = [c for c, w in (weights or {}).items() if w > 0]
    return _criteria(_deals(outcomes, (), extra), high_at, _resampling(resamples, confidence, seed))


def disqualifier_precision(
    outcomes: Sequence[Outcome], *, resamples: int = 0, confidence: float = 0.95, seed: int = 0
) -> list[FlagRate]:
    """What each disqualifier flag would have thrown away, one row per flag seen, sorted.

    ``flagged`` counts the deals whose ``flags`` hold the flag (a flag repeated on one deal
    counts once), ``won_thrown_away`` those of them that were won, ``lost`` the rest.
    ``precision`` = ``lost / flagged``: the share the negative ICP was right to throw away.
    ``rest_*`` describe the deals without the flag; with ``resamples`` > 0 both win rates
    carry their account-resampled intervals.
    """
    return _disqualifiers(_deals(outcomes, ()), _resampling(resamples, confidence, seed))


def win_rates_by_quarter(outcomes: Sequence[Outcome], tiers: Sequence[str]) -> list[QuarterRate]:
    """Won, closed and win rate per calendar quarter of ``closed_on`` and tier.

    Quarters are those with at least one closed deal, chronological, labelled like
    ``2026-Q3``; within each, one row per tier in the order of :func:`win_rates_by_tier`
    (listed tiers first, even with no deals in that quarter: ``closed`` 0, ``win_rate`` None).
    """
    return _quarters(_deals(outcomes, tiers))


# --- warnings --------------------------------------------------------------------------------


def _plural(n: int, kind: str) -> str:
    return f"{n:,} {kind}" + ("" if n == 1 else "s")


def _deals_word(n: int, kind: str) -> str:
    return _plural(n, f"{kind} deal")


@dataclass(frozen=True, slots=True)
class _SampleSize:
    accounts: int
    won_accounts: int
    lost_accounts: int
    distinct_scores: int


def _sample_size(deals: _Deals) -> _SampleSize:
    return _SampleSize(
        accounts=deals.accounts,
        won_accounts=len(np.unique(deals.cell_account[deals.cell_won > 0])),
        lost_accounts=len(np.unique(deals.cell_account[deals.cell_lost > 0])),
        distinct_scores=len(np.unique(deals.cell_score)),
    )


def _warnings(
    deals: _Deals,
    tiers: Sequence[TierRate],
    size: _SampleSize,
    *,
    min_won: int,
    min_tier_closed: int,
    min_accounts: int,
    min_outcome_accounts: int,
    min_distinct_scores: int,
) -> list[str]:
    won = int(deals.cell_won.sum())
    lost = deals.n - won
    out: list[str] = []
    if won < min_won:
        out.append(
            f"only {_deals_word(won, 'closed-won')} (fewer than {min_won}): the usual rule of thumb"
            " asks for 30–50 before trusting win rates; treat these figures as indicative"
        )
    if won == 0 or lost == 0:
        missing = " and no ".join(
            kind for kind, n in (("closed-won", won), ("closed-lost", lost)) if n == 0
        )
        out.append(f"no {missing} deals: the AUC is undefined, nothing to separate")
    if deals.n:
        if size.accounts < min_accounts:
            out.append(
                f"the {_deals_word(deals.n, 'closed')} come from"
                f" {_plural(size.accounts, 'account')}"
                f" (fewer than {min_accounts}): the deals of one account are not independent, so"
                f" the evidence is that of {_plural(size.accounts, 'account')}, not"
                f" {_deals_word(deals.n, 'closed')}; treat every figure as indicative"
            )
        for n, kind in ((size.won_accounts, "won"), (size.lost_accounts, "lost")):
            if 0 < n < min_outcome_accounts:
                out.append(
                    f"just {_plural(n, 'account')} {kind} a deal (fewer than"
                    f" {min_outcome_accounts}): win rates and the AUC rest on too few accounts"
                )
        if size.distinct_scores < min_distinct_scores:
            out.append(
                f"the deals' accounts hold {_plural(size.distinct_scores, 'distinct score')}"
                f" (fewer than {min_distinct_scores}): most comparisons behind the AUC are ties"
            )
    for row in tiers:
        if row.closed < min_tier_closed:
            out.append(f"{row.tier}: {_deals_word(row.closed, 'closed')}, too few for a win rate")
    return out


def warnings(
    outcomes: Sequence[Outcome],
    *,
    min_won: int = MIN_WON,
    tiers: Sequence[str] = (),
    min_tier_closed: int = MIN_TIER_CLOSED,
    min_accounts: int = MIN_ACCOUNTS,
    min_outcome_accounts: int = MIN_OUTCOME_ACCOUNTS,
    min_distinct_scores: int = MIN_DISTINCT_SCORES,
) -> list[str]:
    """Sentences saying which figures not to trust, most important first.

    - fewer than ``min_won`` closed-won deals overall: win rates are indicative only;
    - no won or no lost deals: the AUC (and its interval) is undefined;
    - (when there are deals) fewer than ``min_accounts`` distinct accounts; fewer than
      ``min_outcome_accounts`` accounts with a won deal, or with a lost deal; fewer than
      ``min_distinct_scores`` distinct scores: the sample is judged on accounts, not deals;
    - per tier (``tiers`` in order, then unlisted tiers seen) with fewer than
      ``min_tier_closed`` closed deals: too few for a win rate.
    """
    deals = _deals(outcomes, tiers)
    return _warnings(
        deals,
        _tiers(deals, None),
        _sample_size(deals),
        min_won=min_won,
        min_tier_closed=min_tier_closed,
        min_accounts=min_accounts,
        min_outcome_accounts=min_outcome_accounts,
        min_distinct_scores=min_distinct_scores,
    )


def summarise(
    outcomes: Sequence[Outcome],
    tiers: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    high_at: float = 50.0,
    min_won: int = MIN_WON,
) -> Validation:
    """All of the above on one set of outcomes, with totals and verdicts, as a
    :class:`Validation`.

    ``tiers`` is the rubric's tier order, best first, then ``disqualified``; ``weights`` maps
    each rubric criterion to its weight (criteria with weight > 0 are judged on their lift;
    without ``weights`` every criterion seen is). Raises ``ValueError`` unless
    ``0 < confidence < 1`` and ``resamples >= 1``.
    """
    _check(resamples, confidence)
    how = _Resampling(resamples, confidence, seed)
    weighted = None if weights is None else [c for c, w in weights.items() if w > 0]
    deals = _deals(outcomes, tiers, weighted or ())
    won = int(deals.won.sum())
    size = _sample_size(deals)
    tier_rows = _tiers(deals, how)
    criteria = _criteria(deals, high_at, how)
    disqualifiers = _disqualifiers(deals, how)
    point = _auc(deals)
    interval = _auc_interval(deals, how)
    found: dict[str, Any] = {
        "tiers": tier_rows,
        "criteria": criteria,
        "disqualifiers": disqualifiers,
    }
    return Validation(
        closed=deals.n,
        won=won,
        lost=deals.n - won,
        base_win_rate=_rate(won, deals.n),
        auc=point,
        auc_interval=interval,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        tiers=tuple(tier_rows),
        criteria=tuple(criteria),
        disqualifiers=tuple(disqualifiers),
        quarters=tuple(_quarters(deals)),
        warnings=tuple(
            _warnings(
                deals,
                tier_rows,
                size,
                min_won=min_won,
                min_tier_closed=MIN_TIER_CLOSED,
                min_accounts=MIN_ACCOUNTS,
                min_outcome_accounts=MIN_OUTCOME_ACCOUNTS,
                min_distinct_scores=MIN_DISTINCT_SCORES,
            )
        ),
        accounts=size.accounts,
        won_accounts=size.won_accounts,
        lost_accounts=size.lost_accounts,
        distinct_scores=size.distinct_scores,
        verdicts=tuple(
            judge(
                auc=point,
                auc_interval=interval,
                closed=deals.n,
                won=won,
                accounts=size.accounts,
                confidence=confidence,
                ranked_tiers=list(dict.fromkeys(tiers)),
                weights=weights,
                high_at=high_at,
                **found,
            )
        ),
    )
