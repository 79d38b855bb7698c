"""`app.semantic.text`: what is embedded of a record stays bounded whatever a CRM field holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.semantic.text import (
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
    joined_text,
    narrative_sentences,
    split_sentences,
    text_hash,
)


@given(st.text(max_size=20_000))
def test_given_any_text_when_split_then_sentences_are_few_short_and_readable(text: str) -> None:
    sentences = split_sentences(text)

    assert len(sentences) <= MAX_SENTENCES
    for sentence in sentences:
        assert 3 <= len(sentence) <= MAX_SENTENCE_CHARS
        assert sentence == sentence.strip()
        assert any(ch.isalnum() for ch in sentence)


@given(st.lists(st.text(alphabet="abc xyz", min_size=5, max_size=30), min_size=1, max_size=40))
def test_given_many_sentences_when_split_then_the_first_ones_are_kept_in_order(
    words: list[str],
) -> None:
    readable = [" ".join(w.split()) for w in words if len(" ".join(w.split())) >= 3]
    text = ". ".join(readable)

    sentences = split_sentences(text)

    assert [s.rstrip(".") for s in sentences] == readable[:MAX_SENTENCES]


def test_given_a_description_when_split_then_it_breaks_at_stops_lines_and_bullets() -> None:
    text = "Chain of 40 stores. Moving off an AS/400!\nHQ in Lyon • Founded 1987; family owned —"

    assert split_sentences(text) == [
        "Chain of 40 stores.",
        "Moving off an AS/400!",
        "HQ in Lyon",
        "Founded 1987;",
        "family owned —",
    ]


def test_given_placeholder_text_when_split_then_nothing_is_left_to_embed() -> None:
    assert split_sentences("—") == []
    assert split_sentences("  \n  ") == []
    assert split_sentences("N/A") == ["N/A"]


def test_given_field_values_when_joined_then_one_line_each_empties_and_booleans_dropped() -> None:
    assert joined_text(["About us.", None, "", ["Retail", "", "Apparel"], True, 42]) == (
        "About us.\nRetail, Apparel\n42"
    )


def test_given_a_narrative_when_split_then_headings_are_dropped_and_every_sentence_kept() -> None:
    narrative = "# Our ICP\n\nFirst idea. Second idea.\n\n## Detail\nThird idea.\n" + (
        "More. " * 30
    )

    sentences = narrative_sentences(narrative)

    assert sentences[:3] == ["First idea.", "Second idea.", "Third idea."]
    assert len(sentences) == 33  # a narrative is never cut to MAX_SENTENCES


def test_given_two_texts_when_hashed_then_only_equal_texts_share_a_key() -> None:
    assert text_hash("a") == text_hash("a") != text_hash("a ")
    assert len(text_hash("a")) == 64
