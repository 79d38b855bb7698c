from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import display_database_url, get_settings
from app.store.migrate import head_revision, is_at_head, upgrade_to_head

pytestmark = pytest.mark.slow  # icp-sync db as a process

ICP_SYNC = Path(sys.executable).with_name("icp-sync")
PASSWORD = "s3cret-pw"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings are read once per process (lru_cache): re-read them around every test."""
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's working directory
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _invoke(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Result:
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", url)
    return CliRunner().invoke(cli, ["db", *args])


def _run_icp_sync(url: str, *args: str) -> tuple[int, str]:
    """Exit code and stderr (line wrapping undone) of the installed `icp-sync` command."""
    env = os.environ | {"ICP_SYNC_DATABASE_URL": url}
    result = subprocess.run(
        [str(ICP_SYNC), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return result.returncode, " ".join((result.stderr + result.stdout).split())


def _unreachable_postgres_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://icp:{PASSWORD}@127.0.0.1:{port}/icp_sync"


def test_given_empty_database_when_db_upgrade_then_at_head_and_revisions_printed(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    result = _invoke(monkeypatch, database_url, "upgrade")

    assert (result.exit_code, result.exception) == (0, None)
    assert is_at_head(database_url)
    shown = display_database_url(database_url)
    assert result.stdout.strip() == f"{shown}: upgraded <empty> -> {head_revision()}"


def test_given_database_at_head_when_db_upgrade_json_then_from_and_to_are_head(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    upgrade_to_head(database_url)

    result = _invoke(monkeypatch, database_url, "upgrade", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "database": display_database_url(database_url),
        "from": head_revision(),
        "to": head_revision(),
    }


def test_given_database_when_db_current_json_then_revision_and_head_reported(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    before = _invoke(monkeypatch, database_url, "current", "--json")
    upgrade_to_head(database_url)
    after = _invoke(monkeypatch, database_url, "current", "--json")

    assert (before.exit_code, after.exit_code) == (0, 0)
    report = {"database": display_database_url(database_url), "head": head_revision()}
    assert json.loads(before.stdout) == report | {
        "revision": None,
        "at_head": False,
        "state": "empty",
    }
    assert json.loads(after.stdout) == report | {
        "revision": head_revision(),
        "at_head": True,
        "state": "current",
    }


def test_given_database_url_with_password_when_db_current_then_password_masked(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    with_password = make_url(postgres_url).set(password=PASSWORD)  # trust auth ignores it
    url = with_password.render_as_string(hide_password=False)

    result = _invoke(monkeypatch, url, "current")

    assert result.exit_code == 0
    assert PASSWORD not in result.output
    assert ":***@" in result.output


def test_given_malformed_url_when_db_upgrade_invoked_then_message_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _invoke(monkeypatch, "not a url", "upgrade")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ICP_SYNC_DATABASE_URL is not a database URL")
    assert result.stdout == ""


def test_given_file_that_is_not_a_database_when_db_upgrade_then_message_names_the_problem(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("these are not the tables you are looking for\n" * 100)

    result = _invoke(monkeypatch, f"sqlite:///{not_a_database}", "upgrade")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot use the database sqlite:///")
    assert result.stderr.rstrip().endswith("(ICP_SYNC_DATABASE_URL): file is not a database")


def test_given_malformed_url_when_icp_sync_db_upgrade_runs_then_message_no_traceback() -> None:
    exit_code, output = _run_icp_sync(f"postgresql://icp:{PASSWORD}@db:port/x", "db", "upgrade")

    assert exit_code == 1
    assert output.startswith("error: ICP_SYNC_DATABASE_URL is not a database URL")
    assert "Traceback" not in output
    assert PASSWORD not in output


def test_given_unreachable_database_when_icp_sync_db_upgrade_runs_then_clean_error() -> None:
    exit_code, output = _run_icp_sync(_unreachable_postgres_url(), "db", "upgrade")

    assert exit_code == 1
    assert output.startswith("error: cannot use the database postgresql+psycopg://icp:***@")
    assert "(ICP_SYNC_DATABASE_URL): connection failed" in output
    assert "Traceback" not in output
    assert PASSWORD not in output


def test_given_a_store_locked_by_another_writer_when_a_command_writes_then_a_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    upgrade_to_head(url)
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        exit_code, output = _run_icp_sync(url, "inbox", "replay", "--all-dead")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert exit_code == 1
    assert output.startswith("error: the store failed: database is locked; another process")
    assert "Traceback" not in output
    assert "UPDATE" not in output  # the statement (and its CRM data) is never shown
