"""Accounts per tier at the end of each day, from the score history, read incrementally."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from app.store.tables import Account, ScoreHistory
from app.ui.read.tier_history import TierHistory

TODAY = date(2026, 11, 30)


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC) + (
        timedelta(hours=12)
    )


def test_given_tier_changes_when_charted_then_each_day_counts_each_account_once() -> None:
    history = TierHistory()
    history.add(
        [
            (1, 10, "tier_1", at(5)),
            (2, 11, "tier_2", at(5)),
            (3, 11, "tier_1", at(2)),  # moved up two days ago
            (4, 12, "tier_3", at(1)),
            (5, 12, "tier_3", at(0)),  # same tier again: not a change
        ]
    )

    series = history._series(TODAY, 4)

    assert series.days == [TODAY - timedelta(days=d) for d in (3, 2, 1, 0)]
    assert series.counts == {"tier_1": [1, 2, 2, 2], "tier_2": [1, 0, 0, 0], "tier_3": [0, 0, 1, 1]}


rows = st.lists(
    st.tuples(st.integers(1, 6), st.sampled_from(["a", "b", "c"]), st.integers(0, 20)),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_given_any_history_when_charted_then_today_counts_each_accounts_last_tier(
    changes: list[tuple[int, str, int]],
) -> None:
    history = TierHistory()
    ordered = sorted(changes, key=lambda c: -c[2])  # appended in time order
    history.add((i, account, tier, at(ago)) for i, (account, tier, ago) in enumerate(ordered, 1))

    series = history._series(TODAY, 10)

    last = Counter({account: tier for account, tier, _ in ordered}.values())
    assert {tier: counts[-1] for tier, counts in series.counts.items() if counts[-1]} == last
    assert all(len(counts) == 10 for counts in series.counts.values())


def test_given_rows_appended_after_a_view_when_viewed_again_then_they_are_counted(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        account = Account(source="hubspot", object_type="company", crm_id="1", fetched_at=at(9))
        session.add(account)
        session.flush()
        session.add(history_row(account.id, "tier_2", at(3)))
    history = TierHistory()
    with sessions() as session:
        assert history.series(session, TODAY, 2).counts == {"tier_2": [1, 1]}
    with sessions() as session, session.begin():
        session.add(history_row(account.id, "tier_1", at(0)))
    with sessions() as session:
        assert history.series(session, TODAY, 2).counts == {"tier_1": [0, 1], "tier_2": [1, 0]}


def history_row(account_id: int, tier: str, when: datetime) -> ScoreHistory:
    return ScoreHistory(
        account_id=account_id,
        score=50,
        tier=tier,
        disqualified=False,
        flags=[],
        reasons=[],
        rubric_version="v1",
        scored_at=when,
    )
