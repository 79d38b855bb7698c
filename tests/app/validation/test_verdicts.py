"""Verdicts: each fires on a data set where its condition holds and stays silent on a near miss
that just fails it; intervals resample accounts; the sample is judged on accounts too."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import date

import pytest

from app.validation.stats import Outcome, Validation, auc, auc_interval, summarise
from app.validation.verdicts import (
    CRITERION_WITHOUT_LIFT,
    DISQUALIFIES_WINNERS,
    NO_EVIDENCE,
    RUBRIC_SEPARATES,
    TIERS_OUT_OF_ORDER,
    Verdict,
)

TIERS = ["tier_1", "tier_2", "disqualified"]
RESAMPLES = 300


def accounts(
    prefix: str,
    count: int,
    *,
    won: int,
    lost: int,
    score: int = 50,
    tier: str = "tier_1",
    criteria: Mapping[str, float] | None = None,
    flags: tuple[str, ...] = (),
) -> list[Outcome]:
    """``count`` accounts, each with ``won`` won and ``lost`` lost deals, scored alike (their
    deals share one criteria mapping and flags tuple, as `load.outcomes` builds them)."""
    out: list[Outcome] = []
    for i in range(count):
        shared = dict(criteria or {})
        for j in range(won + lost):
            out.append(
                Outcome(
                    f"{prefix}{i}",
                    score,
                    tier,
                    j < won,
                    date(2026, 1 + (i + j) % 12, 1),
                    shared,
                    flags,
                )
            )
    return out


def of_kind(result: Validation, kind: str) -> list[Verdict]:
    return [v for v in result.verdicts if v.kind == kind]


def run(outcomes: list[Outcome], weights: Mapping[str, float] | None = None) -> Validation:
    return summarise(outcomes, TIERS, weights=weights, resamples=RESAMPLES, seed=1)


# The known answer: won deals score 80 (60 accounts) or 30 (20 accounts), lost deals 80 (20)
# or 30 (60). Pairs won over lost: 60*60 won at 80 vs 30, ties 60*20 at 80 and 20*60 at 30
# count one half: AUC = (3600 + 600 + 600) / (80 * 80) = 0.75. Tier 1 (score 80) wins 60 of
# 80, tier 2 (score 30) 20 of 80.
SEPARATING = (
    accounts("hw", 60, won=1, lost=0, score=80)
    + accounts("hl", 20, won=0, lost=1, score=80)
    + accounts("lw", 20, won=1, lost=0, score=30, tier="tier_2")
    + accounts("ll", 60, won=0, lost=1, score=30, tier="tier_2")
)


# --- the rubric as a whole -------------------------------------------------------------------


def test_given_the_known_answer_when_summarised_then_auc_075_and_the_rubric_separates() -> None:
    result = run(SEPARATING)

    assert result.auc == pytest.approx(0.75)
    assert result.auc_interval is not None
    assert 0.5 < result.auc_interval[0] < 0.75 < result.auc_interval[1]
    assert [(t.tier, t.won, t.closed) for t in result.tiers[:2]] == [
        ("tier_1", 60, 80),
        ("tier_2", 20, 80),
    ]
    first = result.verdicts[0]
    assert (first.kind, first.subject, first.significant) == (RUBRIC_SEPARATES, None, True)
    assert "160 closed deals of 160 accounts" in first.message
    assert not of_kind(result, NO_EVIDENCE)
    assert not of_kind(result, TIERS_OUT_OF_ORDER)


def test_given_few_accounts_with_many_deals_when_summarised_then_no_evidence() -> None:
    # the near miss: 400 deals whose AUC is 0.6, but from 4 accounts only. Resampling deals
    # would call this significant; resampling accounts leaves one score out of some resamples
    # (AUC 0.5 then), so the interval reaches 0.5.
    outcomes = accounts("h", 2, won=60, lost=40, score=80) + accounts(
        "l", 2, won=40, lost=60, score=30, tier="tier_2"
    )

    result = run(outcomes)

    assert result.auc == pytest.approx(0.6)
    assert result.auc_interval is not None
    assert result.auc_interval[0] <= 0.5
    first = result.verdicts[0]
    assert (first.kind, first.significant) == (NO_EVIDENCE, False)
    assert first.message.startswith("No evidence that this rubric predicts outcomes")
    assert "400 closed deals of 4 accounts" in first.message
    assert "includes 0.5" in first.message
    assert not of_kind(result, RUBRIC_SEPARATES)


def test_given_only_won_deals_when_summarised_then_no_evidence_because_auc_is_undefined() -> None:
    result = run(accounts("a", 40, won=2, lost=0))

    first = result.verdicts[0]
    assert (first.kind, first.significant) == (NO_EVIDENCE, None)
    assert "undefined (80 won and 0 lost deals)" in first.message


def test_given_scores_ranking_lost_above_won_when_summarised_then_no_evidence_significant() -> None:
    reversed_scores = [dataclasses.replace(o, score=100 - o.score) for o in SEPARATING]

    result = run(reversed_scores)

    assert result.auc == pytest.approx(0.25)
    first = result.verdicts[0]
    assert (first.kind, first.significant) == (NO_EVIDENCE, True)
    assert "ranks lost deals above won ones" in first.message


def test_given_one_deal_per_account_copied_20_times_when_auc_interval_then_as_wide() -> None:
    # the deals of an account are resampled together: copying them adds no evidence
    copied = [o for o in SEPARATING for _ in range(20)]

    once = auc_interval(SEPARATING, resamples=RESAMPLES, seed=3)
    twenty = auc_interval(copied, resamples=RESAMPLES, seed=3)

    assert once is not None
    assert twenty is not None
    assert twenty == pytest.approx(once)
    assert auc(copied) == pytest.approx(auc(SEPARATING))


# --- tiers out of order ----------------------------------------------------------------------


def tiers_data(tier_2_won: int, tier_2_accounts: int = 40) -> list[Outcome]:
    """tier_1: 40 accounts winning 10; tier_2: ``tier_2_won`` of ``tier_2_accounts``."""
    return (
        accounts("a", 10, won=1, lost=0)
        + accounts("b", 30, won=0, lost=1)
        + (
            accounts("c", tier_2_won, won=1, lost=0, score=30, tier="tier_2")
            + accounts("d", tier_2_accounts - tier_2_won, won=0, lost=1, score=30, tier="tier_2")
        )
    )


def test_given_a_lower_tier_winning_far_more_when_summarised_then_tiers_out_of_order() -> None:
    result = run(tiers_data(30))

    (verdict,) = of_kind(result, TIERS_OUT_OF_ORDER)
    assert (verdict.subject, verdict.significant) == ("tier_2", True)
    assert verdict.figures["above_tier"] == "tier_1"
    assert "tier_2 wins 75.0% of its deals (30 of 40)" in verdict.message
    assert "tier_1 at 25.0% (10 of 40)" in verdict.message
    assert "do not overlap" in verdict.message


def test_given_a_lower_tier_winning_slightly_more_when_summarised_then_not_significant() -> None:
    result = run(tiers_data(11))

    (verdict,) = of_kind(result, TIERS_OUT_OF_ORDER)
    assert (verdict.subject, verdict.significant) == ("tier_2", False)
    assert "may be chance" in verdict.message


def test_given_a_lower_tier_winning_as_often_when_summarised_then_no_tier_verdict() -> None:
    assert not of_kind(run(tiers_data(10)), TIERS_OUT_OF_ORDER)  # 25 % each: in order


def test_given_disqualified_winning_most_when_summarised_then_it_is_out_of_order_too() -> None:
    outcomes = tiers_data(10) + accounts("q", 30, won=2, lost=1, score=70, tier="disqualified")

    verdicts = of_kind(run(outcomes), TIERS_OUT_OF_ORDER)

    assert [(v.subject, v.figures["above_tier"]) for v in verdicts] == [
        ("disqualified", "tier_1"),
        ("disqualified", "tier_2"),
    ]
    assert "disqualified wins 66.7% of its deals (60 of 90)" in verdicts[0].message


# --- disqualifiers ---------------------------------------------------------------------------


def flag_data(flagged_won: int) -> list[Outcome]:
    """20 accounts flagged `competitor` winning ``flagged_won``; 40 others winning 20."""
    return (
        accounts("f", flagged_won, won=1, lost=0, flags=("competitor",))
        + accounts("g", 20 - flagged_won, won=0, lost=1, flags=("competitor",))
        + accounts("r", 20, won=1, lost=0)
        + accounts("s", 20, won=0, lost=1)
    )


def test_given_a_flag_dropping_as_many_winners_as_the_rest_when_summarised_then_it_fires() -> None:
    result = run(flag_data(10))  # 50 % flagged, 50 % rest: "at least as often"

    (verdict,) = of_kind(result, DISQUALIFIES_WINNERS)
    assert (verdict.subject, verdict.significant) == ("competitor", False)
    assert "won 50.0% (10 of 20)" in verdict.message
    assert "the rest at 50.0% (20 of 40)" in verdict.message
    row = result.disqualifiers[0]
    assert (row.flagged_win_rate, row.rest_won, row.rest_closed) == (0.5, 20, 40)
    assert row.flagged_win_rate_interval is not None
    assert row.rest_win_rate_interval is not None


def test_given_a_flag_dropping_winners_far_more_often_when_summarised_then_significant() -> None:
    outcomes = accounts("f", 40, won=1, lost=0, flags=("competitor",)) + accounts(
        "s", 40, won=0, lost=1
    )

    (verdict,) = of_kind(run(outcomes), DISQUALIFIES_WINNERS)

    assert verdict.significant is True


def test_given_a_flag_dropping_fewer_winners_when_summarised_then_no_verdict() -> None:
    assert not of_kind(run(flag_data(9)), DISQUALIFIES_WINNERS)  # 45 % against 50 %


# --- criteria --------------------------------------------------------------------------------


def criterion_data(high_won: int, low_won: int) -> list[Outcome]:
    """40 accounts high on `industry` winning ``high_won``, 40 low winning ``low_won``."""
    high, low = {"industry": 100.0}, {"industry": 0.0}
    return (
        accounts("h", high_won, won=1, lost=0, criteria=high)
        + accounts("i", 40 - high_won, won=0, lost=1, criteria=high)
        + accounts("l", low_won, won=1, lost=0, criteria=low)
        + accounts("m", 40 - low_won, won=0, lost=1, criteria=low)
    )


def test_given_a_weighted_criterion_without_lift_when_summarised_then_it_fires() -> None:
    result = run(criterion_data(20, 20), weights={"industry": 20})

    (verdict,) = of_kind(result, CRITERION_WITHOUT_LIFT)
    assert (verdict.subject, verdict.significant) == ("industry", False)
    assert "carries weight 20" in verdict.message
    assert "won 50.0% (20 of 40), the others 50.0% (20 of 40)" in verdict.message
    assert "lift 1.00x" in verdict.message
    row = result.criteria[0]
    assert row.lift == pytest.approx(1.0)
    assert row.lift_interval is not None
    low, high = row.lift_interval
    assert low is not None
    assert high is not None
    assert low <= 1.0 <= high


def test_given_a_criterion_whose_high_scorers_win_less_when_summarised_then_significant() -> None:
    (verdict,) = of_kind(
        run(criterion_data(8, 32), weights={"industry": 5}), CRITERION_WITHOUT_LIFT
    )

    assert verdict.significant is True
    assert "high scorers win less often" in verdict.message


def test_given_a_criterion_with_clear_lift_when_summarised_then_no_verdict() -> None:
    result = run(criterion_data(30, 10), weights={"industry": 20})

    assert not of_kind(result, CRITERION_WITHOUT_LIFT)
    low = result.criteria[0].lift_interval
    assert low is not None
    assert low[0] is not None
    assert low[0] > 1.0


def test_given_a_criterion_without_weight_when_summarised_then_it_is_not_judged() -> None:
    assert not of_kind(run(criterion_data(20, 20), weights={"industry": 0}), CRITERION_WITHOUT_LIFT)


def test_given_a_weighted_criterion_nobody_scores_on_when_summarised_then_it_fires() -> None:
    result = run(criterion_data(30, 10), weights={"industry": 20, "tech": 10})

    (verdict,) = of_kind(result, CRITERION_WITHOUT_LIFT)
    assert verdict.subject == "tech"
    assert "no deal scored high on it" in verdict.message


# --- sample size -----------------------------------------------------------------------------


def test_given_6711_deals_of_85_accounts_and_19_scores_when_summarised_then_warned() -> None:
    # the public data set of the issue: plenty of deals, few accounts and scores
    outcomes = [
        Outcome(f"a{i % 85}", (i % 85) % 19 * 5, "tier_1", i % 3 != 0, date(2026, 3, 1), {})
        for i in range(6711)
    ]

    result = run(outcomes)

    assert (result.closed, result.accounts, result.distinct_scores) == (6711, 85, 19)
    assert any(
        "the 6,711 closed deals come from 85 accounts (fewer than 100)" in w
        for w in result.warnings
    )
    assert any("19 distinct scores (fewer than 20)" in w for w in result.warnings)
    assert not any(w.startswith("only") for w in result.warnings)  # plenty of won deals


def test_given_enough_accounts_and_scores_when_summarised_then_no_sample_warning() -> None:
    outcomes = [
        Outcome(f"a{i % 120}", i % 120 % 40, "tier_1", i // 120 % 2 == 0, date(2026, 3, 1), {})
        for i in range(480)
    ]

    result = run(outcomes)

    assert (result.accounts, result.won_accounts, result.lost_accounts) == (120, 120, 120)
    assert result.warnings == (
        "tier_2: 0 closed deals, too few for a win rate",
        "disqualified: 0 closed deals, too few for a win rate",
    )


def test_given_few_accounts_with_a_lost_deal_when_summarised_then_warned() -> None:
    outcomes = accounts("w", 100, won=1, lost=0, score=70) + accounts(
        "x", 12, won=0, lost=3, score=20
    )

    warnings = run(outcomes).warnings

    assert any(w.startswith("just 12 accounts lost a deal (fewer than 30)") for w in warnings)
    assert not any("won a deal" in w for w in warnings)


# --- output ----------------------------------------------------------------------------------


def test_given_verdicts_when_serialised_then_each_has_kind_subject_significant_message() -> None:
    result = run(tiers_data(30) + accounts("q", 5, won=1, lost=0, tier="disqualified"))

    data = json.loads(json.dumps(dataclasses.asdict(result)))

    assert data["verdicts"]
    for verdict in data["verdicts"]:
        assert {"kind", "subject", "significant", "message", "figures"} <= set(verdict)
        assert isinstance(verdict["message"], str)
    assert data["verdicts"][0]["kind"] in (RUBRIC_SEPARATES, NO_EVIDENCE)
    assert data["tiers"][0]["win_rate_interval"] is not None


def test_given_a_criterion_whose_low_scorers_never_win_when_summarised_then_no_verdict() -> None:
    # the lift is infinite in every resample: its bounds are None (unbounded), not a failure
    result = run(criterion_data(20, 0), weights={"industry": 20})

    assert not of_kind(result, CRITERION_WITHOUT_LIFT)
    assert result.criteria[0].lift is None
    assert result.criteria[0].lift_interval == (None, None)
