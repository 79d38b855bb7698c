"""`app.semantic.match`: the closest pair of sentences, and quotes kept short."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.semantic.match import SemanticMatch, best_similarity, closest, shortened


def _unit(*rows: list[float]) -> np.ndarray:
    found = np.array(rows, dtype=np.float32)
    unit: np.ndarray = found / np.linalg.norm(found, axis=1, keepdims=True)
    return unit


def test_given_sentences_when_matched_then_the_closest_pair_is_quoted_with_its_similarity() -> None:
    record = _unit([1, 0, 0], [0, 1, 0])
    narrative = _unit([0, 0, 1], [0.6, 0.8, 0])

    found = closest(["Sells shoes.", "Opening ten stores."], record, ["A", "B"], narrative)

    assert found == SemanticMatch(0.8, "Opening ten stores.", "B")


def test_given_no_sentence_on_either_side_when_matched_then_there_is_no_match() -> None:
    empty = np.zeros((0, 3), np.float32)
    assert closest([], empty, ["A"], _unit([1, 0, 0])) is None
    assert closest(["x y z"], _unit([1, 0, 0]), [], empty) is None
    assert best_similarity(empty, _unit([1, 0, 0])) is None


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
