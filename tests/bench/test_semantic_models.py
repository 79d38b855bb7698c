"""The model-free parts of the semantic model benchmark (bench/semantic_scoring.py).

The comparison between models is only as good as the AUC, the sentence splits and the narrative
sections they all share; these are checked here without loading any model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))  # bench scripts import each other as top-level modules

from semantic_scoring import (  # noqa: E402
    Section,
    auc,
    bootstrap_interval,
    parse_narrative,
    score,
    split_sentences,
    texts_to_embed,
)

NARRATIVE = BENCH / "data" / "narrative_icp" / "narrative.md"


def test_given_perfectly_separated_scores_then_auc_is_one_and_reversed_is_zero() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert auc([0.1, 0.2], [0.8, 0.9]) == 0.0


def test_given_ties_then_each_tied_pair_counts_one_half() -> None:
    assert auc([0.5], [0.5]) == 0.5
    # pairs: (0.8 vs 0.5) win, (0.8 vs 0.8) tie, (0.5 vs 0.5) tie, (0.5 vs 0.8) loss -> 2/4
    assert auc([0.8, 0.5], [0.5, 0.8]) == 0.5
    # 0.7 beats 0.2, ties 0.7; 0.4 beats 0.2, loses to 0.7 -> (1 + 0.5 + 1 + 0) / 4
    assert auc([0.7, 0.4], [0.2, 0.7]) == 0.625


def test_given_a_known_example_then_auc_matches_the_mann_whitney_u_over_pairs() -> None:
    positives, negatives = [3.0, 5.0, 5.0, 9.0], [1.0, 5.0, 6.0]
    # U = wins + ties/2 over the 12 pairs: 3->1 win; 5,5 -> 1 win + 1 tie each; 9 -> 3 wins
    assert auc(positives, negatives) == pytest.approx((1 + 2 * 1.5 + 3) / 12)


def test_given_no_negatives_then_auc_refuses() -> None:
    with pytest.raises(ValueError, match="at least one"):
        auc([0.5], [])


def test_given_a_fixed_seed_then_the_bootstrap_interval_repeats_and_holds_the_estimate() -> None:
    rng = np.random.default_rng(1)
    positives, negatives = rng.normal(1.0, 1.0, 60), rng.normal(0.0, 1.0, 70)
    first = bootstrap_interval(positives, negatives, resamples=300, seed=7)
    again = bootstrap_interval(positives, negatives, resamples=300, seed=7)
    assert first == again
    assert first[0] < auc(positives, negatives) < first[1]


def test_given_punctuation_and_newlines_then_text_splits_into_trimmed_sentences() -> None:
    text = "Chain of 40 stores. Old ERP!  Growing fast? Yes; really\nNew line\n\nLast"
    assert split_sentences(text) == [
        "Chain of 40 stores.",
        "Old ERP!",
        "Growing fast?",
        "Yes;",
        "really",
        "New line",
        "Last",
    ]


def test_given_decimals_and_abbreviations_inside_words_then_they_do_not_split() -> None:
    assert split_sentences("Revenue 2.5m, on an AS/400.Next") == ["Revenue 2.5m, on an AS/400.Next"]


def test_given_a_text_without_sentences_then_it_is_its_own_single_sentence() -> None:
    assert split_sentences("—") == ["—"]
    assert split_sentences("  ") == ["  "]


def test_given_the_committed_narrative_then_the_icp_and_not_us_sections_split_at_the_heading() -> (
    None
):
    narrative = parse_narrative(NARRATIVE.read_text(encoding="utf-8"))
    assert len(narrative.icp.paragraphs) == 3
    assert narrative.icp.paragraphs[0].startswith("We sell to mid-market multi-location retailers")
    assert not any("#" in p or "\n" in p for p in narrative.icp.paragraphs)
    assert len(narrative.not_us.paragraphs) == 2
    assert narrative.not_us.paragraphs[0].startswith("Solo merchants and hobby sellers")
    assert "Not us" not in narrative.not_us.whole
    assert "consultancies" not in narrative.icp.whole


def test_given_a_narrative_without_the_not_us_heading_then_parsing_refuses() -> None:
    with pytest.raises(ValueError, match="Not us"):
        parse_narrative("# ICP\n\nWe sell to retailers.\n")


def test_given_wrapped_lines_then_a_paragraph_is_joined_and_sentences_span_the_section() -> None:
    narrative = parse_narrative("# T\n\nOne line\nwrapped. Two.\n\nThree.\n\n## Not us\n\nFour.\n")
    assert narrative.icp == Section(("One line wrapped. Two.", "Three."))
    assert narrative.icp.sentences == ("One line wrapped.", "Two.", "Three.")
    assert narrative.icp.whole == "One line wrapped. Two. Three."
    texts = texts_to_embed(narrative, ["Five. Six."])
    assert len(texts) == len(set(texts))
    assert {"Five. Six.", "Five.", "Six.", "Four.", "One line wrapped. Two. Three."} <= set(texts)


def test_given_toy_vectors_then_each_strategy_compares_the_texts_it_names() -> None:
    section = Section(("a1. a2.", "b1."))
    vectors = {
        "a1. a2.": np.array([1.0, 0.0]),
        "b1.": np.array([0.0, 1.0]),
        "a1.": np.array([0.6, 0.8]),
        "a2.": np.array([0.8, 0.6]),
        "a1. a2. b1.": np.array([0.0, 1.0]),
        "r1. r2.": np.array([1.0, 0.0]),
        "r1.": np.array([0.0, 1.0]),
        "r2.": np.array([-1.0, 0.0]),
    }
    assert score("a", vectors.__getitem__, section, "r1. r2.") == pytest.approx(1.0)
    assert score("b", vectors.__getitem__, section, "r1. r2.") == pytest.approx(1.0)
    assert score("c", vectors.__getitem__, section, "r1. r2.") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="unknown strategy"):
        score("d", vectors.__getitem__, section, "r1. r2.")
