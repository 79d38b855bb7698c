"""Rows as the database driver returns them, for the few queries that read a whole store.

At half a million rows SQLAlchemy's per-row result handling (a `Row` each, a processor call
per typed column) costs more than the rest of a validation together. Here a query runs on the
driver's own cursor and, when asked, only the columns that need it are converted, by the
processor SQLAlchemy would have used, so the values are the same as through a session. Rows
are streamed: at a million accounts only a chunk of them is ever in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

CHUNK = 10_000


def driver_rows(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    convert: bool = False,
    keep: Callable[[Sequence[Sequence[Any]]], Sequence[Sequence[Any]]] | None = None,
) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of `query`, `CHUNK` at a time, as the driver returns them, or with `convert`
    as SQLAlchemy would (JSON text decoded, a Decimal from SQLite's number, ...). `keep`:
    the rows of a chunk to keep, chosen before any is converted. Parameters are bound, in the
    driver's own style, never written into the SQL."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    parameters: Sequence[Any] | dict[str, Any] = compiled.params
    if compiled.positional:
        parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    # A PostgreSQL client cursor holds the whole result in memory; a named (server-side) one
    # sends it CHUNK rows at a time, as SQLite's cursor steps through it. Its plan is made
    # for reading every row (by default a cursor's favours the first 10 %: nested loops over
    # indexes, twice as slow on the closed deals).
    named: dict[str, str] = {}
    if dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        named = {"name": f"icp_sync_rows_{id(query):x}"}
    cursor = connection.connection.cursor(**named)
    try:
        cursor.execute(str(compiled), parameters)
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        if convert:
            for position, (column, described) in enumerate(
                zip(query.selected_columns, cursor.description, strict=True)
            ):
                found = column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                if found is not None:
                    processors.append((position, found))
        while chunk := cursor.fetchmany(CHUNK):
            if keep is not None:
                chunk = keep(chunk)
            if processors:
                converted = []
                for row in chunk:
                    values = list(row)
                    for position, convert_value in processors:
                        values[position] = convert_value(values[position])
                    converted.append(values)
                chunk = converted
            yield chunk
    finally:
        cursor.close()
