"""The SQL the product really issues, captured while it runs, and the plans the store chooses
for it (SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN (FORMAT JSON)`), with what in a
plan reads a whole big table."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    UniqueConstraint,
    event,
)

BIG_TABLES = frozenset({
    "accounts", "deals", "deal_accounts", "scores", "writeback_state", "webhook_events",
    "score_history", "challenger_scores", "challenger_score_history",
})  # fmt: skip
"""Tables that grow with the CRM or the event stream: a look-up must never read all of one."""


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    parameters: Any


@dataclass
class Captured:
    statements: list[Statement] = field(default_factory=list)

    def planned(self) -> list[Statement]:
        """The statements a planner chooses a plan for (reads, updates, deletes; an INSERT of
        VALUES has no plan to choose, and its conflict check always uses the unique key)."""
        return [
            s
            for s in self.statements
            if s.sql.lstrip().split(None, 1)[0].upper() in {"SELECT", "UPDATE", "DELETE", "WITH"}
        ]


@contextmanager
def capturing(engine: Engine) -> Iterator[Captured]:
    """Every statement sent to the driver on `engine` in the block, with its parameters."""
    captured = Captured()

    def before(
        conn: Connection, cursor: Any, sql: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many:
            captured.statements.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", before)


def explain(connection: Connection, statement: Statement) -> list[str]:
    """The plan's lines: SQLite's details, or PostgreSQL's nodes as `Node Type on relation
    [using index] [cond]` (depth-first, indented)."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters
        ).all()
        return [str(row[3]) for row in rows]
    document = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {statement.sql}", statement.parameters
    ).scalar_one()
    plan = document if isinstance(document, list) else json.loads(document)
    lines: list[str] = []
    _walk(plan[0]["Plan"], 0, lines)
    return lines


def _walk(node: dict[str, Any], depth: int, lines: list[str]) -> None:
    parts = [node["Node Type"]]
    if "Relation Name" in node:
        parts.append(f"on {node['Relation Name']}")
    if "Index Name" in node:
        parts.append(f"using {node['Index Name']}")
    for key in ("Index Cond", "Recheck Cond", "Filter"):
        if key in node:
            parts.append(f"{key}: {node[key]}")
    lines.append("  " * depth + " ".join(parts))
    for child in node.get("Plans", ()):
        _walk(child, depth + 1, lines)


def _tables(sql: str) -> dict[str, str]:
    """Name or alias in a plan → the big table it reads (SQLite's plans name the alias)."""
    names = {name: name for name in BIG_TABLES}
    for table, alias in re.findall(r"\b(\w+) AS (\w+)\b", sql):
        if table in BIG_TABLES:
            names[alias] = table
    return names


def partial_indexes(metadata: MetaData) -> frozenset[str]:
    """The indexes holding only some rows (app.store.partial): walking one whole reads what
    it holds (a backlog), not the table."""
    return frozenset(
        str(index.name)
        for table in metadata.tables.values()
        for index in table.indexes
        if index.dialect_options["sqlite"].get("where") is not None
    )


SLICE = re.compile(r"\((?:source|object_type)=\?(?: AND (?:source|object_type)=\?)*\)$")
"""A SQLite search on a source (and type) alone: every account of a CRM."""


def index_columns(metadata: MetaData) -> dict[str, tuple[str, ...]]:
    """Index name → its columns in order (indexes, unique keys and primary keys)."""
    found: dict[str, tuple[str, ...]] = {}
    for table in metadata.tables.values():
        for index in table.indexes:
            found[str(index.name)] = tuple(c.name for c in index.columns)
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
                found[str(constraint.name)] = tuple(c.name for c in constraint.columns)
    return found


CRM_SLICE = frozenset({"source", "object_type"})


def _slice_only(condition: str, columns: tuple[str, ...]) -> bool:
    """Whether a PostgreSQL `Index Cond` bounds only a CRM's slice of the index: the leading
    columns it binds are all source or type (a later column, as `crm_id` after an unbound
    `object_type`, only filters the slice as it is read)."""
    bound = set(re.findall(r"\(?(\w+)\)?(?:::\w+)? (?:=|<|>|<=|>=) ", condition))
    prefix = []
    for column in columns:
        if column not in bound:
            break
        prefix.append(column)
    return len(prefix) < len(columns) and set(prefix) <= CRM_SLICE


def full_scans(
    statement: Statement,
    lines: Sequence[str],
    partial: frozenset[str],
    indexes: Mapping[str, tuple[str, ...]],
) -> list[str]:
    """For a look-up: the lines of its plan that read a whole big table, or all of one CRM's
    rows in it: a sequential scan (SQLite's `SCAN t`, PostgreSQL's `Seq Scan`), a walk of a
    whole index (SQLite's `SCAN t USING … INDEX`, PostgreSQL's index scan with no
    `Index Cond`) unless a partial one, or a search of one CRM's slice of an index."""
    tables = _tables(statement.sql)
    found = []
    for line in lines:
        text = line.strip()
        words = text.split()
        if words[:1] in (["SCAN"], ["SEARCH"]) and len(words) > 1 and words[1] in tables:
            index = words[words.index("INDEX") + 1] if "INDEX" in words else None
            whole = words[0] == "SCAN" and index not in partial
            if whole or (words[0] == "SEARCH" and SLICE.search(text)):
                found.append(line)
            continue
        if not text.startswith(("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap")):
            continue
        if words[words.index("on") + 1] not in BIG_TABLES:
            continue
        index = words[words.index("using") + 1] if "using" in words else None
        condition = text.split("Index Cond:")[1] if "Index Cond:" in text else None
        sliced = (
            condition is not None
            and index is not None
            and index in indexes
            and _slice_only(condition.split(" Filter:")[0], indexes[index])
        )
        walked = condition is None and "Recheck Cond:" not in text and index not in partial
        if text.startswith("Seq Scan") or walked or sliced:
            found.append(line)
    return found


def sorted_whole(statement: Statement, lines: Sequence[str]) -> list[str]:
    """For a bulk pass (every row of a big table, in order): the lines of its plan that sort
    the whole table rather than walk an index in order (SQLite's `USE TEMP B-TREE FOR ORDER
    BY`, PostgreSQL's `Sort` above an unfiltered sequential scan of a big table). PostgreSQL
    may hash-join whole tables read once and sort the result (validate's closed deals): that
    is n log n, once, not a sort per page."""
    found = [line for line in lines if "USE TEMP B-TREE FOR ORDER BY" in line]
    if " JOIN " in statement.sql and "LIMIT" not in statement.sql:
        return found  # a join of whole tables may hash and sort: n log n, once
    for index, line in enumerate(lines):
        if line.strip().startswith(("Sort", "Incremental Sort")):
            depth = len(line) - len(line.lstrip())
            for below in lines[index + 1 :]:
                if len(below) - len(below.lstrip()) <= depth:
                    break
                text = below.strip()
                if (
                    text.startswith("Seq Scan")
                    and text.split()[3] in BIG_TABLES
                    and "Filter:" not in text
                ):
                    found.append(f"{line.strip()} over {text}")
    return found
