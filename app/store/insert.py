"""`INSERT … ON CONFLICT DO NOTHING` on SQLite and PostgreSQL, for writers that may race.

Two writers (the inbox worker and a scheduled sync, or two replicas) can meet the same new
record at once: each sees no row, and the second plain INSERT breaks the unique key and rolls
back its whole page. Inserting with ON CONFLICT DO NOTHING and reading back instead lets both
carry on with the one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.store.tables import Base


def insert_ignoring_conflicts(
    session: Session, model: type[Base] | Table, unique: Sequence[str]
) -> Any:
    """An INSERT into `model`'s table that skips rows whose `unique` columns already exist
    (`.values(rows)` to add them; `.returning(...)` works on both databases). Given the
    `Table`, the statement is Core: run it on `session.connection()` with the rows as
    parameters, compiled once for any number of rows."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(index_elements=list(unique))
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(unique))
    raise ValueError(f"the store needs SQLite or PostgreSQL, not {dialect}")


def insert_updating_conflicts(
    session: Session, table: type[Base] | Table, unique: Sequence[str], update: Sequence[str]
) -> Any:
    """An INSERT into `table` that, where a row's `unique` columns already exist, sets that
    row's `update` columns to the inserted values instead (an upsert). Core: run it on
    `session.connection()` with the rows as parameters (one executemany for any number)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:
        raise ValueError(f"the store needs SQLite or PostgreSQL, not {dialect}")
    return insert.on_conflict_do_update(
        index_elements=list(unique), set_={column: insert.excluded[column] for column in update}
    )
