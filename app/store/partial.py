"""Partial indexes: an index of only the rows a hot query wants (the writes owed, the events
not processed yet), when they are few among many. A planner's statistics cannot tell that
few rows have a status other than the usual one (SQLite keeps no per-value counts), so it
would walk a whole table in order rather than an index of a few rows.

A query uses a partial index only if its WHERE states the index's condition itself; SQLite
matches it term for term and a bound parameter never matches a value, so `excluding` writes
the value into the SQL text (it is one of our own constants, never user input)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, text
from sqlalchemy.orm import QueryableAttribute


def only_where_not(column: str, value: str) -> dict[str, Any]:
    """The keyword arguments of an `Index` of the rows whose `column` is not `value`."""
    condition = text(f"{column} <> '{value}'")
    return {"sqlite_where": condition, "postgresql_where": condition}


def excluding(column: QueryableAttribute[str], value: str) -> ColumnElement[bool]:
    """`column <> 'value'`, the value in the SQL text: the condition of an index made with
    `only_where_not(column, value)`, stated so that both databases can use it."""
    return column != literal(value, literal_execute=True)
