"""Expand/contract: this code keeps running on a schema a newer release expanded, refuses one
it contracted, and leaves both alone (SQLite and PostgreSQL)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from app.api.app import create_app
from app.errors import SchemaError
from app.settings import Settings
from app.store.migrate import (
    code_revisions,
    current_revision,
    downgrade_to,
    head_revision,
    require_usable_schema,
    schema_status,
    upgrade_to_head,
)
from tests.support.migrations import CONTRACT, EXPAND, apply_newer, write_newer_release

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


def test_given_a_newer_expand_migration_when_this_version_starts_then_it_runs_on_it_unchanged(
    database_url: str, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    apply_newer(database_url, write_newer_release(tmp_path / "newer"), EXPAND)

    status = schema_status(database_url)
    require_usable_schema(database_url)
    upgrade_to_head(database_url)  # a restarted replica of this version: nothing to do
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        ready = client.get("/readyz")

    assert (status.state, status.revision, status.head) == ("compatible", EXPAND, head_revision())
    assert status.oldest_compatible in code_revisions()
    assert current_revision(database_url) == EXPAND
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "revision": EXPAND})


def test_given_a_newer_contract_migration_when_this_version_starts_then_it_refuses_clearly(
    database_url: str, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    apply_newer(database_url, write_newer_release(tmp_path / "newer"), CONTRACT)

    status = schema_status(database_url)
    with pytest.raises(SchemaError) as refused:
        upgrade_to_head(database_url)
    app = create_app(Settings(database_url=database_url))
    ready = TestClient(app).get("/readyz")  # lifespan not run: the probe alone
    app.state.resources.engine.dispose()

    assert (status.state, status.oldest_compatible) == ("incompatible", CONTRACT)
    assert f"is at revision {CONTRACT}, which a newer icp-sync migrated beyond" in str(
        refused.value
    )
    assert current_revision(database_url) == CONTRACT
    assert ready.status_code == 503
    assert ready.json()["reason"] == (
        f"database at revision {CONTRACT}, newer than {head_revision()} and not compatible with it"
    )


def test_given_a_store_behind_this_version_when_opened_as_is_then_it_says_to_upgrade(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)
    previous = code_revisions()[1]
    downgrade_to(database_url, previous)

    with pytest.raises(SchemaError) as refused:
        require_usable_schema(database_url)

    assert str(refused.value).endswith(
        f"is at revision {previous} and this icp-sync needs {head_revision()}: "
        "run `icp-sync db upgrade`"
    )
    assert current_revision(database_url) == previous
