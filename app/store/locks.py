"""Cluster-wide locks on the store, so that one sync per CRM runs at a time, whoever starts it
(`icp-sync sync` by hand or from cron, `serve`'s schedule, another replica).

PostgreSQL: a session advisory lock; the holder names itself in its connection's
`application_name`, which the others read through `pg_locks`/`pg_stat_activity`. SQLite (one
host): an exclusive `flock` on a file beside the database, holding the holder's name. Both are
released when the holder's block ends or its process dies, so a killed sync never blocks the
next one."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

PG_NAME_LIMIT = 63
"""PostgreSQL keeps that many bytes of `application_name` (NAMEDATALEN - 1)."""
UNKNOWN_HOLDER = "another process (it did not say which)"


def sync_lock_name(source: str) -> str:
    """The lock every sync of `source` takes, scheduled or by hand."""
    return f"icp-sync:sync:{source}"


def holder_name(what: str) -> str:
    """How a lock holder names itself to the processes it keeps out: what it runs, its pid and
    since when (UTC), e.g. "scheduled full sync pid 4242 since 2026-12-04T18:20:01Z"."""
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tail = f" pid {os.getpid()} since {since}"
    return what[: PG_NAME_LIMIT - len(tail)] + tail


@contextmanager
def cluster_lock(engine: Engine, name: str, holder: str | None = None) -> Iterator[bool]:
    """Yields whether this process holds the lock `name` for the block; `holder` (from
    `holder_name`) is what `lock_holder` tells the others meanwhile. An in-memory SQLite
    database is one process's own: always held.

    The PostgreSQL lock's connection runs in autocommit: the lock belongs to the database
    session, not to a transaction, so there is nothing to commit, and no transaction sits idle
    on it for the length of a sync (holding back vacuum, or cut by
    `idle_in_transaction_session_timeout` together with the lock)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name, holder) as held:
            yield held
        return
    path = _lock_file(engine, name)
    if path is None:
        yield True
        return
    with path.open("a+") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            file.truncate(0)
            file.write(holder or "")
            file.flush()
            yield True
        finally:
            file.truncate(0)
            fcntl.flock(file, fcntl.LOCK_UN)


MIGRATION_LOCK = "icp-sync:migrate"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Waits for, then holds for the block, the right to migrate the store, so that migrations
    run once however many processes start together (replicas of `serve`, a sync beside it):
    the holder reads the schema's revision and upgrades only if it is behind, and the others
    then find it current. PostgreSQL: a session advisory lock (its own key: migrations/env.py
    also takes a transaction lock, for the `alembic` command); SQLite: a file lock beside the
    database; an in-memory database passes through."""
    if engine.dialect.name == "postgresql":
        key = _key(MIGRATION_LOCK)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return
    path = _lock_file(engine, MIGRATION_LOCK) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    with path.open("a+") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def lock_holder(engine: Engine, name: str) -> str:
    """Who holds the lock `name` now, as it named itself (`holder_name`)."""
    if engine.dialect.name == "postgresql":
        high, low = _key_halves(_key(name))
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l"
                    " JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                    " AND l.classid::bigint = :high AND l.objid::bigint = :low"
                    # advisory locks are per database: another database's holder of the
                    # same key (a staging store on the same server) is not ours
                    " AND l.database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"high": high, "low": low},
            ).scalar()
        return str(found) if found else UNKNOWN_HOLDER
    path = _lock_file(engine, name)
    found = path.read_text().strip() if path is not None and path.exists() else ""
    return found or UNKNOWN_HOLDER


@contextmanager
def _advisory_lock(engine: Engine, name: str, holder: str | None) -> Iterator[bool]:
    key = _key(name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            if got and holder:
                _set_application_name(connection, holder)
            yield got
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                if holder:  # the pooled connection goes back to others: no stale name
                    _set_application_name(connection, "")


def _set_application_name(connection: Connection, value: str) -> None:
    connection.execute(text("SELECT set_config('application_name', :v, false)"), {"v": value})


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _key_halves(key: int) -> tuple[int, int]:
    """A bigint advisory key as `pg_locks` shows it: high 32 bits in classid, low in objid."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


def _lock_file(engine: Engine, name: str) -> Path | None:
    """The lock file of a file-backed SQLite database (None for an in-memory one)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(f"{database}.{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}.lock")
