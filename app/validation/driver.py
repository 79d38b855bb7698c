"""Rows as the database driver returns them, for the few queries that read a whole store.

At half a million rows SQLAlchemy's per-row result handling (a `Row` each, a processor call
per typed column) costs more than the rest of a validation together. Here a query runs on the
driver's own cursor and, when asked, only the columns that need it are converted, by the
processor SQLAlchemy would have used, so the values are the same as through a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

CHUNK = 10_000


def driver_rows(
    session: Session, query: Select[*tuple[Any, ...]], *, convert: bool = False
) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of `query`, `CHUNK` at a time, as the driver returns them, or with `convert`
    as SQLAlchemy would (JSON text decoded, a Decimal from SQLite's number, ...). Parameters
    are bound, in the driver's own style, never written into the SQL."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    parameters: Sequence[Any] | dict[str, Any] = compiled.params
    if compiled.positional:
        parameters = [compiled.params[name] for name in compiled.positiontup or ()]
    cursor = connection.connection.cursor()
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
