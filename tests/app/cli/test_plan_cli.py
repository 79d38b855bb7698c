"""`icp-sync plan` on a store whose answer is known (tests/support/plan_store.py): every account
into and out of disqualified in the JSON and the CSV, the top of the list and the count in the
terminal and the HTML, the won deals and revenue the new disqualifiers would have thrown away,
and every HTML table read back (standard-library parser, no browser) against the JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import DEFAULT_RUBRIC_PATH
from app.settings import get_settings
from app.validation.plan import SHOWN
from app.validation.plan_csv import COLUMNS
from tests.support import plan_store
from tests.support.report_html import (
    assert_plan_figures,
    assert_validation_figures,
    read_figures,
    rendered_dom,
)


@pytest.fixture
def store(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Path]:
    """The known store; yields the challenger rubric's path."""
    plan_store.fill(sessions)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield plan_store.challenger_rubric(tmp_path)
    get_settings.cache_clear()


def run(*arguments: str) -> Any:
    result = CliRunner().invoke(cli, ["plan", "--current", str(DEFAULT_RUBRIC_PATH), *arguments])
    assert result.exit_code == 0, result.stderr
    return result


def test_given_more_newly_disqualified_than_the_limit_then_the_json_and_csv_list_every_one(
    store: Path, tmp_path: Path
) -> None:
    table = tmp_path / "changes.csv"

    report = json.loads(run("--rubric", str(store), "--json", "--csv", str(table)).stdout)

    assert [c["crm_id"] for c in report["newly_disqualified"]] == plan_store.NEWLY_DISQUALIFIED
    assert [c["crm_id"] for c in report["no_longer_disqualified"]] == ["A4"]
    assert len(report["changes"]) == 20  # --limit's default: the newly disqualified are not cut
    assert all(c["direction"] == "into" for c in report["newly_disqualified"])
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    expected = report["newly_disqualified"] + report["no_longer_disqualified"]
    assert len(rows) == 1 + len(expected)
    for row, change in zip(rows[1:], expected, strict=True):
        written = dict(zip(COLUMNS, row, strict=True))
        for column in ("direction", "source", "object_type", "crm_id", "tier_before", "tier_after"):
            assert written[column] == change[column]
        assert int(written["score_before"]) == change["score_before"]
        assert int(written["score_after"]) == change["score_after"]
        assert [f for f in written["flags_added"].split(";") if f] == change["flags_added"]
        assert [f for f in written["flags_removed"].split(";") if f] == change["flags_removed"]
    by_id = {row[COLUMNS.index("crm_id")]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert by_id["A1"]["name"] == "'" + plan_store.A1_NAME  # never read as a formula
    assert by_id["A3"]["name"] == plan_store.A3_NAME
    assert by_id["A3"]["flags_added"] == "too_small;sanctioned_country"
    assert by_id["A4"]["flags_removed"] == "excluded_industry"
    assert by_id["A4"]["direction"] == "out_of"


def test_given_new_disqualifiers_then_their_won_deals_and_revenue_are_reported(
    store: Path,
) -> None:
    report = json.loads(run("--rubric", str(store), "--json").stdout)

    assert report["discarded"] == plan_store.DISCARDED


def test_given_the_terminal_then_the_first_accounts_the_count_and_the_revenue_are_shown(
    store: Path,
) -> None:
    out = run("--rubric", str(store)).stdout

    total = len(plan_store.NEWLY_DISQUALIFIED)
    assert f"{total} newly disqualified, 1 no longer disqualified" in out
    assert f"Newly disqualified: the first {SHOWN} of {total}" in out
    assert "No longer disqualified: all 1" in out
    assert plan_store.A3_NAME in out
    assert plan_store.BULK[SHOWN - 4] in out  # the 50th listed (A1, A2, A3 come first)
    assert plan_store.BULK[SHOWN - 3] not in out
    assert "sanctioned_country" in out
    assert "8,000.00" in out
    assert "4,500.00" in out


def test_given_html_then_every_plan_table_matches_the_json_without_a_browser(
    store: Path, tmp_path: Path
) -> None:
    page = tmp_path / "plan.html"

    report = json.loads(run("--rubric", str(store), "--json", "--html", str(page)).stdout)

    text = page.read_text(encoding="utf-8")
    figures = read_figures(text)
    assert_plan_figures(figures, report, SHOWN)
    assert len(figures.rows["newly-disqualified"]) == SHOWN
    assert "<script>" not in text


@pytest.mark.slow  # starts a browser
def test_given_crm_names_with_markup_when_rendered_in_chromium_then_they_stay_text(
    store: Path, tmp_path: Path
) -> None:
    page = tmp_path / "plan.html"

    report = json.loads(run("--rubric", str(store), "--json", "--html", str(page)).stdout)
    dom = rendered_dom(page, tmp_path)

    figures = read_figures(dom)
    assert_plan_figures(figures, report, SHOWN)
    names = [row.get("name") for row in figures.tables["newly-disqualified"].values()]
    assert plan_store.A3_NAME in names
    assert "<script>" not in dom  # the name is text in the DOM, not an element


def test_given_html_then_every_validate_table_matches_the_json_without_a_browser(
    store: Path, tmp_path: Path
) -> None:
    page = tmp_path / "validate.html"
    result = CliRunner().invoke(cli, ["validate", "--json", "--html", str(page)])
    assert result.exit_code == 0, result.stderr

    assert_validation_figures(
        read_figures(page.read_text(encoding="utf-8")), json.loads(result.stdout)
    )


def test_given_an_unwritable_csv_path_then_the_error_names_the_option(
    store: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["plan", "--rubric", str(store), "--csv", str(tmp_path / "missing" / "x.csv")]
    )

    assert result.exit_code == 1
    assert "--csv" in result.stderr
    assert "Traceback" not in result.stderr
