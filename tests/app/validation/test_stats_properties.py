"""Properties of the account-resampled statistics and of the verdicts, on generated CRMs."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.validation.stats import Outcome, auc, summarise
from app.validation.verdicts import DISQUALIFIES_WINNERS, TIERS_OUT_OF_ORDER

TIERS = ["tier_1", "tier_2", "disqualified"]
RESAMPLES = 60

# one account: score, tier, points on `industry`, flagged, won deals, lost deals
account = st.tuples(
    st.integers(0, 100),
    st.sampled_from(TIERS),
    st.sampled_from([0.0, 50.0, 100.0]),
    st.booleans(),
    st.integers(0, 3),
    st.integers(0, 3),
)


def build(rows: list[tuple[int, str, float, bool, int, int]], prefix: str = "a") -> list[Outcome]:
    """Outcomes as `load.outcomes` builds them: one score, tier, criteria and flags per account."""
    out: list[Outcome] = []
    for i, (score, tier, points, flagged, won, lost) in enumerate(rows):
        criteria = {"industry": points}
        flags = ("competitor",) if flagged else ()
        for j in range(won + lost):
            closed_on = date(2025 + j % 2, 1 + (i * 7 + j) % 12, 1 + j)
            out.append(Outcome(f"{prefix}{i}", score, tier, j < won, closed_on, criteria, flags))
    return out


def crm(min_size: int = 0) -> st.SearchStrategy[list[tuple[int, str, float, bool, int, int]]]:
    return st.lists(account, min_size=min_size, max_size=40)


@settings(max_examples=40, deadline=None)
@given(crm(), st.randoms(use_true_random=False))
def test_given_any_crm_when_deals_are_shuffled_and_accounts_renamed_then_same_validation(
    rows: list[tuple[int, str, float, bool, int, int]], shuffle: random.Random
) -> None:
    outcomes = build(rows)
    names = list(dict.fromkeys(o.account_id for o in outcomes))
    others = shuffle.sample([f"x{i}" for i in range(len(names))], len(names))
    renamed = dict(zip(names, others, strict=True))
    moved = [dataclasses.replace(o, account_id=renamed[o.account_id]) for o in outcomes]
    shuffle.shuffle(moved)

    first = summarise(outcomes, TIERS, resamples=RESAMPLES, seed=5)

    assert summarise(outcomes, TIERS, resamples=RESAMPLES, seed=5) == first  # reproducible
    assert summarise(moved, TIERS, resamples=RESAMPLES, seed=5) == first


@settings(max_examples=60, deadline=None)
@given(crm())
def test_given_any_crm_when_scores_are_mirrored_then_the_auc_is_mirrored(
    rows: list[tuple[int, str, float, bool, int, int]],
) -> None:
    outcomes = build(rows)
    mirrored = [dataclasses.replace(o, score=100 - o.score) for o in outcomes]
    ranks = {score: rank for rank, score in enumerate(sorted({o.score for o in outcomes}))}
    ranked = [dataclasses.replace(o, score=ranks[o.score]) for o in outcomes]  # order kept

    value = auc(outcomes)

    if value is None:
        assert auc(mirrored) is None
    else:
        reverse = auc(mirrored)
        assert reverse is not None
        assert abs(reverse - (1.0 - value)) < 1e-12
        # the AUC reads only the order of scores: a strictly increasing map leaves it alone
        # (a map that merges scores into ties can move it either way, even away from 0.5)
        assert auc(ranked) == pytest.approx(value, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(crm(min_size=30), st.integers(0, 2**32))
def test_given_enough_accounts_of_both_outcomes_when_resampled_then_the_interval_holds_the_auc(
    rows: list[tuple[int, str, float, bool, int, int]], seed: int
) -> None:
    # distinct scores per account and both outcomes in many accounts: a non-degenerate CRM
    rows = [(i * 3 % 101, *row[1:4], 1, 1) if i % 2 else row for i, row in enumerate(rows)]
    outcomes = build(rows)

    result = summarise(outcomes, TIERS, resamples=400, seed=seed)

    assert result.auc is not None
    assert result.auc_interval is not None
    low, high = result.auc_interval
    assert low <= result.auc <= high


@settings(max_examples=40, deadline=None)
@given(crm(min_size=4), st.data())
def test_given_a_fired_verdict_when_a_lost_deal_of_its_subject_is_won_then_it_still_fires(
    rows: list[tuple[int, str, float, bool, int, int]], data: st.DataObject
) -> None:
    outcomes = build(rows)
    before = summarise(outcomes, TIERS, resamples=RESAMPLES)
    fired = {(v.kind, v.subject) for v in before.verdicts}
    flagged_lost = [i for i, o in enumerate(outcomes) if o.flags and not o.won]
    tiers_fired = {s for k, s in fired if k == TIERS_OUT_OF_ORDER}
    lower_lost = [i for i, o in enumerate(outcomes) if o.tier in tiers_fired and not o.won]
    candidates = flagged_lost if (DISQUALIFIES_WINNERS, "competitor") in fired else lower_lost
    if not candidates:
        return
    flip = data.draw(st.sampled_from(candidates))
    outcomes[flip] = dataclasses.replace(outcomes[flip], won=True)

    after = {(v.kind, v.subject) for v in summarise(outcomes, TIERS, resamples=RESAMPLES).verdicts}

    if candidates is flagged_lost:
        assert (DISQUALIFIES_WINNERS, "competitor") in after
    else:
        subject = outcomes[flip].tier
        assert (TIERS_OUT_OF_ORDER, subject) in after
