"""Inline SVG charts: no script, no library, readable by a screen reader (each chart is an
image with a label, and every page shows the same figures in a table beside it). Each mark
carries its figures in `data-*` attributes, which the browser tests compare with the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 36
PALETTE = 6
"""Series colours come from classes `s0` … `s5` of ui.css."""


def _svg(chart_id: str, label: str, body: str) -> str:
    return (
        f"<svg id='{escape(chart_id)}' class='chart' viewBox='0 0 {WIDTH} {HEIGHT}' "
        f"role='img' aria-label='{escape(label)}' xmlns='http://www.w3.org/2000/svg'>"
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def bar_chart(chart_id: str, label: str, bars: Sequence[tuple[str, float]], unit: str = "") -> str:
    """Horizontal bars, one per (name, value), longest = widest."""
    peak = max((value for _, value in bars), default=0) or 1
    row = (HEIGHT - 10) / max(len(bars), 1)
    marks = []
    for index, (name, value) in enumerate(bars):
        y = 5 + index * row
        width = value / peak * (WIDTH - 2 * PAD - 120)
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.1f}"
        marks.append(
            f"<g class='bar s{index % PALETTE}' data-name='{escape(name)}' data-value='{value}'>"
            f"<text x='0' y='{y + row * 0.6:.1f}'>{escape(name)}</text>"
            f"<rect x='120' y='{y + row * 0.15:.1f}' width='{width:.1f}' "
            f"height='{row * 0.7:.1f}'/><text x='{124 + width:.1f}' y='{y + row * 0.6:.1f}'>"
            f"{shown}{escape(unit)}</text></g>"
        )
    return _svg(chart_id, label, "".join(marks))


def line_chart(
    chart_id: str, label: str, days: Sequence[date], series: dict[str, list[int]]
) -> str:
    """One line per series over `days`, with a legend; the y axis starts at zero."""
    peak = max((max(values, default=0) for values in series.values()), default=0) or 1
    span = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return PAD + i / span * (WIDTH - 2 * PAD - 110)

    def y(value: int) -> float:
        return HEIGHT - PAD + 10 - value / peak * (HEIGHT - PAD - 10)

    marks = [
        f"<line class='axis' x1='{PAD}' y1='{y(0):.1f}' x2='{x(span):.1f}' y2='{y(0):.1f}'/>",
        f"<text class='tick' x='{PAD}' y='{HEIGHT - 4}'>{days[0] if days else ''}</text>",
        f"<text class='tick' x='{x(span) - 70:.1f}' y='{HEIGHT - 4}'>{days[-1] if days else ''}"
        "</text>",
        f"<text class='tick' x='0' y='{y(peak) + 4:.1f}'>{peak:,}</text>",
    ]
    for index, (name, values) in enumerate(series.items()):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        legend_y = 14 + index * 16
        marks.append(
            f"<g class='line s{index % PALETTE}' data-name='{escape(name)}' "
            f"data-last='{values[-1] if values else 0}'>"
            f"<polyline points='{points}'/>"
            f"<rect x='{WIDTH - 100}' y='{legend_y - 9}' width='10' height='10'/>"
            f"<text x='{WIDTH - 86}' y='{legend_y}'>{escape(name)}</text></g>"
        )
    return _svg(chart_id, label, "".join(marks))
