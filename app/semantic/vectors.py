"""Embeddings as the store keeps them: float16, half of float32, which moves a cosine
similarity by well under 0.01 whatever the vector (int8 with a per-vector scale, a quarter,
loses a few hundredths on vectors with one large component). Pure."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
DIMENSIONS = 256
BYTES_PER_VECTOR = DIMENSIONS * 2


def pack(vectors: Vectors) -> bytes:
    """Rows of `vectors` (n by DIMENSIONS) as little-endian float16 bytes."""
    if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS:
        raise ValueError(f"expected n by {DIMENSIONS} vectors, got shape {vectors.shape}")
    return vectors.astype("<f2").tobytes()


def unpack(blob: bytes) -> Vectors:
    """The vectors `pack` stored, re-normalised to unit length."""
    if len(blob) % BYTES_PER_VECTOR:
        raise ValueError(f"{len(blob)} bytes is not a whole number of {BYTES_PER_VECTOR}-byte rows")
    values = np.frombuffer(blob, dtype="<f2").reshape(-1, DIMENSIONS).astype(np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return (values / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def as_stored(vectors: Vectors) -> Vectors:
    """`vectors` as `unpack` returns them once packed: what a read from the store gives."""
    return unpack(pack(vectors))
