"""The commands that only look at the store open it as it is: on a new store they neither
migrate it nor create its file, and say what to run instead (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import DEFAULT_RUBRIC_PATH
from app.settings import get_settings
from app.store.engine import make_engine
from app.store.migrate import head_revision

READ_ONLY = [
    ["inbox"],
    ["inbox", "replay", "--all-dead"],
    ["plan", "--rubric", str(DEFAULT_RUBRIC_PATH)],
    ["validate"],
    ["sync", "--dry-run"],
]


@pytest.fixture
def new_store(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A store no command ran on yet; on SQLite, in a folder that does not exist either."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{tmp_path / 'not-yet' / 'icp-sync.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", "pat-na1-never-called")
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    monkeypatch.setenv("COLUMNS", "300")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def _untouched(url: str, tmp_path: Path) -> bool:
    if url.startswith("sqlite"):
        return not (tmp_path / "not-yet").exists()
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_given_a_new_store_when_a_read_only_command_runs_then_it_says_to_upgrade_and_touches_nothing(
    new_store: str, tmp_path: Path, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, command)

    assert result.exit_code == 1, result.output
    assert " ".join(result.stderr.split()).endswith("has no tables yet: run `icp-sync db upgrade`")
    assert result.stdout == ""
    assert _untouched(new_store, tmp_path)


def test_given_a_new_store_when_db_current_runs_then_it_reports_empty_and_creates_nothing(
    new_store: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["db", "current"])

    assert result.exit_code == 0, result.output
    assert " ".join(result.stdout.split()).endswith(
        f"<empty> (head is {head_revision()}: run `icp-sync db upgrade`)"
    )
    assert _untouched(new_store, tmp_path)
