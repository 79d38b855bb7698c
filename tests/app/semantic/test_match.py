"""`app.semantic.match`: the closest pair of sentences, and quotes kept short."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.semantic.fact import SemanticMatch
from app.semantic.match import best_pair, closest, shortened


def _unit(*rows: list[float]) -> np.ndarray:
    found = np.array(rows, dtype=np.float32)
    unit: np.ndarray = found / np.linalg.norm(found, axis=1, keepdims=True)
    return unit


RECORD = _unit([1, 1, 0], [1, 0, 0], [0, 1, 0])  # the whole text, then each sentence
NARRATIVE = _unit([0, 0.6, 0.8], [0, 0, 1], [0.6, 0.8, 0])


def test_given_a_criterion_when_matched_then_whole_texts_score_and_the_closest_pair_is_quoted() -> (
    None
):
    found = closest(
        ["Sells shoes.", "Opening ten stores."], RECORD, ["A", "B"], NARRATIVE, whole=True
    )

    assert found == SemanticMatch(round(0.6 / 2**0.5, 2), "Opening ten stores.", "B")


def test_given_a_disqualifier_when_matched_then_the_closest_pair_scores() -> None:
    found = closest(
        ["Sells shoes.", "Opening ten stores."], RECORD, ["A", "B"], NARRATIVE, whole=False
    )

    assert found == SemanticMatch(0.8, "Opening ten stores.", "B")
    assert best_pair(RECORD, NARRATIVE) == 0.8


def test_given_no_sentence_on_either_side_when_matched_then_there_is_no_match() -> None:
    empty = np.zeros((0, 3), np.float32)
    assert closest([], empty, ["A"], NARRATIVE, whole=True) is None
    assert closest(["x y z"], RECORD, [], empty, whole=False) is None
    assert best_pair(empty, NARRATIVE) is None


@given(st.text(min_size=0, max_size=300), st.integers(min_value=2, max_value=120))
def test_given_any_sentence_when_shortened_then_it_fits_and_keeps_its_start(
    sentence: str, limit: int
) -> None:
    shown = shortened(sentence, limit)

    assert len(shown) <= limit
    if len(sentence) <= limit:
        assert shown == sentence
    else:
        assert shown.endswith("…")
        assert sentence.startswith(shown[:-1].rstrip(" ,;:-")[: max(0, limit - 10)])
