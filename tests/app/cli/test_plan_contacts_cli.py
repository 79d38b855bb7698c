"""`icp-sync plan` on a store with HubSpot contacts whose answer is known
(tests/support/contact_store.py): dropping the rubric's seniority criterion moves the junior
contacts up to tier 1, and the plan reports that movement, and both rubrics' figures on the
contacts' own deals, apart from the accounts' (which do not move), in the JSON, the terminal,
the CSV and the HTML."""

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
from tests.support import contact_store
from tests.support.contact_store import JUNIORS
from tests.support.report_html import read_figures

SECTION = "<section data-population='contacts'>"
MOVED = {"tier_1": {"tier_1": 4}, "tier_3": {"tier_1": 4, "tier_3": 1}}
"""Contacts: the seniors stay tier 1, the juniors at a company join them, the lone one stays."""


@pytest.fixture
def current(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Path]:
    """The known store; yields the rubric in use (judging contacts on their seniority)."""
    contact_store.fill(sessions)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield contact_store.seniority_rubric(tmp_path)
    get_settings.cache_clear()


def run(current: Path, *arguments: str) -> Any:
    command = ["plan", "--current", str(current), "--rubric", str(DEFAULT_RUBRIC_PATH)]
    result = CliRunner().invoke(cli, [*command, *arguments])
    assert result.exit_code == 0, result.stderr
    return result


def test_given_a_rubric_moving_contacts_when_planned_then_their_movement_is_reported_apart(
    current: Path,
) -> None:
    report = json.loads(run(current, "--json").stdout)

    assert (report["accounts"], report["changed"]) == (4, 0)
    assert report["transitions"] == {"tier_1": {"tier_1": 4}}
    contacts = report["contacts"]
    assert (contacts["contacts"], contacts["transitions"]) == (9, MOVED)
    moved = {c["crm_id"] for c in contacts["changes"] if c["tier_before"] != c["tier_after"]}
    assert moved == set(JUNIORS)
    assert {c["object_type"] for c in contacts["changes"]} == {"contact"}
    champion, challenger = contacts["validation"]["champion"], contacts["validation"]["challenger"]
    assert (champion["closed"], champion["auc"]) == (9, 1.0)
    assert challenger["auc"] < champion["auc"]  # the juniors' lost deals now score as the won


def test_given_contacts_when_planned_in_the_terminal_then_their_transitions_follow(
    current: Path,
) -> None:
    out = run(current).stdout

    assert "0 of 4 accounts change" in out
    assert "8 of 9 contacts change" in out
    assert out.index("0 of 4 accounts change") < out.index("Contacts: tier transitions")
    assert "Validation on contacts' closed deals (resampled by company)" in out


def test_given_contacts_into_disqualified_when_planned_with_csv_then_they_are_listed_too(
    current: Path, tmp_path: Path
) -> None:
    strict = tmp_path / "strict.yaml"
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    assert "less_than: 10\n" in text
    strict.write_text(text.replace("less_than: 10\n", "less_than: 1000\n"), encoding="utf-8")
    table = tmp_path / "changes.csv"

    result = CliRunner().invoke(
        cli,
        ["plan", "--current", str(current), "--rubric", str(strict), "--json", "--csv", str(table)],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)

    # every company (500 employees) and the eight contacts borrowing from one
    contacts = report["contacts"]
    assert len(report["newly_disqualified"]) == 4
    assert {c["crm_id"] for c in contacts["newly_disqualified"]} == set(
        contact_store.SENIORS + JUNIORS
    )
    with table.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert sorted((r["object_type"], r["crm_id"]) for r in rows) == sorted(
        [("company", c) for c in contact_store.COMPANIES]
        + [("contact", c) for c in contact_store.SENIORS + JUNIORS]
    )


def test_given_contacts_when_planned_as_html_then_their_section_matches_the_json(
    current: Path, tmp_path: Path
) -> None:
    page = tmp_path / "plan.html"
    report = json.loads(run(current, "--json", "--html", str(page)).stdout)

    section = page.read_text(encoding="utf-8").split(SECTION)[1]
    figures = read_figures(section)
    contacts = report["contacts"]
    summary = figures.tables["plan-summary"][(None, None)]
    assert (summary["contacts"], summary["changed"]) == (9, contacts["changed"])
    shown = {key: cell["count"] for key, cell in figures.tables["transitions"].items()}
    assert {k: v for k, v in shown.items() if v} == {
        (before, after): n for before, row in MOVED.items() for after, n in row.items()
    }
    side = figures.tables["side-by-side"]
    for name in ("champion", "challenger"):
        assert side[("auc", name)] == {"auc": contacts["validation"][name]["auc"]}
