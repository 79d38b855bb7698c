"""`app.semantic.vectors`: embeddings stored in a quarter of the space, similarities intact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from app.semantic.vectors import BYTES_PER_VECTOR, DIMENSIONS, pack, unpack

unit_rows = arrays(
    np.float32,
    st.tuples(st.integers(1, 12), st.just(DIMENSIONS)),
    elements=st.floats(-1, 1, width=32),
).filter(lambda rows: bool((np.linalg.norm(rows, axis=1) > 1e-3).all()))


@settings(max_examples=60)
@given(unit_rows, unit_rows)
def test_given_vectors_when_packed_and_unpacked_then_cosines_move_by_under_a_hundredth(
    left: np.ndarray, right: np.ndarray
) -> None:
    left = left / np.linalg.norm(left, axis=1, keepdims=True)
    right = right / np.linalg.norm(right, axis=1, keepdims=True)

    blob = pack(left)

    assert len(blob) == len(left) * BYTES_PER_VECTOR
    assert np.abs(unpack(blob) @ right.T - left @ right.T).max() < 0.01


def test_given_a_zero_vector_when_packed_then_it_unpacks_as_zeros_not_nan() -> None:
    assert not np.isnan(unpack(pack(np.zeros((1, DIMENSIONS), np.float32)))).any()


def test_given_the_wrong_shape_or_bytes_when_packed_or_unpacked_then_the_error_says_why() -> None:
    with pytest.raises(ValueError, match="expected n by 256 vectors, got shape"):
        pack(np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match="not a whole number of 512-byte rows"):
        unpack(b"\x00" * 100)
