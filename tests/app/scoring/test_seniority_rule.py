"""The `seniority` rule: points per level read from a job title, with reasons a person can read,
on the reference scorer and the generated fast path alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rubric import parse_rubric
from app.rubric.model import SENIORITY_LEVELS
from app.scoring import AccountFacts, CompiledRubric, ScoreResult, compile_rubric, score
from app.scoring.scorer import score_reference
from app.scoring.titles import seniority_of
from tests.app.scoring.test_titles import TITLES

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POINTS = {"c_level": 100, "vp": 80, "head": 75, "director": 70, "manager": 60}
AUTHORITY: dict[str, Any] = {
    "id": "authority", "field": "title", "weight": 15, "reason": "Decision authority",
    "applies_to": ["contact", "lead"], "otherwise": 20, "seniority": POINTS,
}  # fmt: skip
INDUSTRY: dict[str, Any] = {
    "id": "industry", "field": "industry", "weight": 25, "reason": "Industry",
    "match": [{"label": "exact match", "points": 100, "values": ["Software"]}],
}  # fmt: skip


def rubric(*criteria: dict[str, Any]) -> CompiledRubric:
    return compile_rubric(
        parse_rubric(
            {
                "version": "seniority-1",
                "layers": {"people": {"criteria": list(criteria)}},
                "tiers": [{"name": "tier_1", "label": "Tier 1", "min_score": 0}],
            }
        )
    )


def scored(compiled: CompiledRubric, title: object, object_type: str = "contact") -> ScoreResult:
    facts = AccountFacts(
        "p1", {"title": title, "industry": "Software"}, object_type=object_type, source="hubspot"
    )
    result = score(facts, compiled, NOW)
    assert result == score_reference(facts, compiled, NOW)
    return result


def test_given_a_plain_title_when_scored_then_the_reason_quotes_it_with_its_level() -> None:
    result = scored(rubric(AUTHORITY), "VP, Sales")
    assert result.reasons == ('Decision authority: "VP, Sales" (vp) +80',)
    assert (result.score, result.criteria[0].outcome) == (80, "matched")


def test_given_a_title_decided_by_one_of_its_parts_when_scored_then_the_reason_names_the_words() -> (
    None
):
    compiled = rubric(AUTHORITY)
    assert scored(compiled, "Sales Manager & Founder").reasons == (
        'Decision authority: "Sales Manager & Founder" (c_level, read from "founder") +100',
    )
    assert scored(compiled, "Assistant to the CEO").reasons == (
        'Decision authority: "Assistant to the CEO" '
        '(individual_contributor, read from "assistant") +20',
    )


def test_given_a_level_the_rule_does_not_list_when_scored_then_otherwise_and_unmatched() -> None:
    result = scored(rubric(AUTHORITY), "Former VP Sales")
    assert result.criteria[0].points == 20
    assert result.criteria[0].outcome == "unmatched"
    assert result.reasons == (
        'Decision authority: "Former VP Sales" (unknown, read from "former") +20',
    )


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_given_no_title_when_scored_then_the_missing_policy_applies(empty: object) -> None:
    assert scored(rubric({**AUTHORITY, "missing": 35}), empty).criteria[0].points == 35
    skipping = scored(rubric({**AUTHORITY, "missing": "skip"}, INDUSTRY), empty)
    assert skipping.criteria[0].outcome == "skipped"
    assert skipping.score == 100  # industry alone counts


def test_given_a_placeholder_title_when_scored_then_it_is_the_unknown_level_not_missing() -> None:
    result = scored(rubric({**AUTHORITY, "seniority": {**POINTS, "unknown": 5}}), "n/a")
    assert (result.criteria[0].points, result.criteria[0].outcome) == (5, "matched")
    assert result.reasons == ('Decision authority: "n/a" (unknown) +5',)


def test_given_a_long_title_when_scored_then_the_reason_shows_its_start() -> None:
    title = "Vice President of Worldwide Strategic Enterprise Sales and Business Development EMEA"
    reason = scored(rubric(AUTHORITY), title).reasons[0]
    assert reason.startswith('Decision authority: "Vice President of Worldwide')
    assert '…" (vp) +80' in reason


def test_given_a_list_of_titles_when_scored_then_the_best_scoring_one_counts() -> None:
    result = scored(rubric(AUTHORITY), ["Engineer", "Head of Growth"])
    assert result.criteria[0].points == 75


def test_given_person_criteria_when_a_company_is_scored_then_they_do_not_apply() -> None:
    compiled = rubric(AUTHORITY, INDUSTRY)
    for object_type in ("company", "account"):
        result = scored(compiled, "CEO", object_type)
        assert [c.id for c in result.criteria] == ["industry"]
    for object_type in ("contact", "lead"):
        assert [c.id for c in scored(compiled, "CEO", object_type).criteria] == [
            "authority",
            "industry",
        ]


def test_given_applies_to_contact_and_lead_when_loaded_then_both_object_types_are_kept() -> None:
    compiled = rubric(AUTHORITY)
    assert compiled.criteria[0].applies_to == frozenset({"contact", "lead"})
    assert compiled.plan_for("contact", "hubspot").fast is not None


# --- properties ------------------------------------------------------------------------------

titles = st.one_of(st.sampled_from(TITLES), st.text(max_size=80), st.none())
point_maps = st.dictionaries(st.sampled_from(SENIORITY_LEVELS), st.integers(0, 100), min_size=1)
property_settings = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])


@property_settings
@given(point_maps, st.integers(0, 100), st.lists(titles, min_size=1, max_size=10))
def test_given_any_points_and_titles_when_scored_then_the_level_decides_the_points(
    points: dict[str, int], otherwise: int, batch: list[str | None]
) -> None:
    compiled = rubric({**AUTHORITY, "seniority": points, "otherwise": otherwise, "missing": 7})
    for title in batch + batch:  # the second pass is served from the fast path's memos
        result = scored(compiled, title)
        criterion = result.criteria[0]
        if title is None or not title.strip():
            assert (criterion.points, criterion.outcome) == (7, "missing")
        else:
            level = seniority_of(title).level
            assert criterion.points == points.get(level, otherwise)
            assert f"({level}" in criterion.reason
        assert criterion.reason.startswith("Decision authority: ")


@property_settings
@given(st.sampled_from(TITLES), st.sampled_from(["Former ", "ex-", "Retired "]))
def test_given_points_that_fall_with_rank_when_a_former_prefix_is_added_then_points_never_rise(
    title: str, prefix: str
) -> None:
    falling = {"c_level": 100, "vp": 80, "head": 75, "director": 70, "manager": 60,
               "individual_contributor": 20, "unknown": 0}  # fmt: skip
    compiled = rubric({**AUTHORITY, "seniority": falling})
    before = scored(compiled, title).criteria[0].points
    after = scored(compiled, prefix + title).criteria[0].points
    assert after is not None
    assert before is not None
    assert after <= before
