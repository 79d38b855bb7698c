"""SQLite's planner statistics are gathered when the accounts have grown enough since the last
analysis (or never had one); PostgreSQL's are autovacuum's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from app.store.statistics import refresh_if_stale
from app.store.tables import Account

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def add_accounts(engine: Engine, first: int, count: int) -> None:
    rows = [{"source": "hubspot", "object_type": "company", "crm_id": str(n), "fetched_at": NOW}
            for n in range(first, first + count)]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Account), rows)


def test_given_a_growing_store_when_checked_then_it_is_analysed_once_per_doubling(
    sessions: sessionmaker[Session],
) -> None:
    engine = sessions.kw["bind"]
    sqlite = engine.dialect.name == "sqlite"
    assert refresh_if_stale(engine) is False  # nothing to analyse yet

    add_accounts(engine, 0, 10)
    assert refresh_if_stale(engine) is sqlite  # never analysed
    assert refresh_if_stale(engine) is False
    add_accounts(engine, 10, 9)
    assert refresh_if_stale(engine) is False  # 19 is less than twice 10
    add_accounts(engine, 19, 1)
    assert refresh_if_stale(engine) is sqlite
