"""A self-contained HTML report of a validation (and of a plan): inline CSS and SVG charts, no
script and nothing fetched, so it opens anywhere and can be attached to a ticket. It carries
every table the terminal shows.

Every figure on the page says what it is in `data-*` attributes, so a test can read back, from
the rendered page, exactly the numbers the JSON holds:

- `data-table` names a table (or list) of figures: `tiers`, `criteria`, `disqualifiers`,
  `quarters`, `verdicts`, `warnings`, `summary`; for a plan `plan-summary`, `transitions`,
  `changes`, `newly-disqualified`, `no-longer-disqualified`, `discarded`, `side-by-side`,
  `side-by-side-tiers`, `verdicts-champion`, `verdicts-challenger`;
- `data-row` (on a row) and `data-column` (on a cell) say where a figure sits: a tier, a
  criterion, a quarter, a rubric, or a position in a list (`0`, `1`, …);
- `data-field` names the figure as the JSON does and `data-value` holds its JSON value
  (`null` for none, a list for an interval): the text shown is only its formatting.

The charts keep their own attributes (`data-tier`, `data-win-rate`, `data-won`, `data-closed`,
`data-from`, `data-lost`, `data-count`). Every text is escaped: account names come from a CRM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from app.validation.plan import SHOWN
from app.validation.stats import Outcome

BIN_WIDTH = 10
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 560, 200, 8
LISTED_ALL = "plan --json and --csv list every one"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.3rem .6rem}
caption{text-align:left;padding:.2rem 0;color:#555}
td.n{text-align:right}.n,.t{white-space:nowrap}.warn{color:#8a4b00}svg text{font-size:11px}
.bar{fill:#3867d6}.won{fill:#20bf6b}.lost{fill:#eb3b5a}
.significant{font-weight:600}.mark{color:#b3261e}.kind{color:#555;font-size:.9em}
"""

Format = Callable[[Any], str]


def score_histogram(outcomes: Sequence[Outcome]) -> list[tuple[int, int, int]]:
    """(bin start, won, lost) per 10-point score bin, 0-9 … 90-100."""
    bins = {start: [0, 0] for start in range(0, 100, BIN_WIDTH)}
    for outcome in outcomes:
        start = min(max(outcome.score, 0) // BIN_WIDTH * BIN_WIDTH, 100 - BIN_WIDTH)
        bins[start][0 if outcome.won else 1] += 1
    return [(start, won, lost) for start, (won, lost) in bins.items()]


def render(
    title: str,
    validation: Mapping[str, Any],
    histogram: Sequence[tuple[int, int, int]],
    *,
    plan: Mapping[str, Any] | None = None,
) -> str:
    """The validation report; with `plan`, the plan report (whose charts show `validation`,
    the challenger's figures)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if plan is None:
        parts += _validation(validation, histogram)
    else:
        parts += _plan(plan, validation, histogram)
    parts.append("</body></html>")
    return "".join(parts)


def _validation(
    validation: Mapping[str, Any], histogram: Sequence[tuple[int, int, int]]
) -> list[str]:
    parts = [_summary(validation)]
    if "verdicts" in validation:
        parts += ["<h2>Verdicts</h2>", _verdicts("verdicts", validation["verdicts"])]
    parts += _warnings(validation["warnings"])
    parts += [
        "<h2>Win rate by tier</h2>",
        _tiers_table(validation["tiers"]),
        _tier_chart(validation["tiers"]),
        "<h2>Score distribution: won (green) vs lost (red), by 10-point bin</h2>",
        _histogram_chart(histogram),
        "<h2>Criteria: win rate when high (≥ 50 points) vs not</h2>",
        _criteria_table(validation["criteria"]),
        "<h2>Negative ICP: what it would have thrown away</h2>",
        _disqualifiers_table(validation["disqualifiers"]),
        "<h2>Win rate by tier and quarter (closed deals)</h2>",
        _quarters_table(validation["quarters"], [row["tier"] for row in validation["tiers"]]),
    ]
    return parts


def _plan(
    plan: Mapping[str, Any],
    charted: Mapping[str, Any],
    histogram: Sequence[tuple[int, int, int]],
) -> list[str]:
    champion, challenger = plan["validation"]["champion"], plan["validation"]["challenger"]
    tiers = [row["tier"] for row in champion["tiers"]]
    tiers += [row["tier"] for row in challenger["tiers"] if row["tier"] not in tiers]
    into, out_of = plan["newly_disqualified"], plan["no_longer_disqualified"]
    parts = [
        "<p data-table='plan-summary'>New rubric "
        + _span("challenger_version", plan["challenger_version"], str)
        + " against the current "
        + _span("champion_version", plan["champion_version"], str)
        + ": "
        + _span("changed", plan["changed"], str)
        + " of "
        + _span("accounts", plan["accounts"], str)
        + " accounts change, "
        + _span("newly_disqualified", len(into), str)
        + " newly disqualified, "
        + _span("no_longer_disqualified", len(out_of), str)
        + " no longer disqualified. Nothing was written.</p>"
    ]
    for name, label in (("challenger", "the new rubric"), ("champion", "the current rubric")):
        if "verdicts" in plan["validation"][name]:
            parts += [
                f"<h2>Verdicts on {label}</h2>",
                _verdicts(f"verdicts-{name}", plan["validation"][name]["verdicts"]),
            ]
    parts += [
        "<h2>Tier transitions</h2>",
        _transitions(plan["transitions"], tiers),
        "<h2>Won deals the new disqualifiers would have thrown away</h2>",
        _discarded(plan["discarded"]),
        "<h2>Validation on closed deals: current rubric vs new</h2>",
        _side_by_side(champion, challenger),
        _side_by_side_tiers(champion, challenger, tiers),
        "<h2>Largest changes</h2>",
        _changes("changes", plan["changes"], plan["changed"], "--limit lists more"),
        "<h2>Newly disqualified</h2>",
        _changes("newly-disqualified", into[:SHOWN], len(into), LISTED_ALL),
        "<h2>No longer disqualified</h2>",
        _changes("no-longer-disqualified", out_of[:SHOWN], len(out_of), LISTED_ALL),
        "<h2>New rubric: win rate by tier</h2>",
        _tier_chart(charted["tiers"]),
        "<h2>New rubric: score distribution, won (green) vs lost (red), by 10-point bin</h2>",
        _histogram_chart(histogram),
    ]
    return parts


def _summary(validation: Mapping[str, Any]) -> str:
    return (
        "<p data-table='summary'>"
        + _span("closed", validation["closed"], str)
        + " closed deals, "
        + _span("won", validation["won"], str)
        + " won, "
        + _span("lost", validation["lost"], str)
        + " lost (base win rate "
        + _span("base_win_rate", validation["base_win_rate"], _pct)
        + "); ROC AUC "
        + _span("auc", validation["auc"], _num)
        + " (95% interval "
        + _span("auc_interval", validation.get("auc_interval"), _num_interval)
        + ").</p>"
    )


def _verdicts(table: str, verdicts: Sequence[Mapping[str, Any]]) -> str:
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
            + _span("significant", verdict.get("significant"), _significance, "mark")
            + " "
            + _span("message", verdict.get("message"), str)
            + " <span class='kind'>("
            + _span("kind", verdict.get("kind"), str)
            + ": "
            + _span("subject", verdict.get("subject"), str)
            + ")</span></li>"
        )
    return f"<ul data-table='{table}'>{''.join(items)}</ul>"


def _warnings(warnings: Sequence[str]) -> list[str]:
    if not warnings:
        return []
    items = "".join(
        f"<li data-row='{index}'>⚠ {_span('warning', warning, str)}</li>"
        for index, warning in enumerate(warnings)
    )
    return ["<h2>Warnings</h2>", f"<ul class='warn' data-table='warnings'>{items}</ul>"]


Column = tuple[str, str, Format]
"""(JSON key, heading, formatting)."""


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
        f"<tr data-row='{_attr(row[key])}'><th>{escape(str(row[key]))}</th>"
        + "".join(_cell(field, row.get(field), fmt) for field, _, fmt in shown)
        + "</tr>"
        for row in rows
    )
    return f"<table data-table='{table}'>{head}</tr>{body}</table>"


def _tiers_table(tiers: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("won", "won", str),
        ("lost", "lost", str),
        ("closed", "closed", str),
        ("win_rate", "win rate", _pct),
        ("win_rate_interval", "win rate: 95% interval", _pct_interval),
        ("lift", "lift", _ratio),
    ]
    return _rows_table("tiers", "tier", columns, tiers, key_heading="tier")


def _criteria_table(criteria: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("high_won", "high: won", str),
        ("high_closed", "high: closed", str),
        ("high_win_rate", "high: win rate", _pct),
        ("low_won", "low: won", str),
        ("low_closed", "low: closed", str),
        ("low_win_rate", "low: win rate", _pct),
        ("difference", "difference", _pct),
    ]
    if not criteria:
        return "<p data-table='criteria'>No criterion scored any closed deal.</p>"
    return _rows_table("criteria", "criterion", columns, criteria, key_heading="criterion")


def _disqualifiers_table(disqualifiers: Sequence[Mapping[str, Any]]) -> str:
    columns: list[Column] = [
        ("flagged", "flagged", str),
        ("won_thrown_away", "won thrown away", str),
        ("lost", "lost", str),
        ("precision", "precision", _pct),
    ]
    if not disqualifiers:
        return "<p data-table='disqualifiers'>No disqualifier held on any closed deal.</p>"
    return _rows_table("disqualifiers", "flag", columns, disqualifiers, key_heading="disqualifier")


def _quarters_table(quarters: Sequence[Mapping[str, Any]], tiers: Sequence[str]) -> str:
    cells: dict[str, dict[str, Mapping[str, Any]]] = {}
    for row in quarters:
        cells.setdefault(row["quarter"], {})[row["tier"]] = row
    if not cells:
        return "<p data-table='quarters'>No closed deal.</p>"
    columns = list(tiers) + sorted({t for row in cells.values() for t in row} - set(tiers))
    head = "<tr><th>quarter</th>" + "".join(f"<th>{escape(t)}</th>" for t in columns) + "</tr>"
    body = []
    for quarter, row in cells.items():
        body.append(f"<tr data-row='{_attr(quarter)}'><th>{escape(quarter)}</th>")
        for tier in columns:
            found = row.get(tier)
            if found is None:
                body.append(f"<td class='n' data-column='{_attr(tier)}'>—</td>")
                continue
            body.append(
                f"<td class='n' data-column='{_attr(tier)}'>"
                + _span("win_rate", found["win_rate"], _pct)
                + " ("
                + _span("won", found["won"], str)
                + " of "
                + _span("closed", found["closed"], str)
                + ")</td>"
            )
        body.append("</tr>")
    return f"<table data-table='quarters'>{head}{''.join(body)}</table>"


def _transitions(matrix: Mapping[str, Mapping[str, int]], order: Sequence[str]) -> str:
    seen = {t for row in matrix.values() for t in row} | set(matrix)
    tiers = [t for t in order if t in seen] + sorted(seen - set(order))
    head = "".join(f"<th>{escape(t)}</th>" for t in tiers)
    rows = "".join(
        f"<tr data-row='{_attr(before)}'><th>{escape(before)}</th>"
        + "".join(
            f"<td class='n' data-from='{_attr(before)}' data-to='{_attr(after)}' "
            f"data-count='{matrix.get(before, {}).get(after, 0)}' data-column='{_attr(after)}' "
            f"data-field='count' data-value='{matrix.get(before, {}).get(after, 0)}'>"
            f"{matrix.get(before, {}).get(after, 0)}</td>"
            for after in tiers
        )
        + "</tr>"
        for before in tiers
    )
    return (
        f"<table id='tier-transitions' data-table='transitions'>"
        f"<tr><th>now ↓ / new →</th>{head}</tr>{rows}</table>"
    )


def _changes(table: str, changes: Sequence[Mapping[str, Any]], count: int, more: str) -> str:
    """The first accounts of a list, how many there are in all, and where to see `more`."""
    shown = len(changes)
    caption = (
        "<caption>"
        + (f"the first {shown} of " if shown < count else "all ")
        + _span("count", count, str)
        + " accounts"
        + (f" ({escape(more)})" if shown < count else "")
        + "</caption>"
    )
    if not count:
        return f"<table data-table='{table}'>{caption}</table>"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("crm", "type", "id", "name", "tier", "score", "flags added", "flags removed")
    )
    rows = "".join(
        f"<tr data-row='{index}'>"
        + _cell("source", change["source"], str, numeric=False)
        + _cell("object_type", change["object_type"], str, numeric=False)
        + _cell("crm_id", change["crm_id"], str, numeric=False)
        + _cell("name", change["name"], lambda n: n or "", numeric=False)
        + "<td class='t'>"
        + _span("tier_before", change["tier_before"], str)
        + " → "
        + _span("tier_after", change["tier_after"], str)
        + "</td><td class='n'>"
        + _span("score_before", change["score_before"], str)
        + " → "
        + _span("score_after", change["score_after"], str)
        + "</td>"
        + _cell("flags_added", change["flags_added"], _flags, numeric=False)
        + _cell("flags_removed", change["flags_removed"], _flags, numeric=False)
        + "</tr>"
        for index, change in enumerate(changes)
    )
    return f"<table data-table='{table}'>{caption}<tr>{head}</tr>{rows}</table>"


def _discarded(discarded: Mapping[str, Any]) -> str:
    rows = [*discarded["by_flag"], discarded["total"]]
    head = "".join(
        f"<th>{h}</th>"
        for h in ("new disqualifier", "accounts", "won deals", "revenue", "won deals, no amount")
    )
    body = "".join(
        f"<tr data-row='{index}'>"
        + _cell("flag", row["flag"], lambda f: f or "all (each deal once)", numeric=False)
        + _cell("accounts", row["accounts"], str)
        + _cell("won_deals", row["won_deals"], str)
        + _cell("revenue", row["revenue"], _money)
        + _cell("won_deals_without_amount", row["won_deals_without_amount"], str)
        + "</tr>"
        for index, row in enumerate(rows)
    )
    return (
        "<table data-table='discarded'><caption>Closed-won deals linked to the newly "
        "disqualified accounts; a deal counts once per flag and once in all.</caption>"
        f"<tr>{head}</tr>{body}</table>"
    )


def _side_by_side(champion: Mapping[str, Any], challenger: Mapping[str, Any]) -> str:
    rubrics = (("champion", champion), ("challenger", challenger))
    body = "".join(
        f"<tr data-row='{field}'><th>{escape(heading)}</th>"
        + "".join(
            f"<td class='n' data-column='{name}' data-field='{field}' "
            f"data-value='{_attr(figures.get(field))}'>{escape(fmt(figures.get(field)))}</td>"
            for name, figures in rubrics
        )
        + "</tr>"
        for field, heading, fmt in _OVERALL
    )
    return (
        "<table data-table='side-by-side'><tr><th>figure</th><th>current (champion)</th>"
        f"<th>new (challenger)</th></tr>{body}</table>"
    )


def _side_by_side_tiers(
    champion: Mapping[str, Any], challenger: Mapping[str, Any], tiers: Sequence[str]
) -> str:
    rubrics = (("champion", champion), ("challenger", challenger))
    by_tier = {name: {row["tier"]: row for row in figures["tiers"]} for name, figures in rubrics}
    body = []
    for tier in tiers:
        body.append(f"<tr data-row='{_attr(tier)}'><th>{escape(tier)}</th>")
        for name, _ in rubrics:
            row = by_tier[name].get(tier)
            if row is None:
                body.append(f"<td class='n' data-column='{name}'>—</td>")
                continue
            interval = (
                " [" + _span("win_rate_interval", row["win_rate_interval"], _pct_interval) + "]"
                if "win_rate_interval" in row
                else ""
            )
            body.append(
                f"<td class='n' data-column='{name}'>"
                + _span("win_rate", row["win_rate"], _pct)
                + interval
                + " of "
                + _span("closed", row["closed"], str)
                + ", "
                + _span("won", row["won"], str)
                + " won, lift "
                + _span("lift", row["lift"], _ratio)
                + "</td>"
            )
        body.append("</tr>")
    return (
        "<table data-table='side-by-side-tiers'><tr><th>tier: win rate of closed</th>"
        f"<th>current (champion)</th><th>new (challenger)</th></tr>{''.join(body)}</table>"
    )


def _tier_chart(tiers: Sequence[Mapping[str, Any]]) -> str:
    width = (CHART_WIDTH - BAR_GAP) / max(len(tiers), 1) - BAR_GAP
    bars = []
    for index, row in enumerate(tiers):
        rate = row["win_rate"] or 0.0
        height = rate * (CHART_HEIGHT - 30)
        x = BAR_GAP + index * (width + BAR_GAP)
        bars.append(
            f"<g class='tier' data-tier='{escape(row['tier'])}' "
            f"data-win-rate='{'' if row['win_rate'] is None else round(row['win_rate'], 4)}' "
            f"data-won='{row['won']}' data-closed='{row['closed']}'>"
            f"<rect class='bar' x='{x:.1f}' y='{CHART_HEIGHT - 15 - height:.1f}' "
            f"width='{width:.1f}' height='{height:.1f}'><title>{escape(row['tier'])}: "
            f"{_pct(row['win_rate'])} of {row['closed']}</title></rect>"
            f"<text x='{x:.1f}' y='{CHART_HEIGHT - 2}'>{escape(row['tier'])} "
            f"{_pct(row['win_rate'])}</text></g>"
        )
    return _svg("win-rate-by-tier", "".join(bars))


def _histogram_chart(histogram: Sequence[tuple[int, int, int]]) -> str:
    peak = max((max(won, lost) for _, won, lost in histogram), default=0) or 1
    width = (CHART_WIDTH - BAR_GAP) / max(len(histogram), 1) - BAR_GAP
    bars = []
    for index, (start, won, lost) in enumerate(histogram):
        x = BAR_GAP + index * (width + BAR_GAP)
        won_height = won / peak * (CHART_HEIGHT - 30)
        lost_height = lost / peak * (CHART_HEIGHT - 30)
        bars.append(
            f"<g class='bin' data-from='{start}' data-won='{won}' data-lost='{lost}'>"
            f"<rect class='won' x='{x:.1f}' y='{CHART_HEIGHT - 15 - won_height:.1f}' "
            f"width='{width / 2:.1f}' height='{won_height:.1f}'/>"
            f"<rect class='lost' x='{x + width / 2:.1f}' "
            f"y='{CHART_HEIGHT - 15 - lost_height:.1f}' width='{width / 2:.1f}' "
            f"height='{lost_height:.1f}'/><text x='{x:.1f}' y='{CHART_HEIGHT - 2}'>{start}"
            f"</text></g>"
        )
    return _svg("score-distribution", "".join(bars))


def _svg(chart_id: str, body: str) -> str:
    return (
        f"<svg id='{chart_id}' xmlns='http://www.w3.org/2000/svg' width='{CHART_WIDTH}' "
        f"height='{CHART_HEIGHT}' role='img'>{body}</svg>"
    )


def _attr(value: Any) -> str:
    """A value as an attribute: a string as is, anything else as JSON; escaped either way."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return escape(text, quote=True)


def _json_attr(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False), quote=True)


def _cell(field: str, value: Any, fmt: Format, *, numeric: bool = True) -> str:
    css = " class='n'" if numeric else ""
    return (
        f"<td{css} data-field='{field}' data-value='{_json_attr(value)}'>{escape(fmt(value))}</td>"
    )


def _span(field: str, value: Any, fmt: Format, css: str = "") -> str:
    css_class = f" class='{css}'" if css else ""
    return (
        f"<span{css_class} data-field='{field}' data-value='{_json_attr(value)}'>"
        f"{escape(fmt(value))}</span>"
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _num_interval(interval: Sequence[float] | None) -> str:
    return "—" if not interval else f"{interval[0]:.3f}–{interval[1]:.3f}"


def _pct_interval(interval: Sequence[float] | None) -> str:
    return "—" if not interval else f"{interval[0]:.1%}–{interval[1]:.1%}"


def _significance(significant: bool | None) -> str:
    return "● significant" if significant else ""


def _flags(flags: Sequence[str]) -> str:
    return ", ".join(flags)


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


_OVERALL: tuple[Column, ...] = (
    ("closed", "closed deals", str),
    ("won", "won", str),
    ("base_win_rate", "base win rate", _pct),
    ("auc", "ROC AUC", _num),
    ("auc_interval", "ROC AUC: 95% interval", _num_interval),
)
