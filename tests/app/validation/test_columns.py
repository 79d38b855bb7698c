"""`OutcomeColumns`, the outcomes one record per account with per-deal arrays: the statistics
on it are exactly those on the same outcomes as a list of `Outcome`."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.validation.columns import OutcomeColumns, columns_of
from app.validation.stats import Outcome, summarise

TIERS = ["tier_1", "tier_2", "disqualified"]


@st.composite
def accounts_and_deals(draw: st.DrawFn) -> tuple[list[Outcome], OutcomeColumns]:
    """Accounts scored once, each with one to five deals in a shuffled order: as a list of
    outcomes and as columns (records numbered by their first deal, as the loader does)."""
    count = draw(st.integers(1, 12))
    scored = [
        (
            f"a{i}",
            draw(st.integers(0, 100)),
            draw(st.sampled_from([*TIERS, "unlisted"])),
            {"fit": draw(st.sampled_from([0.0, 50.0, 100.0]))},
            draw(st.sampled_from([(), ("too_small",), ("too_small", "competitor")])),
        )
        for i in range(count)
    ]
    deals = [
        (account, draw(st.booleans()), date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 700))))
        for account in range(count)
        for _ in range(draw(st.integers(1, 5)))
    ]
    random.Random(draw(st.integers(0, 1000))).shuffle(deals)
    outcomes = [Outcome(*scored[a][:3], won, day, *scored[a][3:]) for a, won, day in deals]
    records = list(dict.fromkeys(a for a, _, _ in deals))
    position = {a: i for i, a in enumerate(records)}
    columns = OutcomeColumns(
        account_id=[scored[a][0] for a in records],
        score=[scored[a][1] for a in records],
        tier=[scored[a][2] for a in records],
        criteria=[scored[a][3] for a in records],
        flags=[scored[a][4] for a in records],
        deal_record=np.array([position[a] for a, _, _ in deals], np.int64),
        won=np.array([won for _, won, _ in deals], np.bool_),
        closed_on=np.array([day.toordinal() for _, _, day in deals], np.int64),
    )
    return outcomes, columns


@settings(max_examples=40, deadline=None)
@given(accounts_and_deals())
def test_given_outcomes_when_summarised_as_columns_then_every_figure_is_that_of_the_list(
    found: tuple[list[Outcome], OutcomeColumns],
) -> None:
    outcomes, columns = found
    expected = summarise(outcomes, TIERS, weights={"fit": 1.0}, resamples=50, seed=3)
    assert summarise(columns, TIERS, weights={"fit": 1.0}, resamples=50, seed=3) == expected
    assert columns.outcomes() == outcomes


def test_given_a_list_of_outcomes_when_turned_into_columns_then_it_comes_back_unchanged() -> None:
    outcomes = [
        Outcome("a", 80, "tier_1", True, date(2026, 1, 2), {"fit": 100.0}),
        Outcome("a", 80, "tier_1", False, date(2026, 3, 31), {"fit": 100.0}),
        Outcome("b", 10, "disqualified", False, date(2025, 12, 31), {}, ("too_small",)),
    ]
    columns = columns_of(outcomes)

    assert columns.outcomes() == outcomes
    assert columns_of(columns) is columns
    assert len(columns) == 3


def test_given_no_outcomes_when_summarised_as_columns_then_as_an_empty_list() -> None:
    empty = columns_of([])

    assert summarise(empty, TIERS, resamples=10) == summarise([], TIERS, resamples=10)
    assert dataclasses.asdict(summarise(empty, TIERS, resamples=10))["closed"] == 0
