from __future__ import annotations

import socket
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from app.api.app import create_app
from app.errors import ConfigError, DatabaseUnavailableError
from app.settings import Settings
from app.store.migrate import head_revision, is_at_head

with warnings.catch_warnings():
    # Starlette's TestClient asks for `httpx2`; until it is a dev dependency, httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "s3cret-pw"
ClientFactory = Callable[[str], TestClient]


@pytest.fixture
def unstarted_client() -> Iterator[ClientFactory]:
    """A TestClient whose lifespan does not run: no migration on start, no dispose at the end."""
    apps: list[FastAPI] = []

    def make(database_url: str) -> TestClient:
        apps.append(create_app(Settings(database_url=database_url)))
        return TestClient(apps[-1])

    yield make
    for app in apps:
        app.state.resources.engine.dispose()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _unreachable_postgres_url() -> str:
    return f"postgresql+psycopg://icp:{PASSWORD}@127.0.0.1:{_closed_port()}/icp_sync"


def test_given_app_when_liveness_probed_then_ok_without_touching_the_database(
    unstarted_client: ClientFactory,
) -> None:
    client = unstarted_client(_unreachable_postgres_url())

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_given_started_app_when_readiness_probed_then_ready_at_head(database_url: str) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": head_revision()}


def test_given_empty_database_when_app_starts_then_migrations_are_applied(
    database_url: str,
) -> None:
    with TestClient(create_app(Settings(database_url=database_url))):
        assert is_at_head(database_url)


def test_given_database_not_migrated_when_readiness_probed_then_503_naming_revisions(
    database_url: str, unstarted_client: ClientFactory
) -> None:
    client = unstarted_client(database_url)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": f"database at revision None, expected {head_revision()}",
        "revision": None,
    }


def test_given_unreachable_postgres_when_readiness_probed_then_503_without_password(
    unstarted_client: ClientFactory,
) -> None:
    client = unstarted_client(_unreachable_postgres_url())

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database unreachable",
        "revision": None,
    }
    assert PASSWORD not in response.text


def test_given_sqlite_path_that_cannot_be_opened_when_readiness_probed_then_503(
    tmp_path: Path, unstarted_client: ClientFactory
) -> None:
    client = unstarted_client(f"sqlite:///{tmp_path}")  # a folder, not a file

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["reason"] == "database unreachable"


def test_given_unreachable_database_when_app_starts_then_startup_fails_with_clear_error() -> None:
    app = create_app(Settings(database_url=_unreachable_postgres_url()))

    with (
        pytest.raises(DatabaseUnavailableError, match="cannot use the database") as raised,
        TestClient(app),
    ):
        pass

    assert PASSWORD not in str(raised.value)


def test_given_malformed_database_url_when_app_created_then_config_error() -> None:
    with pytest.raises(ConfigError, match="ICP_SYNC_DATABASE_URL"):
        create_app(Settings(database_url="not a url"))
