"""Does the ICP score separate won deals from lost ones? Pure statistics on closed deals.

Everything here is pure: no I/O, no clock reads, the standard library only. The input is one
:class:`Outcome` per closed deal (an account with several closed deals appears several times),
carrying the account's score, tier, per-criterion points and disqualifier flags as they were
when the deal closed. Every result is a frozen dataclass of plain values, so
``dataclasses.asdict`` turns a :class:`Validation` straight into JSON-ready data.

A *win rate* is ``won / closed`` and is ``None`` (never a division error) when nothing closed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "CriterionRate",
    "FlagRate",
    "Outcome",
    "QuarterRate",
    "TierRate",
    "Validation",
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
    """Closed deals of one tier; ``lift`` is ``win_rate`` / the overall base win rate."""

    tier: str
    won: int
    lost: int
    closed: int
    win_rate: float | None
    lift: float | None


@dataclass(frozen=True, slots=True)
class CriterionRate:
    """Win rate of deals scoring high (>= ``high_at``) on one criterion against the others."""

    criterion: str
    high_won: int
    high_closed: int
    high_win_rate: float | None
    low_won: int
    low_closed: int
    low_win_rate: float | None
    difference: float | None  # high_win_rate - low_win_rate


@dataclass(frozen=True, slots=True)
class FlagRate:
    """What one disqualifier would have thrown away; ``precision`` = lost / flagged."""

    flag: str
    flagged: int
    won_thrown_away: int
    lost: int
    precision: float | None


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
    """Everything :func:`summarise` computes; ``dataclasses.asdict`` gives plain data."""

    closed: int
    won: int
    lost: int
    base_win_rate: float | None
    auc: float | None
    auc_interval: tuple[float, float] | None
    confidence: float
    resamples: int
    seed: int
    tiers: tuple[TierRate, ...]
    criteria: tuple[CriterionRate, ...]
    disqualifiers: tuple[FlagRate, ...]
    quarters: tuple[QuarterRate, ...]
    warnings: tuple[str, ...]


def _rate(won: int, closed: int) -> float | None:
    return won / closed if closed else None


def _tier_order(outcomes: Iterable[Outcome], tiers: Sequence[str]) -> list[str]:
    """The given tiers in order (duplicates dropped), then unlisted tiers seen, sorted."""
    ordered = list(dict.fromkeys(tiers))
    listed = set(ordered)
    return ordered + sorted({o.tier for o in outcomes} - listed)


def win_rates_by_tier(outcomes: Sequence[Outcome], tiers: Sequence[str]) -> list[TierRate]:
    """Won, lost, closed, win rate and lift per tier.

    One row per tier of ``tiers`` in that order, even a tier with no deals (its ``win_rate``
    and ``lift`` are ``None``), then one per tier seen in ``outcomes`` but not listed, sorted
    by name. ``lift`` is the tier's win rate divided by the overall base win rate (won / closed
    over all outcomes); ``None`` when either is undefined or the base rate is 0.
    """
    base = _rate(sum(o.won for o in outcomes), len(outcomes))
    rows: list[TierRate] = []
    for tier in _tier_order(outcomes, tiers):
        won = sum(1 for o in outcomes if o.tier == tier and o.won)
        closed = sum(1 for o in outcomes if o.tier == tier)
        rate = _rate(won, closed)
        lift = rate / base if rate is not None and base else None
        rows.append(TierRate(tier, won, closed - won, closed, rate, lift))
    return rows


def auc(outcomes: Sequence[Outcome]) -> float | None:
    """ROC AUC of ``score`` separating won from lost deals.

    The probability that a random won deal scores higher than a random lost one, a tie
    counting 1/2: the Mann-Whitney U of the won deals over ``n_won * n_lost``, computed from
    ranks (tied scores share their average rank) in O(n log n). 1.0 is perfect separation,
    0.5 no better than chance, 0.0 perfectly reversed. ``None`` when there is no won or no
    lost deal.
    """
    n_won = sum(1 for o in outcomes if o.won)
    n_lost = len(outcomes) - n_won
    if n_won == 0 or n_lost == 0:
        return None
    ordered = sorted(outcomes, key=lambda o: o.score)
    rank_sum_won = 0.0  # twice the rank sum, so average ranks of ties stay integers
    start = 0
    while start < len(ordered):
        end = start
        while end < len(ordered) and ordered[end].score == ordered[start].score:
            end += 1
        # positions start..end-1 hold ranks start+1..end; their average, doubled:
        doubled_rank = start + 1 + end
        rank_sum_won += doubled_rank * sum(1 for o in ordered[start:end] if o.won)
        start = end
    u = rank_sum_won / 2 - n_won * (n_won + 1) / 2
    return u / (n_won * n_lost)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values, linear between closest ranks (numpy's default)."""
    h = (len(ordered) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def auc_interval(
    outcomes: Sequence[Outcome],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap confidence interval ``(low, high)`` of :func:`auc`.

    Draws ``resamples`` samples of ``len(outcomes)`` outcomes with replacement from a
    ``random.Random(seed)`` (so the same inputs and seed give the same interval), skips the
    samples without both a won and a lost deal, and returns the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of the remaining AUCs (linear interpolation between
    closest ranks). ``None`` when the outcomes lack a won or a lost deal or fewer than two
    samples were usable. Raises ``ValueError`` unless ``0 < confidence < 1`` and
    ``resamples >= 1``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if auc(outcomes) is None:
        return None
    rng = random.Random(seed)  # noqa: S311 - statistics, not security
    values: list[float] = []
    for _ in range(resamples):
        value = auc(rng.choices(outcomes, k=len(outcomes)))
        if value is not None:
            values.append(value)
    if len(values) < 2:
        return None
    values.sort()
    tail = (1.0 - confidence) / 2
    return _quantile(values, tail), _quantile(values, 1.0 - tail)


def criterion_lift(outcomes: Sequence[Outcome], *, high_at: float = 50.0) -> list[CriterionRate]:
    """Win rate of deals scoring high on each criterion against the rest.

    One row per criterion id seen in any outcome's ``criteria``, sorted by id. A deal is
    *high* on a criterion when it earned at least ``high_at`` points on it; otherwise (fewer
    points, or the criterion absent from its ``criteria``, i.e. no points) it is *low*.
    ``difference`` is ``high_win_rate - low_win_rate``; a group's rate, and the difference,
    are ``None`` when that group is empty.
    """
    rows: list[CriterionRate] = []
    for criterion in sorted({c for o in outcomes for c in o.criteria}):
        high = [o for o in outcomes if o.criteria.get(criterion, 0.0) >= high_at]
        high_won = sum(1 for o in high if o.won)
        low_closed = len(outcomes) - len(high)
        low_won = sum(1 for o in outcomes if o.won) - high_won
        high_rate = _rate(high_won, len(high))
        low_rate = _rate(low_won, low_closed)
        difference = None if high_rate is None or low_rate is None else high_rate - low_rate
        rows.append(
            CriterionRate(
                criterion, high_won, len(high), high_rate, low_won, low_closed, low_rate, difference
            )
        )
    return rows


def disqualifier_precision(outcomes: Sequence[Outcome]) -> list[FlagRate]:
    """What each disqualifier flag would have thrown away, one row per flag seen, sorted.

    ``flagged`` counts the deals whose ``flags`` hold the flag (a flag repeated on one deal
    counts once), ``won_thrown_away`` those of them that were won, ``lost`` the rest.
    ``precision`` = ``lost / flagged``: the share the negative ICP was right to throw away.
    """
    rows: list[FlagRate] = []
    for flag in sorted({f for o in outcomes for f in o.flags}):
        flagged = [o for o in outcomes if flag in o.flags]
        won = sum(1 for o in flagged if o.won)
        lost = len(flagged) - won
        rows.append(FlagRate(flag, len(flagged), won, lost, _rate(lost, len(flagged))))
    return rows


def _quarter(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def win_rates_by_quarter(outcomes: Sequence[Outcome], tiers: Sequence[str]) -> list[QuarterRate]:
    """Won, closed and win rate per calendar quarter of ``closed_on`` and tier.

    Quarters are those with at least one closed deal, chronological, labelled like
    ``2026-Q3``; within each, one row per tier in the order of :func:`win_rates_by_tier`
    (listed tiers first, even with no deals in that quarter: ``closed`` 0, ``win_rate`` None).
    """
    order = _tier_order(outcomes, tiers)
    rows: list[QuarterRate] = []
    for quarter in sorted({_quarter(o.closed_on) for o in outcomes}):
        in_quarter = [o for o in outcomes if _quarter(o.closed_on) == quarter]
        for tier in order:
            won = sum(1 for o in in_quarter if o.tier == tier and o.won)
            closed = sum(1 for o in in_quarter if o.tier == tier)
            rows.append(QuarterRate(quarter, tier, won, closed, _rate(won, closed)))
    return rows


def _deals(n: int, kind: str) -> str:
    return f"{n} {kind} deal" + ("" if n == 1 else "s")


def warnings(
    outcomes: Sequence[Outcome],
    *,
    min_won: int = MIN_WON,
    tiers: Sequence[str] = (),
    min_tier_closed: int = MIN_TIER_CLOSED,
) -> list[str]:
    """Sentences saying which figures not to trust, most important first.

    - fewer than ``min_won`` closed-won deals overall: win rates are indicative only;
    - no won or no lost deals: the AUC (and its interval) is undefined;
    - per tier (``tiers`` in order, then unlisted tiers seen) with fewer than
      ``min_tier_closed`` closed deals: too few for a win rate.
    """
    won = sum(1 for o in outcomes if o.won)
    lost = len(outcomes) - won
    out: list[str] = []
    if won < min_won:
        out.append(
            f"only {_deals(won, 'closed-won')} (fewer than {min_won}): the usual rule of thumb"
            " asks for 30–50 before trusting win rates; treat these figures as indicative"
        )
    if won == 0 or lost == 0:
        missing = " and no ".join(
            kind for kind, n in (("closed-won", won), ("closed-lost", lost)) if n == 0
        )
        out.append(f"no {missing} deals: the AUC is undefined, nothing to separate")
    for row in win_rates_by_tier(outcomes, tiers):
        if row.closed < min_tier_closed:
            out.append(f"{row.tier}: {_deals(row.closed, 'closed')}, too few for a win rate")
    return out


def summarise(
    outcomes: Sequence[Outcome],
    tiers: Sequence[str],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    high_at: float = 50.0,
    min_won: int = MIN_WON,
) -> Validation:
    """All of the above on one set of outcomes, with totals, as a :class:`Validation`."""
    won = sum(1 for o in outcomes if o.won)
    return Validation(
        closed=len(outcomes),
        won=won,
        lost=len(outcomes) - won,
        base_win_rate=_rate(won, len(outcomes)),
        auc=auc(outcomes),
        auc_interval=auc_interval(outcomes, resamples=resamples, confidence=confidence, seed=seed),
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        tiers=tuple(win_rates_by_tier(outcomes, tiers)),
        criteria=tuple(criterion_lift(outcomes, high_at=high_at)),
        disqualifiers=tuple(disqualifier_precision(outcomes)),
        quarters=tuple(win_rates_by_quarter(outcomes, tiers)),
        warnings=tuple(warnings(outcomes, min_won=min_won, tiers=tiers)),
    )
