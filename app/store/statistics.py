"""The query planner's statistics. PostgreSQL's autovacuum keeps them; SQLite never gathers
any by itself, and without them it may join a large store's tables in an order that reads one
table once per row of another: `validate` on an embedded store of 100,000 accounts that was
never analysed ran for over ten minutes, against seconds once analysed. So `serve`'s hourly
retention job analyses an SQLite store whose accounts have doubled (or more) since its last
analysis, or that has none (`refresh_if_stale`)."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

GROWTH = 2.0
"""How much the accounts may grow (or shrink) between two analyses."""


def analyse(engine: Engine) -> None:
    """Fresh statistics now (SQLite: ANALYZE; PostgreSQL: VACUUM ANALYZE)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def refresh_if_stale(engine: Engine) -> bool:
    """On SQLite, ANALYZE when the accounts' row count is `GROWTH` times what the last analysis
    saw, or there was none; returns whether it ran. Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        accounts = connection.execute(text("SELECT count(*) FROM accounts")).scalar_one()
        seen = _analysed_rows(connection, "accounts")
    if accounts == 0 or (seen and 1 / GROWTH < accounts / seen < GROWTH):
        return False
    analyse(engine)
    return True


def _analysed_rows(connection: Connection, table: str) -> int | None:
    has_stats = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).first()
    if has_stats is None:
        return None
    stat = connection.execute(
        text("SELECT stat FROM sqlite_stat1 WHERE tbl = :table AND stat IS NOT NULL LIMIT 1"),
        {"table": table},
    ).scalar()
    return int(str(stat).split()[0]) if stat else None
