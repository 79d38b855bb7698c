"""What the validation figures mean, as verdicts a RevOps lead can act on. Pure: no I/O.

Each :class:`Verdict` names its ``kind`` (a stable id), its ``subject`` (the tier, disqualifier
or criterion, or ``None`` for the rubric as a whole), whether it is ``significant`` and a plain
``message`` with the counts, plus the ``figures`` it rests on. The rules (README, "Verdicts"):

- ``rubric_separates`` when the lower bound of the AUC's interval is above 0.5; otherwise
  ``no_evidence`` ("no evidence that this rubric predicts outcomes"), also when the AUC is
  undefined. Significant: separates always; no evidence when the whole interval is below 0.5
  (the score ranks lost deals above won ones).
- ``tiers_out_of_order``, one per pair of ranked tiers where the lower tier's win rate is
  above the higher tier's; significant when their intervals do not overlap.
- ``disqualifies_winners``, one per disqualifier whose flagged deals win at least as often as
  the rest; significant when the flagged interval lies wholly above the rest's.
- ``criterion_without_lift``, one per weighted criterion whose lift interval's lower bound is
  not above 1 (or undefined); significant when the whole interval is below 1.

Every interval resamples accounts (:mod:`app.validation.stats`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.validation.figures import pct, plural

if TYPE_CHECKING:
    from app.validation.records import Interval
    from app.validation.stats import CriterionRate, FlagRate, TierRate

__all__ = [
    "CRITERION_WITHOUT_LIFT",
    "DISQUALIFIES_WINNERS",
    "NO_EVIDENCE",
    "RUBRIC_SEPARATES",
    "TIERS_OUT_OF_ORDER",
    "Verdict",
    "judge",
]

RUBRIC_SEPARATES = "rubric_separates"
NO_EVIDENCE = "no_evidence"
TIERS_OUT_OF_ORDER = "tiers_out_of_order"
DISQUALIFIES_WINNERS = "disqualifies_winners"
CRITERION_WITHOUT_LIFT = "criterion_without_lift"

Figure = float | int | str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    subject: str | None
    significant: bool | None
    message: str
    figures: Mapping[str, Figure] = field(default_factory=dict)


def _wholly_above(upper: Interval | None, lower: Interval | None) -> bool:
    """Whether the first interval lies wholly above the second (both known)."""
    return upper is not None and lower is not None and upper[0] > lower[1]


def _share(won: int, closed: int) -> str:
    return f"{won:,} of {closed:,}"


def _level(confidence: float) -> str:
    return f"{confidence:.0%}"


def _overlap_clause(separate: bool, confidence: float) -> str:
    if separate:
        return (
            f"their {_level(confidence)} intervals do not overlap, so this is unlikely to be chance"
        )
    return f"their {_level(confidence)} intervals overlap, so this may be chance"


def rubric_verdict(
    *,
    auc: float | None,
    auc_interval: tuple[float, float] | None,
    closed: int,
    won: int,
    accounts: int,
    confidence: float,
    unit: str = "account",
) -> Verdict:
    low, high = auc_interval if auc_interval is not None else (None, None)
    figures: dict[str, Figure] = {
        "auc": auc,
        "auc_low": low,
        "auc_high": high,
        "closed": closed,
        "won": won,
        "accounts": accounts,
    }
    level = _level(confidence)
    basis = f"{closed:,} closed deals of {accounts:,} {plural(unit)}"
    if auc is None or low is None or high is None:
        reason = (
            f"the ROC AUC is undefined ({won:,} won and {closed - won:,} lost deals)"
            if auc is None
            else f"ROC AUC {auc:.3f} has no {level} interval"
        )
        return Verdict(
            NO_EVIDENCE,
            None,
            None,
            f"No evidence that this rubric predicts outcomes: {reason}, on {basis}.",
            figures,
        )
    stated = f"ROC AUC {auc:.3f}, {level} interval {low:.3f}–{high:.3f} on {basis}"
    if low > 0.5:
        return Verdict(
            RUBRIC_SEPARATES,
            None,
            True,
            f"The rubric separates won from lost deals: {stated}, above 0.5 (chance).",
            figures,
        )
    tail = (
        ", wholly below 0.5: the score ranks lost deals above won ones"
        if high < 0.5
        else ", which includes 0.5 (a coin toss)"
    )
    return Verdict(
        NO_EVIDENCE,
        None,
        high < 0.5,
        f"No evidence that this rubric predicts outcomes: {stated}{tail}.",
        figures,
    )


def tier_verdicts(
    tiers: Sequence[TierRate], ranked: Sequence[str], confidence: float
) -> list[Verdict]:
    rows = {row.tier: row for row in tiers}
    ordered = [rows[name] for name in ranked if name in rows]
    out: list[Verdict] = []
    for i, higher in enumerate(ordered):
        for lower in ordered[i + 1 :]:
            if higher.win_rate is None or lower.win_rate is None:
                continue
            if lower.win_rate <= higher.win_rate:
                continue
            separate = _wholly_above(lower.win_rate_interval, higher.win_rate_interval)
            message = (
                f"Tiers out of order: {lower.tier} wins {pct(lower.win_rate)} of its deals"
                f" ({_share(lower.won, lower.closed)}), more than the higher tier {higher.tier}"
                f" at {pct(higher.win_rate)} ({_share(higher.won, higher.closed)});"
                f" {_overlap_clause(separate, confidence)}."
            )
            out.append(
                Verdict(
                    TIERS_OUT_OF_ORDER,
                    lower.tier,
                    separate,
                    message,
                    {
                        "tier": lower.tier,
                        "won": lower.won,
                        "closed": lower.closed,
                        "win_rate": lower.win_rate,
                        "above_tier": higher.tier,
                        "above_won": higher.won,
                        "above_closed": higher.closed,
                        "above_win_rate": higher.win_rate,
                    },
                )
            )
    return out


def disqualifier_verdicts(disqualifiers: Sequence[FlagRate], confidence: float) -> list[Verdict]:
    out: list[Verdict] = []
    for row in disqualifiers:
        if row.flagged_win_rate is None or row.rest_win_rate is None:
            continue
        if row.flagged_win_rate < row.rest_win_rate:
            continue
        separate = _wholly_above(row.flagged_win_rate_interval, row.rest_win_rate_interval)
        message = (
            f"Disqualifier {row.flag} disqualifies winners: the deals it would drop won"
            f" {pct(row.flagged_win_rate)} ({_share(row.won_thrown_away, row.flagged)}), at"
            f" least as often as the rest at {pct(row.rest_win_rate)}"
            f" ({_share(row.rest_won, row.rest_closed)}); {_overlap_clause(separate, confidence)}."
        )
        out.append(
            Verdict(
                DISQUALIFIES_WINNERS,
                row.flag,
                separate,
                message,
                {
                    "flagged": row.flagged,
                    "won_thrown_away": row.won_thrown_away,
                    "flagged_win_rate": row.flagged_win_rate,
                    "rest_won": row.rest_won,
                    "rest_closed": row.rest_closed,
                    "rest_win_rate": row.rest_win_rate,
                },
            )
        )
    return out


def criterion_verdicts(
    criteria: Sequence[CriterionRate],
    weights: Mapping[str, float] | None,
    confidence: float,
    high_at: float,
) -> list[Verdict]:
    out: list[Verdict] = []
    level = _level(confidence)
    for row in criteria:
        weight = None if weights is None else weights.get(row.criterion, 0.0)
        if weight is not None and weight <= 0:
            continue
        interval = row.lift_interval
        low = None if interval is None else interval[0]
        if interval is not None and low is None:
            continue  # the lower bound is infinite: the low group never wins
        if low is not None and low > 1.0:
            continue
        high = None if interval is None else interval[1]
        groups = (
            f"deals scoring high on it (≥ {high_at:g} points) won {pct(row.high_win_rate)}"
            f" ({_share(row.high_won, row.high_closed)}), the others"
            f" {pct(row.low_win_rate)} ({_share(row.low_won, row.low_closed)})"
        )
        if row.high_closed == 0:
            finding = "no deal scored high on it, so nothing shows it lifts the win rate"
        elif interval is None or low is None:
            finding = f"{groups}; the lift is undefined"
        else:
            upper = "∞" if high is None else f"{high:.2f}x"
            shown = "—" if row.lift is None else f"{row.lift:.2f}x"
            finding = (
                f"{groups}: lift {shown}, {level} interval {low:.2f}x–{upper}, not above 1"
                + ("; high scorers win less often" if high is not None and high < 1.0 else "")
            )
        carries = "carries weight" if weight is None else f"carries weight {weight:g}"
        out.append(
            Verdict(
                CRITERION_WITHOUT_LIFT,
                row.criterion,
                high is not None and high < 1.0,
                f"Criterion {row.criterion} {carries} but shows no evidence that it lifts the"
                f" win rate: {finding}.",
                {
                    "weight": weight,
                    "high_won": row.high_won,
                    "high_closed": row.high_closed,
                    "low_won": row.low_won,
                    "low_closed": row.low_closed,
                    "lift": row.lift,
                    "lift_low": low,
                    "lift_high": high,
                },
            )
        )
    return out


def judge(
    *,
    auc: float | None,
    auc_interval: tuple[float, float] | None,
    closed: int,
    won: int,
    accounts: int,
    confidence: float,
    ranked_tiers: Sequence[str],
    tiers: Sequence[TierRate],
    criteria: Sequence[CriterionRate],
    disqualifiers: Sequence[FlagRate],
    weights: Mapping[str, float] | None,
    high_at: float,
    unit: str = "account",
) -> list[Verdict]:
    """Every verdict of one validation: the rubric's first, then tiers, disqualifiers, criteria.

    ``ranked_tiers`` are the tiers best first (the rubric's, then ``disqualified``); tiers seen
    but not ranked are not judged on order. ``weights`` (criterion id to weight) limits the
    criterion verdicts to weighted criteria; ``None`` judges every criterion given.
    """
    return [
        rubric_verdict(
            auc=auc,
            auc_interval=auc_interval,
            closed=closed,
            won=won,
            accounts=accounts,
            confidence=confidence,
            unit=unit,
        ),
        *tier_verdicts(tiers, ranked_tiers, confidence),
        *disqualifier_verdicts(disqualifiers, confidence),
        *criterion_verdicts(criteria, weights, confidence, high_at),
    ]
