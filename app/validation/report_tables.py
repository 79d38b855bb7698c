"""The HTML tables of one validation: summary, verdicts, warnings, and the win rates by tier,
criterion, disqualifier and quarter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app.validation.figures import num, num_interval, pct, pct_interval, ratio
from app.validation.report_cells import Column, attr, cell, span


def summary_paragraph(validation: Mapping[str, Any]) -> str:
    return (
        "<p data-table='summary'>"
        + span("closed", validation["closed"], str)
        + " closed deals, "
        + span("won", validation["won"], str)
        + " won, "
        + span("lost", validation["lost"], str)
        + " lost (base win rate "
        + span("base_win_rate", validation["base_win_rate"], pct)
        + "); ROC AUC "
        + span("auc", validation["auc"], num)
        + " (95% interval "
        + span("auc_interval", validation.get("auc_interval"), num_interval)
        + ").</p>"
    )


def verdicts_list(table: str, verdicts: Sequence[Mapping[str, Any]]) -> str:
    """Significant verdicts first, each group in the order given."""
    if not verdicts:
        return f"<p data-table='{table}'>No verdict: none of the rules fired.</p>"
    ordered = sorted(verdicts, key=lambda v: not v.get("significant"))
    items = []
    for index, verdict in enumerate(ordered):
        significant = bool(verdict.get("significant"))
        css = " class='significant'" if significant else ""
        items.append(
            f"<li data-row='{index}'{css}>"
            + span("significant", verdict.get("significant"), _significance, "mark")
            + " "
            + span("message", verdict.get("message"), str)
            + " <span class='kind'>("
            + span("kind", verdict.get("kind"), str)
            + ": "
            + span("subject", verdict.get("subject"), str)
            + ")</span></li>"
        )
    return f"<ul data-table='{table}'>{''.join(items)}</ul>"


def warnings_list(warnings: Sequence[str]) -> list[str]:
    if not warnings:
        return []
    items = "".join(
        f"<li data-row='{index}'>⚠ {span('warning', warning, str)}</li>"
        for index, warning in enumerate(warnings)
    )
    return ["<h2>Warnings</h2>", f"<ul class='warn' data-table='warnings'>{items}</ul>"]


def _rows_table(
    table: str,
    key: str,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    key_heading: str,
) -> str:
    """One row per JSON row, keyed by its `key`; the columns whose key some row has, then
    any figure a row has and the columns do not name (a newer statistic), so nothing the JSON
    holds is left off the page."""
    known = {key} | {c[0] for c in columns}
    shown = [c for c in columns if any(c[0] in row for row in rows)]
    extra = sorted({k for row in rows for k in row} - known)
    shown += [(k, k.replace("_", " "), _any) for k in extra]
    head = f"<tr><th>{escape(key_heading)}</th>" + "".join(
        f"<th>{escape(heading)}</th>" for _, heading, _ in shown
    )
    body = "".join(
        f"<tr data-row='{attr(row[key])}'><th>{escape(str(row[key]))}</th>"
        + "".join(cell(field, row.get(field), fmt) for field, _, fmt in shown)
        + "</tr>"
        for row in rows
    )
    return f"<table data-table='{table}'>{head}</tr>{body}</table>"


def tiers_table(tiers: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("won", "won", str),
        ("lost", "lost", str),
        ("closed", "closed", str),
        ("win_rate", "win rate", pct),
        ("win_rate_interval", "win rate: 95% interval", pct_interval),
        ("lift", "lift", ratio),
    ]
    return _rows_table("tiers", "tier", columns, tiers, key_heading="tier")


def criteria_table(criteria: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("high_won", "high: won", str),
        ("high_closed", "high: closed", str),
        ("high_win_rate", "high: win rate", pct),
        ("low_won", "low: won", str),
        ("low_closed", "low: closed", str),
        ("low_win_rate", "low: win rate", pct),
        ("difference", "difference", pct),
    ]
    if not criteria:
        return "<p data-table='criteria'>No criterion scored any closed deal.</p>"
    return _rows_table("criteria", "criterion", columns, criteria, key_heading="criterion")


def disqualifiers_table(disqualifiers: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("flagged", "flagged", str),
        ("won_thrown_away", "won thrown away", str),
        ("lost", "lost", str),
        ("precision", "precision", pct),
    ]
    if not disqualifiers:
        return "<p data-table='disqualifiers'>No disqualifier held on any closed deal.</p>"
    return _rows_table("disqualifiers", "flag", columns, disqualifiers, key_heading="disqualifier")


def quarters_table(quarters: Sequence[Mapping[str, Any]], tiers: Sequence[str]) -> str:
    cells: dict[str, dict[str, Mapping[str, Any]]] = {}
    for row in quarters:
        cells.setdefault(row["quarter"], {})[row["tier"]] = row
    if not cells:
        return "<p data-table='quarters'>No closed deal.</p>"
    columns = list(tiers) + sorted({t for row in cells.values() for t in row} - set(tiers))
    head = "<tr><th>quarter</th>" + "".join(f"<th>{escape(t)}</th>" for t in columns) + "</tr>"
    body = []
    for quarter, row in cells.items():
        body.append(f"<tr data-row='{attr(quarter)}'><th>{escape(quarter)}</th>")
        for tier in columns:
            found = row.get(tier)
            if found is None:
                body.append(f"<td class='n' data-column='{attr(tier)}'>—</td>")
                continue
            body.append(
                f"<td class='n' data-column='{attr(tier)}'>"
                + span("win_rate", found["win_rate"], pct)
                + " ("
                + span("won", found["won"], str)
                + " of "
                + span("closed", found["closed"], str)
                + ")</td>"
            )
        body.append("</tr>")
    return f"<table data-table='quarters'>{head}{''.join(body)}</table>"


def _significance(significant: bool | None) -> str:
    return "● significant" if significant else ""


def _any(value: Any) -> str:
    """A figure the report does not know yet: a rate-like float to 3 places, a pair as an
    interval, anything else as text."""
    if isinstance(value, float):
        return f"{value:.3f}"
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, float) for v in value)
    ):
        return f"{value[0]:.3f}–{value[1]:.3f}"
    return "—" if value is None else str(value)
