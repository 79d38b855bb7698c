"""The account bootstrap: every interval resamples accounts, not deals (see
:mod:`app.validation.stats`). Each resample draws every *kind* of account a Poisson number of
times from a generator seeded by :class:`Resampling`; :func:`account_sums` gives per-resample
sums of per-cell counts, :func:`percentile_interval` the interval of a statistic over them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from app.validation.deals import Deals, Floats, Ints, groups, sum_by
from app.validation.records import Interval


@dataclass(frozen=True, slots=True)
class Resampling:
    resamples: int
    confidence: float
    seed: int

    def rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed % 2**64, *stream])


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


def poisson(rng: np.random.Generator, means: Ints, rows: int) -> Floats:
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


def collapse(rows: Ints) -> tuple[Ints, Ints]:
    """The distinct rows of an accounts x columns matrix of counts, and how many accounts each."""
    if rows.shape[0] == 0:
        return rows, np.zeros(0, np.int64)
    first, group = groups([rows[:, j] for j in range(rows.shape[1])])
    return rows[first], np.bincount(group, minlength=len(first)).astype(np.int64)


def blocks(kinds: int, resamples: int) -> Iterator[tuple[int, int]]:
    """(start, stop) ranges of resamples, a few million draws at a time."""
    block = max(1, 2_000_000 // max(1, kinds))
    for start in range(0, resamples, block):
        yield start, min(resamples, start + block)


def _resampled_sums(rng: np.random.Generator, sizes: Ints, kinds: Floats, resamples: int) -> Floats:
    """resamples x columns: the column sums of ``kinds`` (kinds x columns) over each resample,
    a kind of ``sizes[k]`` accounts being drawn Poisson(``sizes[k]``) times."""
    out = np.empty((resamples, kinds.shape[1]), np.float64)
    for start, stop in blocks(len(sizes), resamples):
        out[start:stop] = (kinds.T @ poisson(rng, sizes, stop - start)).T
    return out


def account_sums(deals: Deals, columns: Sequence[Ints], how: Resampling, *stream: int) -> Floats:
    """resamples x len(columns): each column of per-cell counts summed per resample of
    accounts."""
    rows = np.stack(
        [sum_by(deals.cell_account, values, deals.accounts) for values in columns], axis=1
    )
    kinds, sizes = collapse(rows)
    return _resampled_sums(how.rng(*stream), sizes, kinds.astype(np.float64), how.resamples)


def ratio(numerator: Floats, denominator: Floats) -> Floats:
    """numerator / denominator, ``nan`` where the denominator is 0 (undefined)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def percentile_interval(values: Floats, confidence: float) -> Interval | None:
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


def check_resampling(resamples: int, confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")


def resampling_of(resamples: int, confidence: float, seed: int) -> Resampling | None:
    if resamples == 0:
        return None
    check_resampling(resamples, confidence)
    return Resampling(resamples, confidence, seed)
