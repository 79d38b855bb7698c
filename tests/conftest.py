"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: a fresh, uniquely named database per test session (dropped at the end) on the
server at ICP_SYNC_TEST_POSTGRES_URL, else 127.0.0.1:5432 as user postgres, then root. Each test
starts from an empty `public` schema. Unreachable server: skipped, or failed when
ICP_SYNC_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from crm_sandbox.sandbox import RunningSandbox

pytest_plugins = [
    "crm_sandbox.pytest_plugin",  # start_crm_sandbox, start_shared_crm_sandbox
    "tests.support.browser",  # browser, page
]

REQUIRE_POSTGRES = "ICP_SYNC_REQUIRE_POSTGRES"
POSTGRES_URL = "ICP_SYNC_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)


def _conninfo(url: URL) -> str:
    """libpq connection string for a SQLAlchemy URL (psycopg does not take `+psycopg` URLs)."""
    params = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "connect_timeout": 3,
    }
    return make_conninfo("", **{k: v for k, v in params.items() if v is not None})


def _reachable_admin_url() -> URL:
    configured = os.environ.get(POSTGRES_URL)
    candidates = [configured] if configured else list(DEFAULT_POSTGRES_URLS)
    failures = []
    for candidate in candidates:
        url = make_url(candidate)
        try:
            psycopg.connect(_conninfo(url)).close()
        except psycopg.Error as error:
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            failures.append(f"{url.render_as_string(hide_password=True)} ({first_line})")
        else:
            return url
    message = f"PostgreSQL not reachable at {', '.join(failures)}"
    if os.environ.get(REQUIRE_POSTGRES) == "1":
        pytest.fail(f"{message}: required because {REQUIRE_POSTGRES}=1", pytrace=False)
    pytest.skip(f"{message}: set {REQUIRE_POSTGRES}=1 to fail instead")


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """URL of a database created for this test session on the PostgreSQL test server."""
    admin = _reachable_admin_url()
    name = f"icp_sync_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(admin), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(admin), autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of the PostgreSQL test server's own database (`test`): another database on the same
    server as `postgres_url`'s, for what must stay within one database."""
    return _reachable_admin_url().render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    """Empty the database: close other sessions (a leaked pool would block), recreate `public`."""
    with psycopg.connect(_conninfo(make_url(url)), autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database, SQLite file or PostgreSQL, private to the test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'icp-sync.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def postgres_url(postgres_session_url: str) -> str:
    """URL of an empty PostgreSQL database, for tests that only make sense there."""
    _reset_postgres(postgres_session_url)
    return postgres_session_url


StoreOpener = Callable[[str], sessionmaker[Session]]


@pytest.fixture
def open_store() -> Iterator[StoreOpener]:
    """Opens the database at a URL, migrated to head, as a session factory (engines disposed
    after the test)."""
    engines: list[Engine] = []

    def open_(url: str) -> sessionmaker[Session]:
        upgrade_to_head(url)
        engines.append(make_engine(url))
        return make_session_factory(engines[-1])

    yield open_
    for engine in engines:
        engine.dispose()


@pytest.fixture
def sessions(database_url: str, open_store: StoreOpener) -> sessionmaker[Session]:
    """Sessions on the test's database (SQLite and PostgreSQL), migrated to head."""
    return open_store(database_url)


def sandbox_env(sandbox: RunningSandbox, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an `icp-sync` process pointed at the sandbox's CRMs and the store:
    this process's environment less any `ICP_SYNC_*` (a developer's own settings), plus
    `settings` (`ICP_SYNC_…` names)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ICP_SYNC_")}
    return {
        **inherited,
        "ICP_SYNC_DATABASE_URL": database_url,
        **sandbox.service_env(),
        **settings,
    }


@pytest.fixture
def cli_env(database_url: str) -> Callable[..., dict[str, str]]:
    """`cli_env(sandbox, ICP_SYNC_X="…")`: see `sandbox_env`, on the test's database."""
    return partial(sandbox_env, database_url=database_url)
