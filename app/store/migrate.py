"""Schema migrations through Alembic's Python API, with the configuration built in code.

The `alembic.ini` at the repository root is only for the `alembic` command (new revisions).
Alembic's migration context is process-global: run one upgrade at a time per process (across
processes, upgrades are serialised by `app.store.locks.migration_lock`).

Only `icp-sync db upgrade` and the commands that run the service or write (serve, worker,
sync, demo) migrate, through `upgrade_to_head`; the others open the store as it is
(`require_usable_schema`) and never create it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.errors import DatabaseUnavailableError, SchemaError
from app.settings import display_database_url
from app.store.compat import SchemaStatus, judge, read_oldest_compatible
from app.store.engine import SETTING, make_engine, parse_database_url
from app.store.locks import migration_lock

# The project is installed editable, so the repository's migrations/ sits beside app/.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config for our migrations; `url` reaches env.py through its attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["database_url"] = url
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every pending migration, once however many processes call it together. A no-op
    on a database at head, or at a newer revision that still runs this code (see
    app.store.compat); `SchemaError` on a newer one that does not."""
    with _reported(url), _one_migrator(url) as engine:
        with engine.connect() as connection:
            status = schema_status_of(connection)
        if status.state == "incompatible":
            raise SchemaError(status.problem(display_database_url(url)))
        if status.pending:
            command.upgrade(alembic_config(url), "head")


def downgrade_to(url: str, revision: str) -> None:
    """Revert migrations down to `revision` ("base" removes every table)."""
    with _reported(url), _one_migrator(url):
        command.downgrade(alembic_config(url), revision)


@contextmanager
def _one_migrator(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        with migration_lock(engine):
            yield engine
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at; None when no migration was ever applied (a SQLite
    file that does not exist is not created)."""
    if _missing_sqlite_file(url):
        return None
    engine = make_engine(url)
    try:
        with _reported(url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def schema_status(url: str) -> SchemaStatus:
    """Whether this code can use the database as it is (a SQLite file that does not exist is
    not created)."""
    if _missing_sqlite_file(url):
        return judge(None, None, code_revisions())
    engine = make_engine(url)
    try:
        with _reported(url), engine.connect() as connection:
            return schema_status_of(connection)
    finally:
        engine.dispose()


def schema_status_of(connection: Connection) -> SchemaStatus:
    revision = MigrationContext.configure(connection).get_current_revision()
    chain = code_revisions()
    unknown = revision is not None and revision not in chain
    return judge(revision, read_oldest_compatible(connection) if unknown else None, chain)


def require_usable_schema(url: str) -> None:
    """For the commands that use the store but never migrate it: `SchemaError` saying what to
    do when it is missing, behind this code, or migrated by a newer, incompatible version."""
    status = schema_status(url)
    if not status.usable:
        raise SchemaError(status.problem(display_database_url(url)))


@cache
def code_revisions() -> tuple[str, ...]:
    """This code's migrations, head first."""
    script = ScriptDirectory.from_config(alembic_config())
    chain = tuple(revision.revision for revision in script.walk_revisions())
    if not chain:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return chain


def head_revision() -> str:
    """The newest revision in migrations/ (what `upgrade_to_head` leads to)."""
    return code_revisions()[0]


def is_at_head(url: str) -> bool:
    return current_revision(url) == head_revision()


@contextmanager
def _reported(url: str) -> Iterator[None]:
    try:
        yield
    except DBAPIError as error:  # server down, bad credentials, not a database, no permission
        lines = str(error.orig).strip().splitlines()
        reason = lines[0] if lines else type(error.orig).__name__
        raise DatabaseUnavailableError(
            f"cannot use the database {display_database_url(url)} ({SETTING}): {reason}"
        ) from error


def _missing_sqlite_file(url: str) -> bool:
    parsed = parse_database_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return False
    if database in ("", ":memory:") or "mode=memory" in database:
        return False
    return not Path(database).expanduser().exists()
