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
Where the outcomes name a *cluster* per record (``OutcomeColumns.cluster``: a HubSpot
contact's company), the cluster is what is resampled, as an account is.

**Fast.** The deals are turned into arrays once. A statistic of a resample depends only on how
many times each *kind* of account was drawn (for the AUC, accounts of the same score with the
same numbers of won and lost deals are interchangeable), so accounts are collapsed into kinds
and each resample draws one Poisson count per kind (the sum of independent Poisson(1) draws
is Poisson): the work per resample grows with the number of kinds, a few thousand, not with
the number of accounts or deals.

This module is the public API; the work is split by job: :mod:`~app.validation.records` (the
outcomes and result dataclasses), :mod:`~app.validation.deals` (the outcomes as arrays),
:mod:`~app.validation.resampling` (the account bootstrap), :mod:`~app.validation.auc`,
:mod:`~app.validation.rates` (tiers, criteria, disqualifiers, quarters) and
:mod:`~app.validation.sample_size` (the thresholds and warnings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.validation.auc import auc_interval_of_deals, auc_of_deals
from app.validation.columns import OutcomeColumns, Outcomes
from app.validation.deals import deals_of, win_rate
from app.validation.rates import criterion_rates, flag_rates, quarter_rates, tier_rates
from app.validation.records import (
    CriterionRate,
    FlagRate,
    Interval,
    Outcome,
    QuarterRate,
    TierRate,
    Validation,
)
from app.validation.resampling import Resampling, check_resampling, resampling_of
from app.validation.sample_size import (
    MIN_ACCOUNTS,
    MIN_DISTINCT_SCORES,
    MIN_OUTCOME_ACCOUNTS,
    MIN_TIER_CLOSED,
    MIN_WON,
    sample_size_of,
    warnings_of,
)
from app.validation.verdicts import Verdict, judge

__all__ = [
    "MIN_ACCOUNTS",
    "MIN_DISTINCT_SCORES",
    "MIN_OUTCOME_ACCOUNTS",
    "MIN_TIER_CLOSED",
    "MIN_WON",
    "CriterionRate",
    "FlagRate",
    "Outcome",
    "OutcomeColumns",
    "Outcomes",
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


def auc(outcomes: Outcomes) -> float | None:
    """ROC AUC of ``score`` separating won from lost deals.

    The probability that a random won deal scores higher than a random lost one, a tie
    counting 1/2 (the Mann-Whitney U of the won deals over ``n_won * n_lost``), computed from
    the won and lost counts per score. 1.0 is perfect separation, 0.5 no better than chance,
    0.0 perfectly reversed. ``None`` when there is no won or no lost deal.
    """
    return auc_of_deals(deals_of(outcomes, ()))


def auc_interval(
    outcomes: Outcomes,
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
    check_resampling(resamples, confidence)
    return auc_interval_of_deals(deals_of(outcomes, ()), Resampling(resamples, confidence, seed))


def win_rates_by_tier(
    outcomes: Outcomes,
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
    return tier_rates(deals_of(outcomes, tiers), resampling_of(resamples, confidence, seed))


def criterion_lift(
    outcomes: Outcomes,
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
    return criterion_rates(
        deals_of(outcomes, (), extra), high_at, resampling_of(resamples, confidence, seed)
    )


def disqualifier_precision(
    outcomes: Outcomes, *, resamples: int = 0, confidence: float = 0.95, seed: int = 0
) -> list[FlagRate]:
    """What each disqualifier flag would have thrown away, one row per flag seen, sorted.

    ``flagged`` counts the deals whose ``flags`` hold the flag (a flag repeated on one deal
    counts once), ``won_thrown_away`` those of them that were won, ``lost`` the rest.
    ``precision`` = ``lost / flagged``: the share the negative ICP was right to throw away.
    ``rest_*`` describe the deals without the flag; with ``resamples`` > 0 both win rates
    carry their account-resampled intervals.
    """
    return flag_rates(deals_of(outcomes, ()), resampling_of(resamples, confidence, seed))


def win_rates_by_quarter(outcomes: Outcomes, tiers: Sequence[str]) -> list[QuarterRate]:
    """Won, closed and win rate per calendar quarter of ``closed_on`` and tier.

    Quarters are those with at least one closed deal, chronological, labelled like
    ``2026-Q3``; within each, one row per tier in the order of :func:`win_rates_by_tier`
    (listed tiers first, even with no deals in that quarter: ``closed`` 0, ``win_rate`` None).
    """
    return quarter_rates(deals_of(outcomes, tiers))


def warnings(
    outcomes: Outcomes,
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
    deals = deals_of(outcomes, tiers)
    return warnings_of(
        deals,
        tier_rates(deals, None),
        sample_size_of(deals),
        min_won=min_won,
        min_tier_closed=min_tier_closed,
        min_accounts=min_accounts,
        min_outcome_accounts=min_outcome_accounts,
        min_distinct_scores=min_distinct_scores,
    )


def summarise(
    outcomes: Outcomes,
    tiers: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    high_at: float = 50.0,
    min_won: int = MIN_WON,
    unit: str = "account",
) -> Validation:
    """All of the above on one set of outcomes, with totals and verdicts, as a
    :class:`Validation`.

    ``tiers`` is the rubric's tier order, best first, then ``disqualified``; ``weights`` maps
    each rubric criterion to its weight (criteria with weight > 0 are judged on their lift;
    without ``weights`` every criterion seen is). ``unit`` names what is resampled in the
    warnings and verdicts (a contact's ``company``). Raises ``ValueError`` unless
    ``0 < confidence < 1`` and ``resamples >= 1``.
    """
    check_resampling(resamples, confidence)
    how = Resampling(resamples, confidence, seed)
    weighted = None if weights is None else [c for c, w in weights.items() if w > 0]
    deals = deals_of(outcomes, tiers, weighted or ())
    won = int(deals.won.sum())
    size = sample_size_of(deals)
    tier_rows = tier_rates(deals, how)
    criteria = criterion_rates(deals, high_at, how)
    disqualifiers = flag_rates(deals, how)
    point = auc_of_deals(deals)
    interval = auc_interval_of_deals(deals, how)
    found: dict[str, Any] = {
        "tiers": tier_rows,
        "criteria": criteria,
        "disqualifiers": disqualifiers,
    }
    return Validation(
        closed=deals.n,
        won=won,
        lost=deals.n - won,
        base_win_rate=win_rate(won, deals.n),
        auc=point,
        auc_interval=interval,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        tiers=tuple(tier_rows),
        criteria=tuple(criteria),
        disqualifiers=tuple(disqualifiers),
        quarters=tuple(quarter_rates(deals)),
        warnings=tuple(
            warnings_of(
                deals,
                tier_rows,
                size,
                min_won=min_won,
                min_tier_closed=MIN_TIER_CLOSED,
                min_accounts=MIN_ACCOUNTS,
                min_outcome_accounts=MIN_OUTCOME_ACCOUNTS,
                min_distinct_scores=MIN_DISTINCT_SCORES,
                unit=unit,
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
                unit=unit,
                **found,
            )
        ),
    )
