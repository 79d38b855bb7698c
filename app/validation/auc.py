"""The ROC AUC of the score over the deals' arrays, and its account-resampled interval."""

from __future__ import annotations

import math

import numpy as np

from app.validation.deals import Deals, Floats, groups, sum_by
from app.validation.records import Interval
from app.validation.resampling import (
    Resampling,
    blocks,
    collapse,
    percentile_interval,
    poisson,
    ratio,
)


def _auc_of(won: Floats, lost: Floats) -> Floats:
    """AUC per row of won / lost counts by ascending score (last axis); ``nan`` if undefined."""
    below = np.cumsum(lost, axis=-1) - lost
    u = (won * (below + 0.5 * lost)).sum(axis=-1)
    return ratio(np.asarray(u, np.float64), won.sum(axis=-1) * lost.sum(axis=-1))


def auc_of_deals(deals: Deals) -> float | None:
    scores, index = np.unique(deals.cell_score, return_inverse=True)
    won = np.bincount(index, weights=deals.cell_won, minlength=len(scores)).astype(np.float64)
    lost = np.bincount(index, weights=deals.cell_lost, minlength=len(scores)).astype(np.float64)
    value = float(_auc_of(won, lost))
    return None if math.isnan(value) else value


def auc_interval_of_deals(deals: Deals, how: Resampling) -> Interval | None:
    if auc_of_deals(deals) is None:
        return None
    scores, index = np.unique(deals.cell_score, return_inverse=True)
    size = len(scores)
    first, cell = groups([deals.cell_account, index.astype(np.int64)])
    cell_won = sum_by(cell, deals.cell_won, len(first))
    cell_lost = sum_by(cell, deals.cell_lost, len(first))
    cell_account, cell_score = deals.cell_account[first], index[first].astype(np.int64)
    single = np.bincount(cell_account, minlength=deals.accounts)[cell_account] == 1
    # accounts of one score: one kind per (score, won, lost), sorted by score; the accounts
    # with deals at several scores (rare) each a kind of their own
    kinds, sizes = collapse(
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
    for start, stop in blocks(len(all_sizes), how.resamples):
        drawn = poisson(rng, all_sizes, stop - start)
        single_drawn, multi_drawn = drawn[: len(sizes)], drawn[len(sizes) :]
        histogram = multi @ multi_drawn  # (won by score, lost by score) x resamples
        if len(sizes):
            histogram[present] += np.add.reduceat(single_drawn * kinds[:, 1:2], starts, axis=0)
            histogram[size + present] += np.add.reduceat(
                single_drawn * kinds[:, 2:3], starts, axis=0
            )
        values[start:stop] = _auc_of(histogram[:size].T, histogram[size:].T)
    return percentile_interval(values, how.confidence)
