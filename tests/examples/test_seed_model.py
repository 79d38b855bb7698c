"""examples/rubrics/seed-model.yaml, the seeds' prospect model, recomputed by hand.

The seeds' table (weights; points):
    industry match      25   exact = 100, adjacent = 50
    company size        20   sweet spot = 100, outside range = 30
    buying signals      30   3+ signals = 100, 1 signal = 50          (file: 2 signals = 75)
    decision authority  15   C-level = 100, manager = 60              (file: VP 80, IC 20 ...)
    engagement history  10   prior interaction = 100, cold = 40
    tiers: 70+ personalised (tier_1), 50-69 semi-personalised (tier_2), below 50 (tier_3)
score = round(sum(weight * points) / sum(weight)), halves rounded up, over the criteria that
apply: decision authority and engagement history apply to contacts and leads only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import load_rubric
from app.scoring import AccountFacts, CompiledRubric, ScoreResult, compile_rubric, score
from app.scoring.scorer import score_reference

SEED_MODEL = Path(__file__).resolve().parents[2] / "examples" / "rubrics" / "seed-model.yaml"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed_model() -> CompiledRubric:
    return compile_rubric(load_rubric(SEED_MODEL))


def contact(title: str | None, values: dict[str, object], **properties: object) -> AccountFacts:
    return AccountFacts(
        id="contact-1",
        values={"title": title, **values},
        object_type="contact",
        source="hubspot",
        properties=properties,
    )


def scored(rubric: CompiledRubric, facts: AccountFacts) -> ScoreResult:
    result = score(facts, rubric, NOW)
    assert result == score_reference(facts, rubric, NOW)  # the fast path agrees
    return result


def as_company(facts: AccountFacts) -> AccountFacts:
    return AccountFacts(facts.id, facts.values, "company", facts.source, facts.properties)


C_LEVEL_FIT = contact(
    "Founder & CEO",
    {"industry": "COMPUTER_SOFTWARE", "employees": 640},
    icp_buying_signals="hiring;funding;leadership_change",
    notes_last_updated="2026-10-02T09:30:00.000Z",
)
MANAGER_ADJACENT = contact(
    "Sales Manager",
    {"industry": "FINANCIAL_SERVICES", "employees": 80},
    icp_buying_signals="hiring",
)
VP_ADJACENT = contact(
    "VP, Sales",
    {"industry": "FINANCIAL_SERVICES", "employees": "250"},
    icp_buying_signals="funding",
    notes_last_updated="2023-03-01T00:00:00Z",
)


def test_given_a_c_level_contact_at_a_perfect_fit_when_scored_then_100_and_tier_1(
    seed_model: CompiledRubric,
) -> None:
    # exact industry 100, sweet spot 100, 3 signals 100, C-level 100, prior interaction 100:
    # (25·100 + 20·100 + 30·100 + 15·100 + 10·100) / 100 = 100
    result = scored(seed_model, C_LEVEL_FIT)

    assert (result.score, result.tier) == (100, "tier_1")
    assert result.reasons == (
        "Industry: Computer Software (exact match) +25",
        "Company size: 640 in band 200–2,000 +20",
        "Buying signals: 3 (hiring, funding, leadership_change) +30",
        'Decision authority: "Founder & CEO" (c_level, read from "founder") +15',
        "Engagement history: 52 days ago +10",
    )


def test_given_a_cold_manager_at_an_adjacent_small_company_when_scored_then_47_and_tier_3(
    seed_model: CompiledRubric,
) -> None:
    # adjacent 50, outside the sweet spot 30, 1 signal 50, manager 60, cold 40:
    # 0.25·50 + 0.20·30 + 0.30·50 + 0.15·60 + 0.10·40 = 12.5 + 6 + 15 + 9 + 4 = 46.5 → 47
    # (halves round up; Python's round(46.5) would give 46)
    result = scored(seed_model, MANAGER_ADJACENT)

    assert (result.score, result.tier) == (47, "tier_3")
    assert [c.points for c in result.criteria] == [50, 30, 50, 60, 40]
    assert result.reasons == (
        "Industry: Financial Services (adjacent) +12.5",
        "Company size: 80, outside every band +6",
        "Buying signals: 1 (hiring) +15",
        'Decision authority: "Sales Manager" (manager) +9',
        "Engagement history: missing +4",
    )


def test_given_a_vp_with_an_old_interaction_when_scored_then_69_5_rounds_into_tier_1(
    seed_model: CompiledRubric,
) -> None:
    # adjacent 50, sweet spot 100, 1 signal 50, VP 80 (the file's choice), an interaction
    # 3 years ago is still a prior interaction 100:
    # 0.25·50 + 0.20·100 + 0.30·50 + 0.15·80 + 0.10·100 = 12.5 + 20 + 15 + 12 + 10 = 69.5 → 70
    result = scored(seed_model, VP_ADJACENT)

    assert (result.score, result.tier) == (70, "tier_1")
    assert [c.points for c in result.criteria] == [50, 100, 50, 80, 100]


def test_given_an_individual_contributor_lead_from_salesforce_when_scored_then_67_and_tier_2(
    seed_model: CompiledRubric,
) -> None:
    # exact 100, sweet spot 100, 1 signal 50, individual contributor 20 (the file's choice),
    # no activity logged = cold 40:
    # 0.25·100 + 0.20·100 + 0.30·50 + 0.15·20 + 0.10·40 = 25 + 20 + 15 + 3 + 4 = 67
    lead = AccountFacts(
        id="00Q1",
        values={"title": "Account Executive", "industry": "Technology", "employees": 1200},
        object_type="lead",
        source="salesforce",
        properties={"Buying_Signals__c": "intent_surge", "LastActivityDate": None},
    )
    result = scored(seed_model, lead)

    assert (result.score, result.tier) == (67, "tier_2")
    assert (
        result.reasons[3] == 'Decision authority: "Account Executive" (individual_contributor) +3'
    )


def test_given_a_prospect_with_almost_nothing_known_when_scored_then_the_missing_choices_apply(
    seed_model: CompiledRubric,
) -> None:
    # industry missing 0, size missing 30, no signals 0, a former rank is unknown 0, cold 40:
    # 0.25·0 + 0.20·30 + 0.30·0 + 0.15·0 + 0.10·40 = 6 + 4 = 10
    result = scored(seed_model, contact("Former VP Sales", {}))

    assert (result.score, result.tier) == (10, "tier_3")
    assert result.reasons[3] == (
        'Decision authority: "Former VP Sales" (unknown, read from "former") +0'
    )


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # (25·100 + 20·100 + 30·100) / 75 = 100
        (C_LEVEL_FIT, (100, "tier_1")),
        # (25·50 + 20·30 + 30·50) / 75 = 3350 / 75 = 44.67 → 45
        (MANAGER_ADJACENT, (45, "tier_3")),
        # (25·50 + 20·100 + 30·50) / 75 = 4750 / 75 = 63.33 → 63: the VP's 70 came partly
        # from the person
        (VP_ADJACENT, (63, "tier_2")),
    ],
)
def test_given_the_same_facts_as_a_company_when_scored_then_person_criteria_drop_out_and_weights_renormalise(
    seed_model: CompiledRubric, facts: AccountFacts, expected: tuple[int, str]
) -> None:
    result = scored(seed_model, as_company(facts))

    assert (result.score, result.tier) == expected
    assert [c.id for c in result.criteria] == ["industry", "company_size", "buying_signals"]
    assert sum(c.contribution for c in result.criteria) == pytest.approx(
        sum(c.weight * (c.points or 0) for c in result.criteria) / 75
    )


def test_given_the_seed_model_when_rubric_check_then_it_is_valid_with_the_seeds_weights_and_tiers() -> (
    None
):
    result = CliRunner().invoke(cli, ["rubric", "check", str(SEED_MODEL), "--json"])

    assert result.exit_code == 0, (result.stdout, result.stderr)
    summary = json.loads(result.stdout)
    weights = {
        c["id"]: (c["weight"], c["rule"], c["applies_to"])
        for layer in summary["layers"].values()
        for c in layer["criteria"]
    }
    assert weights == {
        "industry": (25, "match", None),
        "company_size": (20, "bands", None),
        "buying_signals": (30, "count", None),
        "decision_authority": (15, "seniority", ["contact", "lead"]),
        "engagement_history": (10, "recency", ["contact", "lead"]),
    }
    assert [(t["name"], t["min_score"]) for t in summary["tiers"]] == [
        ("tier_1", 70),
        ("tier_2", 50),
        ("tier_3", 0),
    ]
    assert summary["notes"] == []
