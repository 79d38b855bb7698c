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
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import Executable
from sqlalchemy.orm import Session

Converter = Callable[[Any], Any] | None


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
        self._converters = [
            (name, json_text if name in json_columns else processors.get(name)) for name in names
        ]

    def execute(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = [
            _converted([row[name] for row in rows], convert) for name, convert in self._converters
        ]
        parameters: list[Any] = list(zip(*columns, strict=True))
        if not self._positional:
            names = [name for name, _ in self._converters]
            parameters = [dict(zip(names, values, strict=True)) for values in parameters]
        session.connection().exec_driver_sql(self._sql, parameters)


def _converted(values: list[Any], convert: Converter) -> list[Any]:
    """A column's values converted; other than JSON documents, each distinct value once (a
    page's timestamps are mostly the one `now`: timestamps were a tenth of the work). Every
    column written this way holds scalars, so each value is a key."""
    if convert is None:
        return values
    if convert is json_text:
        return [None if value is None else json_text(value) for value in values]
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
