"""How a figure is written, the same in the terminal and in the HTML report: a rate as
``61.2%``, a lift as ``1.40x``, an AUC to 3 places, an interval as its two bounds, and ``—`` for
a figure that is undefined (``None``)."""

from __future__ import annotations

from collections.abc import Sequence


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def num_interval(interval: Sequence[float] | None) -> str:
    return "—" if not interval else f"{interval[0]:.3f}–{interval[1]:.3f}"


def pct_interval(interval: Sequence[float] | None) -> str:
    return "—" if not interval else f"{interval[0]:.1%}–{interval[1]:.1%}"


def plural(noun: str) -> str:
    """The plural of the few nouns counted in sentences (an account, a company)."""
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
