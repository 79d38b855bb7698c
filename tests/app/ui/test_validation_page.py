"""The Validation page shows the latest stored runs' own figures: the champion's validation
(verdicts, win rate per tier, charts) and each challenger's plan against it; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.rubric import load_rubric
from app.settings import Settings
from app.validation.nightly import validate_nightly
from app.validation.runs import StoredRun
from tests.support import plan_store
from tests.support.rubric_dir import CHALLENGER_VERSION, CHAMPION_VERSION, rubric_dir

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "ui-7f3c9e0b41d2a6c85e19b07d4f2a3c61"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def client(database_url: str, folder: Path | None) -> TestClient:
    settings = Settings(database_url=database_url, admin_token=SecretStr(TOKEN), rubric_dir=folder)
    return TestClient(create_app(settings))


@pytest.fixture
def stored(sessions: sessionmaker[Session], tmp_path: Path) -> tuple[Path, dict[str, StoredRun]]:
    plan_store.fill(sessions)
    folder = rubric_dir(tmp_path / "rubrics")
    runs = validate_nightly(
        sessions,
        load_rubric(folder / "champion.yaml"),
        {"challenger": load_rubric(folder / "challenger.yaml")},
        now=plan_store.NOW,
        champion_name="champion",
    )
    shutil.copy(folder / "challenger.yaml", folder / "later.yaml")  # not planned yet
    return folder, {run.kind: run for run in runs}


def test_given_stored_runs_when_the_page_is_shown_then_its_tiers_are_the_validations(
    database_url: str, stored: tuple[Path, dict[str, StoredRun]]
) -> None:
    folder, runs = stored
    with client(database_url, folder) as http:
        page = http.get("/ui/validation", headers=AUTH).text

    report = runs["validate"].report
    assert f"Rubric <strong>{CHAMPION_VERSION}</strong> (champion)" in page
    for tier in report["tiers"]:
        row = re.search(rf"<tr data-row='{tier['tier']}'>(.*?)</tr>", page, re.S)
        assert row is not None, tier["tier"]
        closed = re.search(r"data-field='closed' data-value='(\d+)'", row.group(1))
        assert closed is not None
        assert int(closed.group(1)) == tier["closed"]
    assert page.count("data-table='verdicts'") == 1
    assert "id='win-rate-by-tier'" in page
    won = sum(int(n) for n in re.findall(r"class='bin' data-from='\d+' data-won='(\d+)'", page))
    assert won == sum(tier["won"] for tier in report["tiers"]) > 0


def test_given_challengers_when_the_page_is_shown_then_each_plan_is_listed_or_said_missing(
    database_url: str, stored: tuple[Path, dict[str, StoredRun]]
) -> None:
    folder, runs = stored
    with client(database_url, folder) as http:
        page = http.get("/ui/validation", headers=AUTH).text
        plan_page = http.get("/ui/validation/plans/challenger", headers=AUTH)
        missing = http.get("/ui/validation/plans/later", headers=AUTH)

    plan = runs["plan"].report
    row = re.search(r'<tr data-challenger="challenger">(.*?)</tr>', page, re.S)
    assert row is not None
    assert CHALLENGER_VERSION in row.group(1)
    assert f"{plan['changed']:,} of {plan['accounts']:,}" in row.group(1)
    assert "Not planned yet: later." in page
    assert plan_page.status_code == 200
    summary = re.search(r"data-field='no_longer_disqualified' data-value='(\d+)'", plan_page.text)
    assert summary is not None
    assert int(summary.group(1)) == plan["no_longer_disqualified_count"] > 0
    assert missing.status_code == 404


def test_given_no_run_when_the_page_is_shown_then_it_says_how_runs_are_made(
    database_url: str,
) -> None:
    with client(database_url, None) as http:
        page = http.get("/ui/validation", headers=AUTH).text

    assert "No validation is stored yet" in page
    assert "No challenger" in page
