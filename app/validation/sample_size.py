"""Is the sample big enough to read? The thresholds and the warnings that say which figures
not to trust: deals of one account are not independent, so the sample is judged on accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.validation.deals import Deals
from app.validation.figures import plural
from app.validation.records import TierRate

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


def _plural(n: int, kind: str) -> str:
    return f"{n:,} {kind if n == 1 else plural(kind)}"


def _deals_word(n: int, kind: str) -> str:
    return _plural(n, f"{kind} deal")


@dataclass(frozen=True, slots=True)
class SampleSize:
    accounts: int
    won_accounts: int
    lost_accounts: int
    distinct_scores: int


def sample_size_of(deals: Deals) -> SampleSize:
    return SampleSize(
        accounts=deals.accounts,
        won_accounts=len(np.unique(deals.cell_account[deals.cell_won > 0])),
        lost_accounts=len(np.unique(deals.cell_account[deals.cell_lost > 0])),
        distinct_scores=len(np.unique(deals.cell_score)),
    )


def warnings_of(
    deals: Deals,
    tiers: Sequence[TierRate],
    size: SampleSize,
    *,
    min_won: int,
    min_tier_closed: int,
    min_accounts: int,
    min_outcome_accounts: int,
    min_distinct_scores: int,
    unit: str = "account",
) -> list[str]:
    """`unit`: what is resampled (an account, a contact's company), in words."""
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
                f" {_plural(size.accounts, unit)}"
                f" (fewer than {min_accounts}): the deals of one {unit} are not independent, so"
                f" the evidence is that of {_plural(size.accounts, unit)}, not"
                f" {_deals_word(deals.n, 'closed')}; treat every figure as indicative"
            )
        for n, kind in ((size.won_accounts, "won"), (size.lost_accounts, "lost")):
            if 0 < n < min_outcome_accounts:
                out.append(
                    f"just {_plural(n, unit)} {kind} a deal (fewer than"
                    f" {min_outcome_accounts}): win rates and the AUC rest on too few"
                    f" {plural(unit)}"
                )
        if size.distinct_scores < min_distinct_scores:
            holders = "the deals' accounts" if unit == "account" else "the deals"
            out.append(
                f"{holders} hold {_plural(size.distinct_scores, 'distinct score')}"
                f" (fewer than {min_distinct_scores}): most comparisons behind the AUC are ties"
            )
    for row in tiers:
        if row.closed < min_tier_closed:
            out.append(f"{row.tier}: {_deals_word(row.closed, 'closed')}, too few for a win rate")
    return out
