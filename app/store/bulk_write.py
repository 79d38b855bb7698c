"""One statement run for many rows, for writers of thousands of rows a statement (the bulk
rescoring, app.sync.bulk).

On SQLite, SQLAlchemy's executemany converts every parameter of every row through its type's
processor in Python, which cost the bulk rescoring more than the database's own work: here the
statement is compiled once, each row's values converted with the same processors (JSON
documents serialized as the JSON type does), and the rows handed to the driver's executemany.
On PostgreSQL SQLAlchemy batches the rows into multi-row INSERTs ("insertmanyvalues"), which
pays more than the conversion costs, so the statement goes through it unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

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
        self._statement = statement
        dialect = session.get_bind().dialect
        self._raw = dialect.name == "sqlite"
        if not self._raw:
            return
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))  # type: ignore[attr-defined]
        processors: dict[str, Converter] = dict(compiled._bind_processors)
        names: list[str] = list(compiled.positiontup or ())
        self._sql: str = compiled.string
        self._converters = [
            (name, json.dumps if name in json_columns else processors.get(name)) for name in names
        ]

    def execute(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        connection = session.connection()
        if not self._raw:
            connection.execute(self._statement, rows)
            return
        converters = self._converters
        parameters = [
            tuple(
                row[name] if convert is None or row[name] is None else convert(row[name])
                for name, convert in converters
            )
            for row in rows
        ]
        connection.exec_driver_sql(self._sql, parameters)
