"""The report's inline SVG charts, win rate by tier and the score histogram, each bar
carrying its figures in ``data-*`` attributes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app.validation.figures import pct
from app.validation.records import Outcome

BIN_WIDTH = 10
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 560, 200, 8


def score_histogram(outcomes: Sequence[Outcome]) -> list[tuple[int, int, int]]:
    """(bin start, won, lost) per 10-point score bin, 0-9 … 90-100."""
    bins = {start: [0, 0] for start in range(0, 100, BIN_WIDTH)}
    for outcome in outcomes:
        start = min(max(outcome.score, 0) // BIN_WIDTH * BIN_WIDTH, 100 - BIN_WIDTH)
        bins[start][0 if outcome.won else 1] += 1
    return [(start, won, lost) for start, (won, lost) in bins.items()]


def tier_chart(tiers: Sequence[Mapping[str, Any]]) -> str:
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
            f"{pct(row['win_rate'])} of {row['closed']}</title></rect>"
            f"<text x='{x:.1f}' y='{CHART_HEIGHT - 2}'>{escape(row['tier'])} "
            f"{pct(row['win_rate'])}</text></g>"
        )
    return _svg("win-rate-by-tier", "Win rate of closed deals by tier", "".join(bars))


def histogram_chart(histogram: Sequence[tuple[int, int, int]]) -> str:
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
    return _svg("score-distribution", "Won and lost deals by 10-point score bin", "".join(bars))


def _svg(chart_id: str, label: str, body: str) -> str:
    return (
        f"<svg id='{chart_id}' xmlns='http://www.w3.org/2000/svg' width='{CHART_WIDTH}' "
        f"height='{CHART_HEIGHT}' role='img' aria-label='{escape(label)}'>{body}</svg>"
    )
