"""The HTML tables of a plan: the tier transitions, the accounts that change, the won deals
the new disqualifiers would have thrown away, and both rubrics' figures side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app.validation.figures import money, num, num_interval, pct, pct_interval, ratio
from app.validation.report_cells import Column, attr, cell, span


def transitions_table(matrix: Mapping[str, Mapping[str, int]], order: Sequence[str]) -> str:
    seen = {t for row in matrix.values() for t in row} | set(matrix)
    tiers = [t for t in order if t in seen] + sorted(seen - set(order))
    head = "".join(f"<th>{escape(t)}</th>" for t in tiers)
    rows = "".join(
        f"<tr data-row='{attr(before)}'><th>{escape(before)}</th>"
        + "".join(
            f"<td class='n' data-from='{attr(before)}' data-to='{attr(after)}' "
            f"data-count='{matrix.get(before, {}).get(after, 0)}' data-column='{attr(after)}' "
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


def changes_table(table: str, changes: Sequence[Mapping[str, Any]], count: int, more: str) -> str:
    """The first accounts of a list, how many there are in all, and where to see `more`."""
    shown = len(changes)
    caption = (
        "<caption>"
        + (f"the first {shown} of " if shown < count else "all ")
        + span("count", count, str)
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
        + cell("source", change["source"], str, numeric=False)
        + cell("object_type", change["object_type"], str, numeric=False)
        + cell("crm_id", change["crm_id"], str, numeric=False)
        + cell("name", change["name"], lambda n: n or "", numeric=False)
        + "<td class='t'>"
        + span("tier_before", change["tier_before"], str)
        + " → "
        + span("tier_after", change["tier_after"], str)
        + "</td><td class='n'>"
        + span("score_before", change["score_before"], str)
        + " → "
        + span("score_after", change["score_after"], str)
        + "</td>"
        + cell("flags_added", change["flags_added"], _flags, numeric=False)
        + cell("flags_removed", change["flags_removed"], _flags, numeric=False)
        + "</tr>"
        for index, change in enumerate(changes)
    )
    return f"<table data-table='{table}'>{caption}<tr>{head}</tr>{rows}</table>"


def discarded_table(discarded: Mapping[str, Any]) -> str:
    rows = [*discarded["by_flag"], discarded["total"]]
    head = "".join(
        f"<th>{h}</th>"
        for h in ("new disqualifier", "accounts", "won deals", "revenue", "won deals, no amount")
    )
    body = "".join(
        f"<tr data-row='{index}'>"
        + cell("flag", row["flag"], lambda f: f or "all (each deal once)", numeric=False)
        + cell("accounts", row["accounts"], str)
        + cell("won_deals", row["won_deals"], str)
        + cell("revenue", row["revenue"], money)
        + cell("won_deals_without_amount", row["won_deals_without_amount"], str)
        + "</tr>"
        for index, row in enumerate(rows)
    )
    return (
        "<table data-table='discarded'><caption>Closed-won deals linked to the newly "
        "disqualified accounts; a deal counts once per flag and once in all.</caption>"
        f"<tr>{head}</tr>{body}</table>"
    )


def side_by_side_table(champion: Mapping[str, Any], challenger: Mapping[str, Any]) -> str:
    rubrics = (("champion", champion), ("challenger", challenger))
    body = "".join(
        f"<tr data-row='{field}'><th>{escape(heading)}</th>"
        + "".join(
            f"<td class='n' data-column='{name}' data-field='{field}' "
            f"data-value='{attr(figures.get(field))}'>{escape(fmt(figures.get(field)))}</td>"
            for name, figures in rubrics
        )
        + "</tr>"
        for field, heading, fmt in _OVERALL
    )
    return (
        "<table data-table='side-by-side'><tr><th>figure</th><th>current (champion)</th>"
        f"<th>new (challenger)</th></tr>{body}</table>"
    )


def side_by_side_tiers_table(
    champion: Mapping[str, Any], challenger: Mapping[str, Any], tiers: Sequence[str]
) -> str:
    rubrics = (("champion", champion), ("challenger", challenger))
    by_tier = {name: {row["tier"]: row for row in figures["tiers"]} for name, figures in rubrics}
    body = []
    for tier in tiers:
        body.append(f"<tr data-row='{attr(tier)}'><th>{escape(tier)}</th>")
        for name, _ in rubrics:
            row = by_tier[name].get(tier)
            if row is None:
                body.append(f"<td class='n' data-column='{name}'>—</td>")
                continue
            interval = (
                " [" + span("win_rate_interval", row["win_rate_interval"], pct_interval) + "]"
                if "win_rate_interval" in row
                else ""
            )
            body.append(
                f"<td class='n' data-column='{name}'>"
                + span("win_rate", row["win_rate"], pct)
                + interval
                + " of "
                + span("closed", row["closed"], str)
                + ", "
                + span("won", row["won"], str)
                + " won, lift "
                + span("lift", row["lift"], ratio)
                + "</td>"
            )
        body.append("</tr>")
    return (
        "<table data-table='side-by-side-tiers'><tr><th>tier: win rate of closed</th>"
        f"<th>current (champion)</th><th>new (challenger)</th></tr>{''.join(body)}</table>"
    )


def _flags(flags: Sequence[str]) -> str:
    return ", ".join(flags)


_OVERALL: tuple[Column, ...] = (
    ("closed", "closed deals", str),
    ("won", "won", str),
    ("base_win_rate", "base win rate", pct),
    ("auc", "ROC AUC", num),
    ("auc_interval", "ROC AUC: 95% interval", num_interval),
)
