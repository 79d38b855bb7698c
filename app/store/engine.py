"""Engines and sessions for the two supported databases: SQLite (default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from app.errors import ConfigError
from app.settings import display_database_url

SETTING = "ICP_SYNC_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 5_000
POSTGRES_CONNECT_TIMEOUT_S = 10
_EXAMPLES = "sqlite:///./icp-sync.db or postgresql+psycopg://user:password@host:5432/icp_sync"


def make_engine(url: str, *, enforce_foreign_keys: bool = True) -> Engine:
    """An engine for `url`; a URL we cannot use raises `ConfigError` (password masked).

    SQLite connections get foreign keys on, WAL and a busy timeout; the folder of a file
    database is created. `postgresql://` and `postgres://` mean psycopg 3, the driver we ship.
    `enforce_foreign_keys=False` is for migrations only: SQLite batch mode rebuilds a table by
    dropping it, and with foreign keys on that drop would cascade-delete the child rows.
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, enforce_foreign_keys=enforce_foreign_keys)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    return _create(parsed, pool_pre_ping=True, connect_args=connect_args)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after the caller commits (jobs, responses).
    return sessionmaker(bind=engine, expire_on_commit=False)


def parse_database_url(url: str) -> URL:
    """`url` parsed and checked to name a supported database, or `ConfigError`."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise _config_error(url, "is not a database URL") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise _config_error(url, f"names an unsupported database {backend!r}")
    return parsed


def shared(url: URL) -> bool:
    """Whether other processes can open the store at `url`: a server's, or a SQLite file (not
    one in memory, which only the connection that made it sees)."""
    return url.get_backend_name() != "sqlite" or not _in_memory(url)


def _in_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database


def _sqlite_engine(url: URL, *, enforce_foreign_keys: bool) -> Engine:
    database = url.database or ""
    in_memory = _in_memory(url)
    if not in_memory and not url.query.get("uri"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = f"points into a folder that cannot be created ({error.strerror}: {folder})"
            raise _config_error(url, reason) from None
    engine = _create(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    return engine


def _create(url: URL, **kwargs: Any) -> Engine:
    try:
        return create_engine(url, **kwargs)
    except ArgumentError as error:
        raise _config_error(url, f"cannot be used: {error}") from None
    except ImportError as error:
        raise _config_error(
            url, f"needs a database driver that is not installed ({error.name})"
        ) from None


def _config_error(url: str | URL, reason: str) -> ConfigError:
    shown = display_database_url(url) if isinstance(url, str) else url.render_as_string()
    return ConfigError(f"{SETTING} {reason}: {shown} (expected e.g. {_EXAMPLES})")
