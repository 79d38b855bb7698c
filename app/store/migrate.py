"""Schema migrations through Alembic's Python API, with the configuration built in code.

The `alembic.ini` at the repository root is only for the `alembic` command (new revisions).
Alembic's migration context is process-global: run one upgrade at a time per process (across
processes, PostgreSQL upgrades are serialised by an advisory lock in migrations/env.py, SQLite
ones by a file lock beside the database).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from app.errors import DatabaseUnavailableError
from app.settings import display_database_url
from app.store.engine import SETTING, make_engine
from app.store.locks import sqlite_migration_lock

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
    """Apply every pending migration; a no-op on a database already at head."""
    with _reported(url), _one_migrator(url):
        command.upgrade(alembic_config(url), "head")


def downgrade_to(url: str, revision: str) -> None:
    """Revert migrations down to `revision` ("base" removes every table)."""
    with _reported(url), _one_migrator(url):
        command.downgrade(alembic_config(url), revision)


@contextmanager
def _one_migrator(url: str) -> Iterator[None]:
    engine = make_engine(url)
    try:
        with sqlite_migration_lock(engine):
            yield
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database is at; None when no migration was ever applied."""
    engine = make_engine(url)
    try:
        with _reported(url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision in migrations/ (what `upgrade_to_head` leads to)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


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
