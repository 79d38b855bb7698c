"""Alembic environment: the models in app.store.tables are the target schema.

The database URL comes from the Alembic Config (`config.attributes["database_url"]`, set by
app.store.migrate, or a non-empty `sqlalchemy.url`), else from ICP_SYNC_DATABASE_URL.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import func, select

from app.settings import get_settings
from app.store.engine import make_engine, parse_database_url
from app.store.tables import Base

# Serialises concurrent upgrades on PostgreSQL for the `alembic` command; icp-sync's own
# upgrades also hold app.store.locks.migration_lock around reading the revision and upgrading.
MIGRATION_LOCK_ID = 0x1C9_5F0C

config = context.config
if config.config_file_name is not None:  # the `alembic` command, not app.store.migrate
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return str(url) if url else get_settings().database_url


def run_migrations_offline() -> None:
    url = parse_database_url(database_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Foreign keys off on SQLite: batch mode rebuilds a table by dropping it, which would
    # otherwise cascade-delete the rows that reference it.
    engine = make_engine(database_url(), enforce_foreign_keys=False)
    try:
        with engine.connect() as connection:
            is_sqlite = connection.dialect.name == "sqlite"
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                compare_type=True,
                render_as_batch=is_sqlite,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
