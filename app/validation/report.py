"""A self-contained HTML report of a validation (and of a plan): inline CSS and SVG charts, no
script and nothing fetched, so it opens anywhere and can be attached to a ticket.

Every chart element carries its figure in `data-*` attributes (`data-tier`, `data-win-rate`,
`data-won`, `data-lost`, `data-count`), so a test can read back, from the rendered page, the
numbers a chart shows. Text is escaped: account names come from a CRM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app.validation.stats import Outcome

BIN_WIDTH = 10
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 560, 200, 8

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:60rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.3rem .6rem}
td.n{text-align:right}.warn{color:#8a4b00}svg text{font-size:11px}
.bar{fill:#3867d6}.won{fill:#20bf6b}.lost{fill:#eb3b5a}
"""


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
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{validation['closed']} closed deals, {validation['won']} won "
        f"(base win rate {_pct(validation['base_win_rate'])}); ROC AUC "
        f"{_num(validation['auc'])}{_interval(validation.get('auc_interval'))}.</p>",
    ]
    parts += [f"<p class='warn'>⚠ {escape(w)}</p>" for w in validation["warnings"]]
    parts += ["<h2>Win rate by tier</h2>", _tier_chart(validation["tiers"])]
    parts += [
        "<h2>Score distribution: won (green) vs lost (red), by 10-point bin</h2>",
        _histogram_chart(histogram),
    ]
    if plan is not None:
        parts += ["<h2>Tier transitions</h2>", _transitions(plan["transitions"])]
    parts.append("</body></html>")
    return "".join(parts)


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


def _transitions(matrix: Mapping[str, Mapping[str, int]]) -> str:
    tiers = sorted({t for row in matrix.values() for t in row} | set(matrix))
    head = "".join(f"<th>{escape(t)}</th>" for t in tiers)
    rows = "".join(
        f"<tr><th>{escape(before)}</th>"
        + "".join(
            f"<td class='n' data-from='{escape(before)}' data-to='{escape(after)}' "
            f"data-count='{matrix.get(before, {}).get(after, 0)}'>"
            f"{matrix.get(before, {}).get(after, 0)}</td>"
            for after in tiers
        )
        + "</tr>"
        for before in tiers
    )
    return f"<table id='tier-transitions'><tr><th>now ↓ / new →</th>{head}</tr>{rows}</table>"


def _svg(chart_id: str, body: str) -> str:
    return (
        f"<svg id='{chart_id}' xmlns='http://www.w3.org/2000/svg' width='{CHART_WIDTH}' "
        f"height='{CHART_HEIGHT}' role='img'>{body}</svg>"
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _interval(interval: Sequence[float] | None) -> str:
    return "" if not interval else f" (95% interval {interval[0]:.3f}–{interval[1]:.3f})"
