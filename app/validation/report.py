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

HubSpot contacts, when there are, come after in a `<section data-population='contacts'>` of
their own whose tables are named as the accounts' (read that section apart), with how many
contacts and companies in `population`.

The charts keep their own attributes (`data-tier`, `data-win-rate`, `data-won`, `data-closed`,
`data-from`, `data-lost`, `data-count`). Every text is escaped: account names come from a CRM.

This module assembles the page; the tables of a validation are in `report_tables`, those of
a plan in `report_plan_tables`, the SVG charts in `report_charts`, and every cell is made by
`report_cells` (figures formatted by `app.validation.figures`, as in the terminal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app.validation.plan import SHOWN
from app.validation.report_cells import span
from app.validation.report_charts import (
    BAR_GAP,
    BIN_WIDTH,
    CHART_HEIGHT,
    CHART_WIDTH,
    histogram_chart,
    score_histogram,
    tier_chart,
)
from app.validation.report_plan_tables import (
    changes_table,
    discarded_table,
    side_by_side_table,
    side_by_side_tiers_table,
    transitions_table,
)
from app.validation.report_tables import (
    criteria_table,
    disqualifiers_table,
    quarters_table,
    summary_paragraph,
    tiers_table,
    verdicts_list,
    warnings_list,
)

__all__ = [
    "BAR_GAP",
    "BIN_WIDTH",
    "CHART_HEIGHT",
    "CHART_WIDTH",
    "LISTED_ALL",
    "plan_sections",
    "render",
    "score_histogram",
    "validation_sections",
]

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
        parts += validation_sections(validation, histogram)
    else:
        parts += plan_sections(plan, validation, histogram)
    parts.append("</body></html>")
    return "".join(parts)


def validation_sections(
    validation: Mapping[str, Any], histogram: Sequence[tuple[int, int, int]]
) -> list[str]:
    parts = [summary_paragraph(validation)]
    if "verdicts" in validation:
        parts += ["<h2>Verdicts</h2>", verdicts_list("verdicts", validation["verdicts"])]
    parts += warnings_list(validation["warnings"])
    parts += [
        "<h2>Win rate by tier</h2>",
        tiers_table(validation["tiers"]),
        tier_chart(validation["tiers"]),
        "<h2>Score distribution: won (green) vs lost (red), by 10-point bin</h2>",
        histogram_chart(histogram),
        "<h2>Criteria: win rate when high (≥ 50 points) vs not</h2>",
        criteria_table(validation["criteria"]),
        "<h2>Negative ICP: what it would have thrown away</h2>",
        disqualifiers_table(validation["disqualifiers"]),
        "<h2>Win rate by tier and quarter (closed deals)</h2>",
        quarters_table(validation["quarters"], [row["tier"] for row in validation["tiers"]]),
    ]
    if validation.get("contacts"):
        parts += _contacts(validation["contacts"])
    return parts


def _contacts(contacts: Mapping[str, Any]) -> list[str]:
    """The contacts' figures in a section of their own, its tables named as the accounts'."""
    parts = [
        "<section data-population='contacts'>",
        "<h2>HubSpot contacts: their own deals, scored with their company's data</h2>",
        "<p data-table='population'>From "
        + span("contacts", contacts["contacts"], str)
        + " contacts at "
        + span("companies", contacts["companies"], str)
        + " companies and "
        + span("without_company", contacts["without_company"], str)
        + " without one; every interval resamples companies (a contact without one on its"
        " own), not contacts.</p>",
        summary_paragraph(contacts),
        "<h3>Verdicts</h3>",
        verdicts_list("verdicts", contacts["verdicts"]),
    ]
    parts += warnings_list(contacts["warnings"])
    parts += [
        "<h3>Win rate by tier</h3>",
        tiers_table(contacts["tiers"]),
        "<h3>Criteria: win rate when high (≥ 50 points) vs not</h3>",
        criteria_table(contacts["criteria"]),
        "<h3>Negative ICP: what it would have thrown away</h3>",
        disqualifiers_table(contacts["disqualifiers"]),
        "<h3>Win rate by tier and quarter (closed deals)</h3>",
        quarters_table(contacts["quarters"], [row["tier"] for row in contacts["tiers"]]),
        "</section>",
    ]
    return parts


def plan_sections(
    plan: Mapping[str, Any],
    charted: Mapping[str, Any],
    histogram: Sequence[tuple[int, int, int]],
) -> list[str]:
    champion, challenger = plan["validation"]["champion"], plan["validation"]["challenger"]
    tiers = [row["tier"] for row in champion["tiers"]]
    tiers += [row["tier"] for row in challenger["tiers"] if row["tier"] not in tiers]
    into, out_of = plan["newly_disqualified"], plan["no_longer_disqualified"]
    into_count, out_of_count = (
        _count(plan, "newly_disqualified"),
        _count(plan, "no_longer_disqualified"),
    )
    parts = [
        "<p data-table='plan-summary'>New rubric "
        + span("challenger_version", plan["challenger_version"], str)
        + " against the current "
        + span("champion_version", plan["champion_version"], str)
        + ": "
        + span("changed", plan["changed"], str)
        + " of "
        + span("accounts", plan["accounts"], str)
        + " accounts change, "
        + span("newly_disqualified", into_count, str)
        + " newly disqualified, "
        + span("no_longer_disqualified", out_of_count, str)
        + " no longer disqualified. Nothing was written.</p>"
    ]
    for name, label in (("challenger", "the new rubric"), ("champion", "the current rubric")):
        if "verdicts" in plan["validation"][name]:
            parts += [
                f"<h2>Verdicts on {label}</h2>",
                verdicts_list(f"verdicts-{name}", plan["validation"][name]["verdicts"]),
            ]
    parts += [
        "<h2>Tier transitions</h2>",
        transitions_table(plan["transitions"], tiers),
        "<h2>Won deals the new disqualifiers would have thrown away</h2>",
        discarded_table(plan["discarded"]),
        "<h2>Validation on closed deals: current rubric vs new</h2>",
        side_by_side_table(champion, challenger),
        side_by_side_tiers_table(champion, challenger, tiers),
        "<h2>Largest changes</h2>",
        changes_table("changes", plan["changes"], plan["changed"], "--limit lists more"),
        "<h2>Newly disqualified</h2>",
        changes_table("newly-disqualified", into[:SHOWN], into_count, LISTED_ALL),
        "<h2>No longer disqualified</h2>",
        changes_table("no-longer-disqualified", out_of[:SHOWN], out_of_count, LISTED_ALL),
        "<h2>New rubric: win rate by tier</h2>",
        tier_chart(charted["tiers"]),
        "<h2>New rubric: score distribution, won (green) vs lost (red), by 10-point bin</h2>",
        histogram_chart(histogram),
    ]
    if plan.get("contacts"):
        parts += _plan_contacts(plan["contacts"], tiers)
    return parts


def _count(plan: Mapping[str, Any], listed: str) -> int:
    """A list's length; a stored plan (app.validation.runs) keeps its first entries and the
    full count beside them."""
    return int(plan.get(f"{listed}_count", len(plan[listed])))


def _plan_contacts(contacts: Mapping[str, Any], tiers: Sequence[str]) -> list[str]:
    """The contacts' tier movement and figures in a section of their own, its tables named as
    the accounts'."""
    into, out_of = contacts["newly_disqualified"], contacts["no_longer_disqualified"]
    into_count = _count(contacts, "newly_disqualified")
    out_of_count = _count(contacts, "no_longer_disqualified")
    parts = [
        "<section data-population='contacts'>",
        "<h2>HubSpot contacts, scored with their company's data</h2>",
        "<p data-table='plan-summary'>"
        + span("changed", contacts["changed"], str)
        + " of "
        + span("contacts", contacts["contacts"], str)
        + " contacts change, "
        + span("newly_disqualified", into_count, str)
        + " newly disqualified, "
        + span("no_longer_disqualified", out_of_count, str)
        + " no longer disqualified.</p>",
        "<h3>Tier transitions</h3>",
        transitions_table(contacts["transitions"], tiers).replace(
            "id='tier-transitions'", "id='contact-tier-transitions'", 1
        ),
    ]
    champion, challenger = contacts["validation"]["champion"], contacts["validation"]["challenger"]
    if champion and challenger:
        parts += [
            "<h3>Validation on their closed deals (resampled by company): current vs new</h3>",
            side_by_side_table(champion, challenger),
            side_by_side_tiers_table(champion, challenger, tiers),
        ]
    parts += [
        "<h3>Largest changes</h3>",
        changes_table("changes", contacts["changes"], contacts["changed"], "--limit lists more"),
        "<h3>Newly disqualified</h3>",
        changes_table("newly-disqualified", into[:SHOWN], into_count, LISTED_ALL),
        "<h3>No longer disqualified</h3>",
        changes_table("no-longer-disqualified", out_of[:SHOWN], out_of_count, LISTED_ALL),
        "</section>",
    ]
    return parts
