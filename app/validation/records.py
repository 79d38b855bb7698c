"""The plain records in and out of the validation statistics: :class:`Outcome`, one closed
deal as its account scored, and the frozen result dataclasses of :mod:`app.validation.stats`
(plain values, so ``dataclasses.asdict`` turns them into JSON-ready data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.validation.verdicts import Verdict

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
