"""Two writers meeting the same new record (the inbox worker and a scheduled sync, or two
replicas), on SQLite and PostgreSQL: the second does not break the unique key and roll back its
page; both go on with the one row, and the later write wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.store.repo import upsert_accounts, upsert_deals
from app.store.tables import Account, Deal, DealAccount
from connectors.records import CrmAccount, CrmDeal

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def lead(name: str) -> CrmAccount:
    return CrmAccount(source="salesforce", object_type="lead", crm_id="00Q000000000001AAA",
                      modified_at=NOW, name=name, domain="acme.example")  # fmt: skip


def opportunity(amount: int) -> CrmDeal:
    return CrmDeal(source="salesforce", crm_id="006000000000001AAA", modified_at=NOW,
                   name="Renewal", amount=Decimal(amount),
                   account_ids=("001000000000001AAA",))  # fmt: skip


def wait_until_blocked(sessions: sessionmaker[Session], writer: threading.Thread) -> None:
    """Until the writer waits on the other transaction's row lock (PostgreSQL), or a moment
    (SQLite, whose writers wait in its busy handler, invisible from outside)."""
    deadline = time.monotonic() + 10
    with sessions() as observer:
        if observer.get_bind().dialect.name != "postgresql":
            time.sleep(0.5)
            return
        while writer.is_alive() and time.monotonic() < deadline:
            waiting = observer.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            ))  # fmt: skip
            if waiting:
                return
            time.sleep(0.01)


def race(
    sessions: sessionmaker[Session],
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> list[BaseException]:
    """`first(session)` inserts without committing; `second(session)` runs in a thread and
    meets its uncommitted row; then `first` commits. Returns the thread's errors."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with sessions() as session:
                second(session)
                session.commit()
        except BaseException as error:  # reported to the test
            errors.append(error)

    with sessions() as holder:
        first(holder)
        holder.flush()
        writer = threading.Thread(target=run_second)
        writer.start()
        wait_until_blocked(sessions, writer)
        holder.commit()
    writer.join(30)
    return errors


def test_given_two_writers_of_one_new_account_when_they_race_then_one_row_with_the_later_values(
    sessions: sessionmaker[Session],
) -> None:
    errors = race(
        sessions,
        lambda s: upsert_accounts(s, [lead("Acme (sync)")], fetched_at=NOW),
        lambda s: upsert_accounts(s, [lead("Acme (worker)")], fetched_at=NOW),
    )

    assert errors == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1
        assert session.scalar(select(Account.name)) == "Acme (worker)"


def test_given_two_writers_of_one_new_deal_when_they_race_then_one_row_and_one_link(
    sessions: sessionmaker[Session],
) -> None:
    errors = race(
        sessions,
        lambda s: upsert_deals(s, [opportunity(100)], fetched_at=NOW),
        lambda s: upsert_deals(s, [opportunity(250)], fetched_at=NOW),
    )

    assert errors == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Deal)) == 1
        assert session.scalar(select(Deal.amount)) == 250
        assert session.scalar(select(func.count()).select_from(DealAccount)) == 1


def test_given_two_writers_relinking_one_stored_deal_when_they_race_then_no_key_error(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:  # two overlapping --full runs both re-store a known deal
        upsert_deals(session, [opportunity(100)], fetched_at=NOW)
        session.commit()

    errors = race(
        sessions,
        lambda s: upsert_deals(s, [opportunity(150)], fetched_at=NOW),
        lambda s: upsert_deals(s, [opportunity(250)], fetched_at=NOW),
    )

    assert errors == []  # not: duplicate key value violates unique constraint "pk_deal_accounts"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DealAccount)) == 1
        assert session.scalar(select(Deal.amount)) == 250
