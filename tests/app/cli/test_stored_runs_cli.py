"""`icp-sync validate` and `icp-sync plan` keep each run in the store (app.validation.runs) for
the dashboard: the very document `--json` prints (a plan's lists cut, with their counts), on
the plan store whose answer is known (tests/support/plan_store.py), SQLite and PostgreSQL. A
store that cannot take the run leaves the command's answer as it was."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import DEFAULT_RUBRIC_PATH
from app.settings import get_settings
from app.store.engine import make_engine
from app.validation import runs
from app.validation.runs import HISTOGRAM, PLAN, VALIDATE, StoredRun, latest_plans, latest_run
from tests.support import plan_store
from tests.support.rubric_dir import CHALLENGER_VERSION, CHAMPION_VERSION, rubric_dir

STRICT_VERSION = "2026.12-strict"


@pytest.fixture
def store(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Path]:
    """The known store; yields the challenger rubric's path (outside any rubric directory)."""
    plan_store.fill(sessions)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    monkeypatch.delenv("ICP_SYNC_RUBRIC_DIR", raising=False)
    get_settings.cache_clear()
    yield plan_store.challenger_rubric(tmp_path)
    get_settings.cache_clear()


def invoke(*arguments: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exit_code == 0, result.stderr
    printed: dict[str, Any] = json.loads(result.stdout)
    return printed


def plan(challenger: Path, *arguments: str) -> dict[str, Any]:
    current = ["--current", str(DEFAULT_RUBRIC_PATH)]
    return invoke("plan", *current, "--rubric", str(challenger), "--json", *arguments)


def charted(report: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """`report` without its score distribution, once that counts each closed deal of
    `figures` (the validation it charts) once, won and lost apart."""
    bins = report.pop(HISTOGRAM)
    assert [start for start, _, _ in bins] == list(range(0, 100, 10))
    assert sum(won for _, won, _ in bins) == sum(t["won"] for t in figures["tiers"])
    assert sum(won + lost for _, won, lost in bins) == sum(t["closed"] for t in figures["tiers"])
    return report


def latest(sessions: sessionmaker[Session], kind: str, **options: Any) -> StoredRun:
    with sessions() as session:
        found = latest_run(session, kind, **options)
    assert found is not None
    return found


def test_given_a_store_when_validated_then_the_run_stored_is_the_document_printed(
    store: Path, sessions: sessionmaker[Session]
) -> None:
    printed = invoke("validate", "--json")

    stored = latest(sessions, VALIDATE)
    assert charted(stored.report, printed) == printed
    assert (stored.kind, stored.trigger) == ("validate", "cli")
    assert (stored.rubric_name, stored.rubric_version) == (None, CHAMPION_VERSION)
    assert (stored.source, stored.since, stored.challenger_name) == (None, None, None)
    assert stored.started_at <= stored.finished_at


def test_given_filters_when_validated_then_the_run_records_them_apart_from_the_whole_stores(
    store: Path, sessions: sessionmaker[Session]
) -> None:
    whole = invoke("validate", "--json")
    filtered = invoke("validate", "--json", "--source", "hubspot", "--since", "2026-09-01")

    assert charted(latest(sessions, VALIDATE).report, whole) == whole
    newest = latest(sessions, VALIDATE, include_filtered=True)
    assert charted(newest.report, filtered) == filtered
    assert (newest.source, newest.since) == ("hubspot", date(2026, 9, 1))


def test_given_a_plan_then_the_run_stored_is_the_document_printed_with_each_list_counted(
    store: Path, sessions: sessionmaker[Session]
) -> None:
    printed = plan(store, "--limit", "5")

    stored = latest(sessions, PLAN)
    assert charted(stored.report, printed["validation"]["challenger"]) == printed | {
        "newly_disqualified_count": len(plan_store.NEWLY_DISQUALIFIED),
        "no_longer_disqualified_count": len(plan_store.NO_LONGER_DISQUALIFIED),
        "changes_count": printed["changed"],
    }
    assert len(stored.report["changes"]) == 5
    assert (stored.rubric_version, stored.challenger_version) == (CHAMPION_VERSION, STRICT_VERSION)
    assert stored.challenger_name is None  # a file outside the rubric directory


def test_given_more_changes_than_kept_when_planned_then_the_stored_lists_stop_there(
    store: Path, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "KEPT", 10)

    printed = plan(store, "--limit", "30")

    report = latest(sessions, PLAN).report
    assert len(printed["newly_disqualified"]) == len(plan_store.NEWLY_DISQUALIFIED)
    assert report["newly_disqualified"] == printed["newly_disqualified"][:10]
    assert report["newly_disqualified_count"] == len(plan_store.NEWLY_DISQUALIFIED)
    assert report["changes"] == printed["changes"][:10]
    assert report["changes_count"] == printed["changed"] > 10
    assert report["no_longer_disqualified"] == printed["no_longer_disqualified"]


def test_given_a_rubric_directory_when_planned_then_the_run_names_its_champion_and_challenger(
    store: Path,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    folder = rubric_dir(tmp_path / "rubrics")
    monkeypatch.setenv("ICP_SYNC_RUBRIC_DIR", str(folder))
    get_settings.cache_clear()

    invoke("plan", "--rubric", str(folder / "challenger.yaml"), "--json")
    invoke("plan", "--rubric", str(store), "--json")  # not of the directory

    with sessions() as session:
        plans = latest_plans(session)
    assert list(plans) == ["challenger"]
    named = plans["challenger"]
    assert (named.rubric_name, named.challenger_version) == ("champion", CHALLENGER_VERSION)
    assert latest(sessions, PLAN).challenger_name is None


def _drop_runs_table(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE validation_runs"))
    finally:
        engine.dispose()


def test_given_a_store_that_cannot_take_the_run_then_validate_and_plan_answer_and_warn(
    store: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _drop_runs_table(database_url)  # the store fails every write of a run

    with caplog.at_level(logging.WARNING, logger=runs.__name__):
        validated = invoke("validate", "--json")
        planned = plan(store)

    assert validated["rubric_version"] == planned["champion_version"] == CHAMPION_VERSION
    assert planned["accounts"] > 0
    assert "the validate run was not stored" in caplog.text
    assert "the plan run was not stored" in caplog.text


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_given_a_read_only_postgresql_store_when_validated_then_the_command_answers_and_warns(
    store: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    read_only = f"{database_url}?options=-c%20default_transaction_read_only%3Don"
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", read_only)
    get_settings.cache_clear()

    with caplog.at_level(logging.WARNING, logger=runs.__name__):
        printed = invoke("validate", "--json")

    assert printed["rubric_version"] == CHAMPION_VERSION
    assert "ReadOnlySqlTransaction" in caplog.text
