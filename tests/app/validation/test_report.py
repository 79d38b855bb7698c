"""The HTML reports carry every figure of the JSON, read back from the page with the standard
library's HTML parser (no browser needed), and escape what a CRM wrote."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from app.validation.plan import SHOWN
from app.validation.report import render
from app.validation.stats import Outcome, summarise
from tests.support.report_html import (
    as_json,
    assert_plan_figures,
    assert_validation_figures,
    read_figures,
)

HOSTILE = "<script>alert('x')</script> & \"Co\" 'quoted'"


def outcomes() -> list[Outcome]:
    """Two quarters, three tiers and a disqualifier, won and lost in each."""
    rows = []
    for index in range(40):
        tier = ("tier_1", "tier_2", "disqualified")[index % 3]
        rows.append(
            Outcome(
                account_id=f"a{index}",
                score=90 - index * 2,
                tier=tier,
                won=index % 4 != 3 if tier == "tier_1" else index % 5 == 0,
                closed_on=date(2026, 3 if index < 20 else 8, 1),
                criteria={"industry": 100.0 if index % 2 else 0.0, "size": float(index)},
                flags=("too_small",) if tier == "disqualified" else (),
            )
        )
    return rows


def validation(**extra: Any) -> dict[str, Any]:
    report = as_json(asdict(summarise(outcomes(), ["tier_1", "tier_2", "tier_3"], resamples=50)))
    report.update(extra)
    return dict(report)


VERDICTS = [
    {"kind": "auc", "subject": "score", "significant": False, "message": "no evidence"},
    {"kind": "tier_order", "subject": "tier_2 > tier_1", "significant": True, "message": HOSTILE},
    {"kind": "disqualifier", "subject": "too_small", "significant": True, "message": "drops"},
]


def test_given_a_validation_then_every_table_on_the_page_matches_the_json() -> None:
    report = validation(verdicts=VERDICTS)
    for row in report["tiers"]:
        row["win_rate_interval"] = None if row["win_rate"] is None else [0.125, 0.5]
    report["criteria"][0]["lift"] = 1.25  # a figure the report does not know of yet

    page = render("ICP validation", report, [])
    figures = read_figures(page)

    assert_validation_figures(figures, report)
    assert figures.tables["criteria"][("industry", None)]["lift"] == 1.25
    assert figures.tables["tiers"][("tier_1", None)]["win_rate_interval"] == [0.125, 0.5]
    assert figures.rows["quarters"] == ["2026-Q1", "2026-Q3"]
    assert [row["kind"] for row in figures.tables["verdicts"].values()] == [
        "tier_order",
        "disqualifier",
        "auc",
    ]


def test_given_verdicts_then_they_come_before_the_tables_and_significant_ones_are_marked() -> None:
    page = render("ICP validation", validation(verdicts=VERDICTS), [])

    assert page.index("Verdicts") < page.index("Win rate by tier")
    assert page.count("● significant") == 2
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page


def test_given_no_verdicts_key_then_no_section_and_an_empty_list_says_none_fired() -> None:
    report = validation()
    del report["verdicts"]  # a report from before verdicts existed, such as a saved JSON
    without = render("ICP validation", report, [])
    empty = render("ICP validation", validation(verdicts=[]), [])

    assert "verdicts" not in read_figures(without).tables
    assert read_figures(empty).rows["verdicts"] == []
    assert "none of the rules fired" in empty


def change(index: int, direction: str | None) -> dict[str, Any]:
    into = direction == "into"
    return {
        "source": "hubspot",
        "object_type": "company",
        "crm_id": f"c{index}",
        "name": HOSTILE if index == 0 else None if index == 1 else f"Company {index}",
        "tier_before": "tier_2" if into else "disqualified",
        "tier_after": "disqualified" if into else "tier_2",
        "score_before": 60,
        "score_after": 40 + index % 7,
        "flags_added": ["too_small", "competitor"] if into else [],
        "flags_removed": [] if into else ["excluded_industry"],
        "direction": direction,
    }


def plan_report(into: int, out_of: int) -> dict[str, Any]:
    newly = [change(i, "into") for i in range(into)]
    gone = [change(1000 + i, "out_of") for i in range(out_of)]
    challenger = validation(verdicts=VERDICTS[:1])
    challenger["tiers"] = [*challenger["tiers"], {**challenger["tiers"][0], "tier": "tier_0"}]
    return {
        "champion_version": "v1",
        "challenger_version": "v2 <b>",
        "accounts": 200,
        "changed": into + out_of + 1,
        "transitions": {
            "tier_1": {"tier_1": 100},
            "tier_2": {"tier_2": 99 - into, "disqualified": into, "tier_1": 1},
            "disqualified": {"tier_2": out_of, "disqualified": -out_of},
        },
        "newly_disqualified": newly,
        "changes": (newly + gone)[:20],
        "validation": {"champion": validation(), "challenger": challenger},
        "no_longer_disqualified": gone,
        "discarded": {
            "total": {
                "flag": None,
                "accounts": into,
                "won_deals": 12,
                "revenue": 123456.78,
                "won_deals_without_amount": 2,
            },
            "by_flag": [
                {
                    "flag": "too_small",
                    "accounts": into,
                    "won_deals": 12,
                    "revenue": 123456.78,
                    "won_deals_without_amount": 2,
                },
                {
                    "flag": "competitor",
                    "accounts": into,
                    "won_deals": 12,
                    "revenue": 123456.78,
                    "won_deals_without_amount": 2,
                },
            ],
        },
    }


def test_given_a_plan_then_every_table_matches_the_json_and_only_the_top_accounts_are_listed() -> (
    None
):
    report = plan_report(into=SHOWN + 7, out_of=3)

    page = render("ICP plan", report["validation"]["challenger"], [], plan=report)
    figures = read_figures(page)

    assert_plan_figures(figures, report, SHOWN)
    assert len(figures.rows["newly-disqualified"]) == SHOWN
    assert figures.tables["newly-disqualified"][(None, None)]["count"] == SHOWN + 7
    assert f"the first {SHOWN} of" in page
    assert figures.tables["newly-disqualified"][("0", None)]["name"] == HOSTILE
    assert figures.tables["side-by-side-tiers"][("tier_0", "challenger")]["won"] >= 0
    assert ("tier_0", "champion") not in figures.tables["side-by-side-tiers"]
    assert "verdicts-challenger" in figures.tables
    assert "<script>" not in page
    assert "<b>" not in page


def test_given_a_plan_that_disqualifies_nobody_then_the_lists_are_empty_with_a_zero_count() -> None:
    report = plan_report(into=0, out_of=0)

    figures = read_figures(render("ICP plan", report["validation"]["challenger"], [], plan=report))

    assert_plan_figures(figures, report, SHOWN)
    assert figures.tables["newly-disqualified"][(None, None)]["count"] == 0
    assert figures.rows["no-longer-disqualified"] == []
