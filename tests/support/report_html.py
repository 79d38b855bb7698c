"""Reads the figures back from an HTML report (app/validation/report.py), from the file as
written or from the DOM a browser rendered, and checks them against the report's JSON."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.support.browser import CHROMIUM_FLAGS, chromium_executable

Cell = tuple[str | None, str | None]
"""(data-row, data-column) of a figure; (None, None) for a table's own figures (a count)."""


class FigureReader(HTMLParser):
    """`tables[data-table][(data-row, data-column)][data-field]` = the JSON `data-value`, and
    the order rows first appeared in, per table."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[Cell, dict[str, Any]]] = {}
        self.rows: dict[str, list[str]] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._column: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "data-table" in found:
            self._table, self._row, self._column = found["data-table"], None, None
            assert self._table not in self.tables, f"two tables named {self._table}"
            self.tables[self._table], self.rows[self._table] = {}, []
        if tag == "tr" or "data-row" in found:
            self._row, self._column = found.get("data-row"), None
            if self._row is not None and self._table is not None:
                assert self._row not in self.rows[self._table], f"{self._table}: {self._row} twice"
                self.rows[self._table].append(self._row)
        if tag in ("td", "th"):
            self._column = found.get("data-column")
        if "data-field" in found:
            assert self._table is not None, f"{found['data-field']} outside a data-table"
            figures = self.tables[self._table].setdefault((self._row, self._column), {})
            assert found["data-field"] not in figures, f"{self._table}: {found} twice"
            figures[found["data-field"]] = json.loads(found["data-value"])


def read_figures(page: str) -> FigureReader:
    reader = FigureReader()
    reader.feed(page)
    reader.close()
    return reader


def as_json(value: Any) -> Any:
    """A value as the JSON output holds it (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


def assert_rows(
    figures: FigureReader,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    key: str | None,
    *,
    required: Sequence[str],
) -> None:
    """Every JSON row is on the page, in order, nothing else is, each shown figure equals the
    JSON's, and at least the `required` figures are shown. Rows are keyed by their `key`
    field, or by position when `key` is None."""
    assert table in figures.tables, f"no {table} table on the page"
    keys = [str(row[key]) if key else str(index) for index, row in enumerate(rows)]
    assert figures.rows[table] == keys, table
    for row_key, row in zip(keys, rows, strict=True):
        shown = figures.tables[table].get((row_key, None), {})
        assert set(required) <= set(shown), f"{table}/{row_key}: {sorted(shown)}"
        for field, value in shown.items():
            assert value == as_json(row.get(field)), f"{table}/{row_key}/{field}"


def assert_validation_figures(figures: FigureReader, report: Mapping[str, Any]) -> None:
    """Every table of `validate --html` against `validate --json`."""
    summary = figures.tables["summary"][(None, None)]
    for field in ("closed", "won", "lost", "base_win_rate", "auc", "auc_interval"):
        assert summary[field] == as_json(report[field]), field
    assert_rows(
        figures, "tiers", report["tiers"], "tier", required=("won", "lost", "closed", "lift")
    )
    if report["criteria"]:
        assert_rows(
            figures,
            "criteria",
            report["criteria"],
            "criterion",
            required=("high_closed", "high_win_rate", "low_closed", "low_win_rate", "difference"),
        )
    if report["disqualifiers"]:
        assert_rows(
            figures,
            "disqualifiers",
            report["disqualifiers"],
            "flag",
            required=("flagged", "won_thrown_away", "precision"),
        )
    quarters = figures.tables["quarters"]
    for row in report["quarters"]:
        shown = quarters[(row["quarter"], row["tier"])]
        assert shown == {f: row[f] for f in ("win_rate", "won", "closed")}, row
    assert len(quarters) == len(report["quarters"])
    if report["warnings"]:
        warnings = [{"warning": w} for w in report["warnings"]]
        assert_rows(figures, "warnings", warnings, None, required=("warning",))
    else:
        assert "warnings" not in figures.tables
    if "verdicts" in report:
        assert_verdicts(figures, "verdicts", report["verdicts"])


def assert_verdicts(
    figures: FigureReader, table: str, verdicts: Sequence[Mapping[str, Any]]
) -> None:
    """Every verdict, significant ones first, the rest in the JSON's order."""
    ordered = sorted(verdicts, key=lambda v: not v["significant"])
    assert_rows(
        figures, table, ordered, None, required=("kind", "subject", "significant", "message")
    )


def assert_plan_figures(figures: FigureReader, report: Mapping[str, Any], shown: int) -> None:
    """Every table of `plan --html` against `plan --json`; `shown` accounts are listed into
    and out of disqualified, with the count of all."""
    summary = figures.tables["plan-summary"][(None, None)]
    assert summary["accounts"] == report["accounts"]
    assert summary["changed"] == report["changed"]
    assert summary["newly_disqualified"] == len(report["newly_disqualified"])
    assert summary["no_longer_disqualified"] == len(report["no_longer_disqualified"])
    transitions = figures.tables["transitions"]
    assert sum(cell["count"] for cell in transitions.values()) == report["accounts"]
    for (before, after), cell in transitions.items():
        assert cell["count"] == report["transitions"].get(before, {}).get(after, 0)
    change_fields = (
        "source",
        "object_type",
        "crm_id",
        "name",
        "tier_before",
        "tier_after",
        "score_before",
        "score_after",
        "flags_added",
        "flags_removed",
    )
    assert_rows(figures, "changes", report["changes"], None, required=change_fields)
    assert figures.tables["changes"][(None, None)]["count"] == report["changed"]
    for table, key in (
        ("newly-disqualified", "newly_disqualified"),
        ("no-longer-disqualified", "no_longer_disqualified"),
    ):
        assert figures.tables[table][(None, None)]["count"] == len(report[key])
        listed = report[key][:shown]
        assert_rows(figures, table, listed, None, required=change_fields)
    discarded = [*report["discarded"]["by_flag"], report["discarded"]["total"]]
    assert_rows(
        figures,
        "discarded",
        discarded,
        None,
        required=("flag", "accounts", "won_deals", "revenue", "won_deals_without_amount"),
    )
    side = figures.tables["side-by-side"]
    tiers = figures.tables["side-by-side-tiers"]
    for name in ("champion", "challenger"):
        figures_of = report["validation"][name]
        for field in ("closed", "won", "base_win_rate", "auc", "auc_interval"):
            assert side[(field, name)] == {field: as_json(figures_of[field])}, (name, field)
        for row in figures_of["tiers"]:
            shown_row = tiers[(row["tier"], name)]
            assert {"win_rate", "closed", "won", "lift"} <= set(shown_row)
            for field, value in shown_row.items():
                assert value == as_json(row[field]), (name, row["tier"], field)
        if "verdicts" in figures_of:
            assert_verdicts(figures, f"verdicts-{name}", figures_of["verdicts"])


def rendered_dom(page: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium built from the page; without chromium, skipped or failed as
    `tests.support.browser.chromium_executable` decides."""
    result = subprocess.run(
        [
            chromium_executable(),
            "--headless",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout
