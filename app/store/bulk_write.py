"""One statement run for many rows, for writers of thousands of rows a statement (the bulk
rescoring, app.sync.bulk).

SQLAlchemy's executemany converts every parameter of every row through its type's processor
with much machinery per parameter, which cost the bulk rescoring more than SQLite's own work.
Here the statement is compiled once, each row's values converted with the same processors (JSON
documents serialized by orjson, compact and several times faster than the JSON type's
json.dumps, parsed back the same; on PostgreSQL the compiled statement casts them to
JSONB), and the rows handed to the driver's executemany (psycopg pipelines them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Executable
from sqlalchemy.orm import Session

Converter = Callable[[Any], Any] | None


Columns = dict[str, list[Any]]
"""Rows as one list of values per column name, JSON documents already text (`as_columns`)."""


def as_columns(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], json_columns: frozenset[str]
) -> Columns:
    """These rows' values a column at a time, the JSON documents among them encoded: the part
    of a write that needs no connection (the bulk rescoring does it in its scoring process)."""
    return {
        name: [None if row[name] is None else json_text(row[name]) for row in rows]
        if name in json_columns
        else [row[name] for row in rows]
        for name in names
    }


class ManyRows:
    """`statement` (a Core INSERT, upsert included) for rows of these `columns`."""

    def __init__(
        self,
        session: Session,
        statement: Executable,
        columns: Sequence[str],
        json_columns: frozenset[str],
    ) -> None:
        dialect = session.get_bind().dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))  # type: ignore[attr-defined]
        processors: dict[str, Converter] = dict(compiled._bind_processors)
        self._positional = compiled.positiontup is not None
        names: list[str] = list(compiled.positiontup or compiled.binds)
        self._sql: str = compiled.string
        self.columns, self.json_columns = tuple(columns), json_columns
        self._converters = [
            (name, None if name in json_columns else processors.get(name)) for name in names
        ]

    def execute(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        self.write(session, as_columns(rows, self.columns, self.json_columns))

    def write(self, session: Session, columns: Columns) -> None:
        """Rows given a column at a time (`as_columns`)."""
        converted = [_converted(columns[name], convert) for name, convert in self._converters]
        if not converted or not converted[0]:
            return
        parameters: list[Any] = list(zip(*converted, strict=True))
        if not self._positional:
            names = [name for name, _ in self._converters]
            parameters = [dict(zip(names, values, strict=True)) for values in parameters]
        session.connection().exec_driver_sql(self._sql, parameters)


def _converted(values: list[Any], convert: Converter) -> list[Any]:
    """A column's values converted, each distinct value once (a page's timestamps are mostly
    the one `now`: timestamps were a tenth of the work). Every column converted here holds
    scalars, so each value is a key; JSON documents are text already (`as_columns`)."""
    if convert is None:
        return values
    memo: dict[Any, Any] = {None: None}
    return [
        memo[value] if value in memo else memo.setdefault(value, convert(value)) for value in values
    ]


def json_text(value: Any) -> str:
    """A JSON document as text (SQLite stores text; PostgreSQL casts it to JSONB). What orjson
    refuses (integers beyond 64 bits, lone surrogates) goes through json.dumps as before; no
    written document holds a non-finite number (JSONB has none either)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)
