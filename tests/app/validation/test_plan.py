"""`plan`'s comparison and what its new disqualifiers would throw away, on a store whose answer
is known by construction (tests/support/plan_store.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.validation.discarded import discarded_won, tally
from app.validation.plan import compare
from tests.support import plan_store


def test_given_a_stricter_rubric_then_every_account_into_and_out_of_disqualified_is_listed(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    plan_store.fill(sessions)
    challenger = compile_rubric(load_rubric(plan_store.challenger_rubric(tmp_path)))

    with sessions() as session:
        found = compare(session, compile_rubric(load_rubric()), challenger, now=plan_store.NOW)

    assert [c.crm_id for c in found.newly_disqualified] == plan_store.NEWLY_DISQUALIFIED
    assert [c.crm_id for c in found.no_longer_disqualified] == ["A4"]
    by_id = {c.crm_id: c for c in found.changed}
    assert by_id["A3"].flags_added == ("too_small", "sanctioned_country")
    assert by_id["A3"].direction == "into"
    assert by_id["A4"].flags_removed == ("excluded_industry",)
    assert by_id["A4"].direction == "out_of"
    assert by_id["A4"].tier_before == "disqualified" != by_id["A4"].tier_after
    assert "A5" not in by_id  # disqualified before and after, by the same flag
    assert found.accounts == 1 + 6 + len(plan_store.BULK)  # the archived A7 left out


def test_given_the_newly_disqualified_then_their_won_deals_and_revenue_are_tallied_per_flag(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    plan_store.fill(sessions)
    challenger = compile_rubric(load_rubric(plan_store.challenger_rubric(tmp_path)))

    with sessions() as session:
        found = compare(session, compile_rubric(load_rubric()), challenger, now=plan_store.NOW)
        discarded = discarded_won(session, found.newly_disqualified)

    as_numbers = [
        {**asdict(row), "revenue": float(row.revenue)}
        for row in (discarded.total, *discarded.by_flag)
    ]
    expected = plan_store.DISCARDED
    assert as_numbers == [expected["total"], *expected["by_flag"]]


def test_given_nobody_newly_disqualified_then_nothing_is_thrown_away(
    sessions: sessionmaker[Session],
) -> None:
    plan_store.fill(sessions)

    with sessions() as session:
        discarded = discarded_won(session, [])

    assert discarded.total.won_deals == 0
    assert discarded.total.revenue == 0
    assert discarded.by_flag == ()


accounts = st.sampled_from([("hubspot", "a"), ("hubspot", "b"), ("salesforce", "a")])
flag_sets = st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3, unique=True)
links = st.lists(
    st.tuples(
        accounts,
        st.integers(1, 6),
        st.one_of(st.none(), st.decimals(0, 10_000, places=2)),
    ),
    max_size=20,
)


@given(st.dictionaries(accounts, flag_sets), links)
def test_given_any_links_then_the_total_counts_each_deal_once_and_each_flag_its_own(
    flags: dict[tuple[str, str], list[str]],
    raw: list[tuple[tuple[str, str], int, Decimal | None]],
) -> None:
    amount_of = {deal: amount for _, deal, amount in raw}  # one amount per deal, as in a store
    deals = [(account, deal, amount_of[deal]) for account, deal, _ in raw]

    found = tally(flags, deals)

    hit = {deal for account, deal, _ in deals if account in flags}
    assert found.total.won_deals == len(hit)
    assert found.total.revenue == sum(
        (a for d in hit if (a := amount_of[d]) is not None), Decimal(0)
    )
    assert found.total.won_deals_without_amount == sum(amount_of[d] is None for d in hit)
    assert found.total.accounts == len(flags)
    for row in found.by_flag:
        assert row.flag is not None
        mine = {deal for account, deal, _ in deals if row.flag in flags.get(account, ())}
        assert row.won_deals == len(mine) <= found.total.won_deals
        assert row.accounts == sum(row.flag in f for f in flags.values())
    assert {row.flag for row in found.by_flag} == {f for fs in flags.values() for f in fs}
