"""Rows as the database driver returns them, for the few queries that read a whole store.

At half a million rows SQLAlchemy's per-row result handling (a `Row` each, a processor call
per typed column) costs more than the rest of a validation together. Here a query runs on the
driver's own cursor and only the columns that need it are converted, by the processor
SQLAlchemy would have used, so the values are the same as through a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

CHUNK = 10_000


def driver_rows(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    """The rows of `query`, `CHUNK` at a time, as the driver returns them. The query's
    parameters are rendered as literals: only for queries whose values are this program's
    own (flags, a validated source name), never user text."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        while chunk := cursor.fetchmany(CHUNK):
            yield chunk
    finally:
        cursor.close()


def converters(
    session: Session, query: Select[*tuple[Any, ...]]
) -> list[tuple[int, Callable[[Any], Any]]]:
    """(column position, processor) for each selected column SQLAlchemy would convert on
    this database (JSON text, a Decimal from SQLite's number, ...)."""
    dialect = session.connection().dialect
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for position, column in enumerate(query.selected_columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            found.append((position, processor))
    return found
