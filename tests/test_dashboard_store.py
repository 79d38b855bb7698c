"""tests/support/dashboard_store.py: the dashboard's test store holds both CRMs' records, scored
by the product's own code under two rubrics over 90 days, with deals, sync runs, an inbox and
writeback outcomes; and its counts are the store's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import load_rubric
from app.store.tables import Account, Deal, DealAccount, Score, ScoreHistory, SyncHealth, SyncState
from tests.support.dashboard_store import seed_dashboard_store

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
LIVE = (Account.archived.is_(False), Account.deleted_at.is_(None))


def test_given_2000_accounts_seeded_then_the_store_looks_like_months_of_two_crms(
    sessions: sessionmaker[Session],
) -> None:
    seed = seed_dashboard_store(sessions, accounts=2_000, now=NOW)

    assert seed.accounts == {
        ("hubspot", "company"): 900,
        ("hubspot", "contact"): 200,
        ("salesforce", "account"): 700,
        ("salesforce", "lead"): 200,
    }
    earlier, current = seed.rubric_versions
    criteria = {c.id for layer in load_rubric().layers.values() for c in layer.criteria}
    with sessions() as session:
        unscored = ~exists().where(Score.account_id == Account.id)
        assert session.scalar(select(func.count()).where(*LIVE, unscored)) == 0
        assert session.scalar(select(func.count()).select_from(Score)) == seed.live_accounts
        assert seed.live_accounts == session.scalar(select(func.count()).where(*LIVE))
        assert set(session.scalars(select(Score.rubric_version).distinct())) == {current}
        some = session.scalars(select(Score).order_by(Score.account_id).limit(50)).all()
        assert all(set(score.criteria) == criteria and score.reasons for score in some)

        versions = dict(
            session.execute(
                select(ScoreHistory.rubric_version, func.min(ScoreHistory.scored_at)).group_by(
                    ScoreHistory.rubric_version
                )
            ).all()
        )
        assert set(versions) == {earlier, current}
        assert versions[earlier] == NOW - timedelta(days=90)
        latest = session.scalar(select(func.max(ScoreHistory.scored_at)))
        assert latest is not None
        assert NOW - timedelta(days=2) < latest < NOW
        assert session.scalar(select(func.count()).select_from(ScoreHistory)) == seed.history_rows
        assert seed.history_rows > 2 * seed.live_accounts  # first scores, roll-out, growth
        assert 0 < seed.retiered < seed.live_accounts

        assert all(seed.deals[outcome] > 0 for outcome in ("won", "lost", "open"))
        unlinked = ~exists().where(
            Account.source == Deal.source, Account.crm_id == DealAccount.account_crm_id
        )
        linked = select(func.count()).select_from(DealAccount).join(Deal)
        assert session.scalar(linked.where(unlinked)) == 0
        assert session.scalar(linked) == sum(seed.deals.values())

        for source, people in (("hubspot", "contacts"), ("salesforce", "leads")):
            run = session.get(SyncState, (source, "accounts"))
            assert run is not None
            assert run.last_run_finished_at is not None
            assert run.last_run_finished_at < NOW
            assert set(run.stats) == {"pulled", "scored", "changed", "written", "failed",
                                      "api_calls"}  # fmt: skip
            assert set(run.stats["pulled"]) == {"accounts", people, "deals"}
            streams = session.scalars(select(SyncHealth.stream).where(SyncHealth.source == source))
            assert set(streams) == {"accounts", people, "deals", "writeback"}
    assert seed.webhook_events.keys() == {"pending", "done", "dead"}
    assert seed.writeback.keys() == {"pending", "written", "failed"}
    assert sum(seed.writeback.values()) == seed.live_accounts


@pytest.mark.parametrize(
    ("accounts", "now", "message"),
    [
        (9, NOW, "accounts: at least 10, got 9"),
        (2_000, NOW.replace(tzinfo=None), "now: a time zone is needed, got 2026-12-05T12:00:00"),
    ],
)
def test_given_too_few_accounts_or_a_naive_now_when_seeding_then_the_field_is_named(
    accounts: int, now: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        seed_dashboard_store(sessionmaker(), accounts=accounts, now=now)
