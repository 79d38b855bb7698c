"""The `semantic` rule and disqualifier on the facts the enrichment step sets: similarity
bands to points, and reasons that quote both sentences and the similarity."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from app.rubric.model import SemanticRule, SemanticTest, SimilarityBand
from app.scoring.semantic_rules import semantic_criterion, semantic_disqualifier
from app.semantic.fact import SemanticMatch

NOW = datetime(2026, 12, 5, tzinfo=UTC)
similarities = st.floats(-1, 1).map(lambda s: round(s, 2))
sentences = st.text(alphabet="abcdefgh ,.", min_size=1, max_size=80)
floors = st.lists(similarities, min_size=1, max_size=5, unique=True).map(
    lambda found: sorted(found, reverse=True)
)


@given(floors, st.data(), similarities, sentences, sentences, st.floats(0, 100))
def test_given_bands_when_a_match_is_scored_then_the_first_band_reached_gives_the_points(
    floors: list[float],
    data: st.DataObject,
    similarity: float,
    sentence: str,
    narrative: str,
    otherwise: float,
) -> None:
    points = [data.draw(st.floats(0, 100)) for _ in floors]
    rule = SemanticRule(
        fields=["description"],
        bands=[SimilarityBand(min=f, points=p) for f, p in zip(floors, points, strict=True)],
    )

    found = semantic_criterion(rule, otherwise)(SemanticMatch(similarity, sentence, narrative), NOW)

    reached = [p for f, p in zip(floors, points, strict=True) if similarity >= f]
    assert found is not None
    assert found[0] == (reached[0] if reached else otherwise)
    assert found[2] == ("matched" if reached else "unmatched")
    assert found[1].startswith(f"'{sentence}' ~ '{narrative}', similarity {similarity:.2f} ")


def test_given_a_match_below_every_band_then_the_reason_names_the_lowest_band() -> None:
    rule = SemanticRule(fields=["description"], bands=[SimilarityBand(min=0.5, points=100)])

    found = semantic_criterion(rule, 10)(SemanticMatch(0.31, "Sells shoes.", "Retail"), NOW)

    assert found == (10, "'Sells shoes.' ~ 'Retail', similarity 0.31 < 0.50", "unmatched")


@given(st.one_of(st.none(), st.text(), st.floats(), st.integers()))
def test_given_anything_but_a_match_when_scored_then_it_reads_as_missing(raw: object) -> None:
    rule = SemanticRule(fields=["description"], bands=[SimilarityBand(min=0.5, points=100)])
    test = SemanticTest(fields=["description"], at_least=0.1)

    assert semantic_criterion(rule, 0)(raw, NOW) is None
    assert semantic_disqualifier(test)(raw) is None


margins = st.one_of(st.none(), st.floats(-0.5, 0.5).map(lambda m: round(m, 2)))


@given(similarities, similarities, similarities, margins)
def test_given_a_not_us_match_then_it_disqualifies_exactly_when_close_and_closer_than_the_icp(
    similarity: float, versus: float, at_least: float, margin: float | None
) -> None:
    test = SemanticTest(fields=["description"], at_least=at_least, margin=margin)

    why = semantic_disqualifier(test)(SemanticMatch(similarity, "We run tenders.", "Gov", versus))

    holds = similarity >= at_least and (margin is None or similarity - versus >= margin)
    assert (why is not None) == holds
    if why is not None:
        assert why == f"'We run tenders.' ~ not-us 'Gov' {similarity:.2f} (ICP {versus:.2f})"
