"""Validating the ICP against closed won/lost deals: win rates, AUC, bootstrap, lifts, warnings."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.validation.stats import (
    CriterionRate,
    FlagRate,
    Outcome,
    TierRate,
    auc,
    auc_interval,
    criterion_lift,
    disqualifier_precision,
    summarise,
    warnings,
    win_rates_by_quarter,
    win_rates_by_tier,
)

TIERS = ["tier_1", "tier_2", "tier_3", "tier_4"]  # tier_4 never closes a deal


def deal(
    account_id: str,
    score: int,
    tier: str,
    won: bool,
    closed_on: date = date(2026, 5, 1),
    criteria: dict[str, float] | None = None,
    flags: tuple[str, ...] = (),
) -> Outcome:
    return Outcome(account_id, score, tier, won, closed_on, criteria or {}, flags)


# The hand-computed example: 11 closed deals, 5 won. Account a9 closed twice.
#   id   score tier    won  closed      industry size  flags
EXAMPLE = [
    deal("a1", 90, "tier_1", True, date(2026, 1, 15), {"industry": 100, "size": 80, "tech": 10}),
    deal("a2", 85, "tier_1", True, date(2026, 2, 10), {"industry": 100, "size": 40}),
    deal("a3", 80, "tier_1", True, date(2026, 4, 1), {"industry": 50, "size": 60}),
    deal(
        "a4", 75, "tier_1", False, date(2026, 7, 20), {"industry": 0, "size": 100}, ("competitor",)
    ),
    deal("a5", 60, "tier_2", True, date(2026, 3, 31), {"industry": 100, "size": 0}),
    deal("a6", 55, "tier_2", False, date(2026, 4, 30), {"industry": 0, "size": 20}, ("too_small",)),
    deal("a7", 55, "tier_2", False, date(2026, 5, 5), {"industry": 40, "size": 50}),
    deal(
        "a8",
        50,
        "tier_2",
        False,
        date(2026, 9, 30),
        {"industry": 0, "size": 0},
        ("too_small", "competitor"),
    ),
    deal(
        "a9",
        20,
        "tier_3",
        False,
        date(2025, 12, 31),
        {"industry": 0, "size": 0},
        ("personal_email",),
    ),
    deal("a9", 20, "tier_3", False, date(2026, 10, 1), {"industry": 0}, ("too_small",)),
    deal("a10", 70, "legacy", True, date(2026, 6, 15), {"size": 100}, ("too_small",)),
]


def pairwise_auc(outcomes: list[Outcome]) -> Fraction:
    """The definition, O(n²): wins plus half the ties over all (won, lost) pairs."""
    won = [o.score for o in outcomes if o.won]
    lost = [o.score for o in outcomes if not o.won]
    points = sum(
        (
            Fraction(1) if w > x else Fraction(1, 2) if w == x else Fraction(0)
            for w in won
            for x in lost
        ),
        Fraction(0),
    )
    return points / (len(won) * len(lost))


def separated_sample(n: int, seed: int) -> list[Outcome]:
    """Half won, half lost; won deals score higher on average, with overlap."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        won = i % 2 == 0
        score = round(min(100.0, max(0.0, rng.gauss(65 if won else 40, 15))))
        out.append(deal(f"a{i}", score, "tier_1", won, date(2026, 1, 1) + timedelta(days=i % 300)))
    return out


# --- AUC -------------------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), max_size=40))
def test_given_any_small_sample_with_ties_when_auc_then_it_equals_the_pairwise_count(
    rows: list[tuple[int, bool]],
) -> None:
    outcomes = [deal(f"a{i}", s, "tier_1", w) for i, (s, w) in enumerate(rows)]

    result = auc(outcomes)

    if all(w for _, w in rows) or not any(w for _, w in rows):
        assert result is None
    else:
        assert result == pytest.approx(float(pairwise_auc(outcomes)), abs=1e-12)


def test_given_won_deals_all_scoring_higher_when_auc_then_it_is_one() -> None:
    outcomes = [
        deal("w1", 90, "t", True),
        deal("w2", 70, "t", True),
        deal("l1", 60, "t", False),
        deal("l2", 10, "t", False),
    ]
    assert auc(outcomes) == 1.0


def test_given_won_deals_all_scoring_lower_when_auc_then_it_is_zero() -> None:
    outcomes = [
        deal("w1", 10, "t", True),
        deal("w2", 20, "t", True),
        deal("l1", 60, "t", False),
        deal("l2", 90, "t", False),
    ]
    assert auc(outcomes) == 0.0


def test_given_all_scores_equal_when_auc_then_it_is_one_half() -> None:
    outcomes = [deal(f"a{i}", 50, "t", i % 3 == 0) for i in range(9)]
    assert auc(outcomes) == 0.5


@pytest.mark.parametrize("won", [True, False])
def test_given_one_class_only_when_auc_then_none(won: bool) -> None:
    assert auc([deal("a", 50, "t", won), deal("b", 60, "t", won)]) is None
    assert auc([]) is None


def test_given_the_example_when_auc_then_28_of_30_pairs_are_won() -> None:
    # won 90, 85, 80 beat all six lost; 70 and 60 beat all but the lost 75.
    assert auc(EXAMPLE) == pytest.approx(28 / 30)


# --- bootstrap interval ----------------------------------------------------------------------


def test_given_a_clearly_separated_sample_when_auc_interval_then_it_contains_the_point_auc() -> (
    None
):
    outcomes = separated_sample(60, seed=1)
    point = auc(outcomes)
    interval = auc_interval(outcomes, resamples=500, seed=3)

    assert point is not None
    assert point > 0.7
    assert interval is not None
    low, high = interval
    assert low <= point <= high
    assert 0.0 <= low < high <= 1.0


def test_given_the_same_seed_when_auc_interval_then_it_is_the_same() -> None:
    outcomes = separated_sample(50, seed=2)
    first = auc_interval(outcomes, resamples=300, seed=7)
    assert first == auc_interval(outcomes, resamples=300, seed=7)
    assert first != auc_interval(outcomes, resamples=300, seed=8)


def test_given_ten_times_more_deals_when_auc_interval_then_it_is_narrower() -> None:
    small = auc_interval(separated_sample(40, seed=5), resamples=400, seed=0)
    large = auc_interval(separated_sample(400, seed=5), resamples=400, seed=0)

    assert small is not None
    assert large is not None
    assert large[1] - large[0] < 0.6 * (small[1] - small[0])


def test_given_one_class_or_too_few_usable_resamples_when_auc_interval_then_none() -> None:
    assert auc_interval([deal("a", 50, "t", True), deal("b", 60, "t", True)]) is None
    # one resample can never give an interval
    assert auc_interval(EXAMPLE, resamples=1) is None


@pytest.mark.parametrize("kwargs", [{"confidence": 0.0}, {"confidence": 1.0}, {"resamples": 0}])
def test_given_nonsense_parameters_when_auc_interval_then_value_error(
    kwargs: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="must be"):
        auc_interval(EXAMPLE, **kwargs)  # type: ignore[arg-type]


# --- win rates and lift by tier --------------------------------------------------------------


def test_given_the_example_when_win_rates_by_tier_then_hand_computed_rates_and_lifts() -> None:
    rows = win_rates_by_tier(EXAMPLE, TIERS)

    base = 5 / 11
    assert [r.tier for r in rows] == ["tier_1", "tier_2", "tier_3", "tier_4", "legacy"]
    expected = {
        "tier_1": (3, 1, 4, 0.75, 0.75 / base),  # lift 1.65
        "tier_2": (1, 3, 4, 0.25, 0.25 / base),  # lift 0.55
        "tier_3": (0, 2, 2, 0.0, 0.0),
        "tier_4": (0, 0, 0, None, None),  # no deals: None, not a division error
        "legacy": (1, 0, 1, 1.0, 1.0 / base),  # unlisted tier seen: appended
    }
    for row in rows:
        won, lost, closed, rate, lift = expected[row.tier]
        assert (row.won, row.lost, row.closed) == (won, lost, closed)
        assert row.win_rate == (pytest.approx(rate) if rate is not None else None)
        assert row.lift == (pytest.approx(lift) if lift is not None else None)
    assert rows[0].lift == pytest.approx(1.65)
    assert rows[1].lift == pytest.approx(0.55)


def test_given_nothing_won_when_win_rates_by_tier_then_lift_is_none_not_a_division_error() -> None:
    rows = win_rates_by_tier([deal("a", 50, "tier_1", False)], ["tier_1"])
    assert rows == [TierRate("tier_1", 0, 1, 1, 0.0, None)]
    assert win_rates_by_tier([], ["tier_1"]) == [TierRate("tier_1", 0, 0, 0, None, None)]


# --- criterion lift, disqualifier precision, quarters -----------------------------------------


def test_given_the_example_when_criterion_lift_then_hand_computed_groups() -> None:
    rows = criterion_lift(EXAMPLE, high_at=50)

    # industry >= 50: a1, a2, a3 (exactly 50), a5, all won; the other 7 hold one win (a10,
    # which has no industry points at all). size >= 50: a1, a3, a4, a7 (exactly 50), a10 ->
    # 3 won of 5; the other 6 hold a2 and a5. tech: nobody high.
    approx = pytest.approx
    assert rows == [
        CriterionRate("industry", 4, 4, 1.0, 1, 7, approx(1 / 7), approx(6 / 7), approx(7.0)),  # type: ignore[arg-type]
        CriterionRate("size", 3, 5, 0.6, 2, 6, approx(1 / 3), approx(4 / 15), approx(1.8)),  # type: ignore[arg-type]
        CriterionRate("tech", 0, 0, None, 5, 11, approx(5 / 11), None, None),  # type: ignore[arg-type]
    ]


def test_given_the_example_when_disqualifier_precision_then_hand_computed_precision() -> None:
    # the rest: the 11 deals without the flag, of which 5 (or 4, for too_small) were won
    assert disqualifier_precision(EXAMPLE) == [
        FlagRate("competitor", 2, 0, 2, 1.0, 0.0, None, 5, 9, pytest.approx(5 / 9)),  # type: ignore[arg-type]
        FlagRate("personal_email", 1, 0, 1, 1.0, 0.0, None, 5, 10, 0.5),
        # a6, a8, a9 (second deal) lost; a10 won and would have been thrown away
        FlagRate("too_small", 4, 1, 3, 0.75, 0.25, None, 4, 7, pytest.approx(4 / 7)),  # type: ignore[arg-type]
    ]


def test_given_the_example_when_win_rates_by_quarter_then_chronological_quarters_by_tier() -> None:
    rows = win_rates_by_quarter(EXAMPLE, TIERS)

    quarters = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    order = ["tier_1", "tier_2", "tier_3", "tier_4", "legacy"]
    assert [(r.quarter, r.tier) for r in rows] == [(q, t) for q in quarters for t in order]
    closed = {(r.quarter, r.tier): (r.won, r.closed, r.win_rate) for r in rows if r.closed}
    assert closed == {
        ("2025-Q4", "tier_3"): (0, 1, 0.0),  # 31 December
        ("2026-Q1", "tier_1"): (2, 2, 1.0),
        ("2026-Q1", "tier_2"): (1, 1, 1.0),  # 31 March
        ("2026-Q2", "tier_1"): (1, 1, 1.0),  # 1 April
        ("2026-Q2", "tier_2"): (0, 2, 0.0),
        ("2026-Q2", "legacy"): (1, 1, 1.0),
        ("2026-Q3", "tier_1"): (0, 1, 0.0),
        ("2026-Q3", "tier_2"): (0, 1, 0.0),  # 30 September
        ("2026-Q4", "tier_3"): (0, 1, 0.0),  # 1 October
    }
    assert all(r.win_rate is None for r in rows if not r.closed)


# --- warnings --------------------------------------------------------------------------------


def test_given_12_won_deals_when_warnings_then_the_thin_sample_warning_names_12() -> None:
    outcomes = [deal(f"a{i}", 50, "tier_1", i < 12) for i in range(40)]

    result = warnings(outcomes)

    assert any(w.startswith("only 12 closed-won deals") and "30–50" in w for w in result)


def test_given_enough_deals_when_warnings_then_none() -> None:
    # 120 accounts: the sample is judged on accounts too, and 100 is the least that passes
    outcomes = [
        deal(f"a{i}", i % 100, "tier_1" if i % 2 else "tier_2", i % 2 == 0) for i in range(120)
    ]
    assert warnings(outcomes, tiers=["tier_1", "tier_2"]) == []


def test_given_a_thin_tier_and_no_lost_deals_when_warnings_then_both_are_said() -> None:
    outcomes = [deal(f"a{i}", 80, "tier_1", True) for i in range(4)]
    outcomes += [deal(f"b{i}", 60, "tier_2", True) for i in range(30)]

    result = warnings(outcomes, tiers=["tier_1", "tier_2", "tier_3"])

    assert not any(w.startswith("only") for w in result)
    assert "tier_1: 4 closed deals, too few for a win rate" in result
    assert "tier_3: 0 closed deals, too few for a win rate" in result
    assert any(w.startswith("no closed-lost deals") and "AUC is undefined" in w for w in result)


# --- summarise -------------------------------------------------------------------------------


def test_given_the_example_when_summarise_then_totals_and_parts_agree_and_it_serialises() -> None:
    result = summarise(EXAMPLE, TIERS, resamples=200, seed=4)

    assert (result.closed, result.won, result.lost) == (11, 5, 6)
    assert result.base_win_rate == pytest.approx(5 / 11)
    assert result.auc == auc(EXAMPLE)
    assert result.auc_interval == auc_interval(EXAMPLE, resamples=200, seed=4)
    # the parts carry the same account-resampled intervals when asked for the same resampling
    assert list(result.tiers) == win_rates_by_tier(EXAMPLE, TIERS, resamples=200, seed=4)
    assert list(result.disqualifiers) == disqualifier_precision(EXAMPLE, resamples=200, seed=4)
    assert any(w.startswith("only 5 closed-won deals") for w in result.warnings)
    data = dataclasses.asdict(result)
    assert json.loads(json.dumps(data))["tiers"][0]["tier"] == "tier_1"


def test_given_no_deals_when_summarise_then_nothing_crashes_and_it_says_why() -> None:
    result = summarise([], TIERS, resamples=10)

    assert (result.closed, result.base_win_rate, result.auc, result.auc_interval) == (
        0,
        None,
        None,
        None,
    )
    assert (result.criteria, result.disqualifiers, result.quarters) == ((), (), ())
    assert (
        "no closed-won and no closed-lost deals: the AUC is undefined, nothing to separate"
        in result.warnings
    )
