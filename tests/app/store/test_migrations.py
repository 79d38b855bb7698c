from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.store.engine import make_engine
from app.store.migrate import (
    current_revision,
    downgrade_to,
    head_revision,
    is_at_head,
    upgrade_to_head,
)
from app.store.tables import Base


def _schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_given_empty_database_when_upgraded_to_head_then_schema_is_exactly_the_models(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)

    assert _schema_diff(database_url) == []
    assert _tables(database_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_given_empty_database_when_checked_then_not_at_head_until_upgraded(
    database_url: str,
) -> None:
    assert current_revision(database_url) is None
    assert not is_at_head(database_url)

    upgrade_to_head(database_url)

    assert current_revision(database_url) == head_revision()
    assert is_at_head(database_url)


def test_given_database_at_head_when_upgraded_again_then_nothing_changes(database_url: str) -> None:
    upgrade_to_head(database_url)

    upgrade_to_head(database_url)

    assert is_at_head(database_url)
    assert _schema_diff(database_url) == []


def test_given_database_at_head_when_downgraded_to_base_and_back_then_schema_is_restored(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)

    downgrade_to(database_url, "base")
    assert current_revision(database_url) is None
    assert _tables(database_url) == {"alembic_version"}

    upgrade_to_head(database_url)
    assert is_at_head(database_url)
    assert _schema_diff(database_url) == []


def test_given_a_store_of_the_release_before_runs_were_stored_when_upgraded_then_the_table_is_added(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)
    downgrade_to(database_url, "0014")
    before = _tables(database_url)

    upgrade_to_head(database_url)

    assert "validation_runs" not in before
    assert _tables(database_url) == before | {"validation_runs"}
    engine = make_engine(database_url)
    try:
        indexes = inspect(engine).get_indexes("validation_runs")
    finally:
        engine.dispose()
    assert [i["column_names"] for i in indexes] == [["kind", "finished_at"]]
    assert _schema_diff(database_url) == []


# Each replica is its own process (Alembic's `context` is process-global): they line up at a
# file barrier after importing, then all upgrade at once.
_REPLICA = """
import sys, time
from pathlib import Path
import app.store.tables  # warm up: what env.py imports
from app.store.migrate import head_revision, upgrade_to_head
url, folder, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
head_revision()  # warm up: read the migration scripts before the barrier
(folder / name).touch()
deadline = time.monotonic() + 60
while not (folder / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
upgrade_to_head(url)
"""


@pytest.mark.slow
def test_given_replicas_starting_together_when_all_upgrade_then_each_succeeds(
    database_url: str, tmp_path: Path
) -> None:
    """PostgreSQL serialises them with an advisory lock, SQLite with a file lock: without it
    two `icp-sync sync` processes started on a new SQLite store both created the tables."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", _REPLICA, database_url, str(barrier), f"replica-{n}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(barrier.glob("replica-*"))) < len(replicas) and time.monotonic() < deadline:
        time.sleep(0.01)
    (barrier / "go").touch()

    outcomes = [(replica, replica.communicate(timeout=60)[1]) for replica in replicas]
    assert [stderr for replica, stderr in outcomes if replica.returncode != 0] == []
    assert is_at_head(database_url)
    assert _schema_diff(database_url) == []
