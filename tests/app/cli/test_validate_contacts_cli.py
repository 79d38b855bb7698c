"""`icp-sync validate` on a store with HubSpot contacts whose answer is known
(tests/support/contact_store.py): the contacts' figures beside the accounts' in the JSON, the
terminal and the HTML, counted on their own deals and resampled by company."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.settings import get_settings
from tests.support import contact_store
from tests.support.report_html import assert_validation_figures, read_figures

SECTION = "<section data-population='contacts'>"


@pytest.fixture
def rubric(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Path]:
    """The known store; yields the rubric judging contacts on their seniority."""
    contact_store.fill(sessions)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield contact_store.seniority_rubric(tmp_path)
    get_settings.cache_clear()


def run(*arguments: str) -> Any:
    result = CliRunner().invoke(cli, ["validate", *arguments])
    assert result.exit_code == 0, result.stderr
    return result


def test_given_seniors_winning_when_validated_then_the_contacts_separation_is_reported_apart(
    rubric: Path,
) -> None:
    report = json.loads(run("--rubric", str(rubric), "--json").stdout)

    contacts = report["contacts"]
    assert (contacts["closed"], contacts["won"], contacts["lost"]) == (9, 4, 5)
    assert (contacts["contacts"], contacts["companies"], contacts["without_company"]) == (9, 4, 1)
    assert contacts["accounts"] == 5  # resampled: the 4 companies and the contact without one
    tiers = {row["tier"]: row for row in contacts["tiers"]}
    assert (tiers["tier_1"]["won"], tiers["tier_1"]["closed"]) == (4, 4)
    assert (tiers["tier_3"]["won"], tiers["tier_3"]["closed"]) == (0, 5)
    assert contacts["auc"] == 1.0
    # the accounts' figures hold the companies' deals alone
    assert (report["closed"], report["won"], report["accounts"]) == (9, 5, 4)


def test_given_contacts_when_validated_in_the_terminal_then_their_section_follows(
    rubric: Path,
) -> None:
    out = run("--rubric", str(rubric)).stdout

    assert "from 9 contacts at 4 companies and 1 without one" in out
    assert "the 9 closed deals come from 5 companies" in out  # resampled by company
    assert out.index("from 4 accounts") < out.index("HubSpot contacts")
    assert out.count("score separates won from lost: ROC AUC 1.000") == 1  # the contacts


def test_given_contacts_when_validated_as_html_then_each_section_matches_its_json(
    rubric: Path, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    report = json.loads(run("--rubric", str(rubric), "--json", "--html", str(page)).stdout)

    accounts_part, contacts_part = page.read_text(encoding="utf-8").split(SECTION)
    assert_validation_figures(read_figures(accounts_part), report)
    figures = read_figures(contacts_part)
    assert_validation_figures(figures, report["contacts"])
    assert figures.tables["population"][(None, None)] == {
        "contacts": 9,
        "companies": 4,
        "without_company": 1,
    }
