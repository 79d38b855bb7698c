"""Embedding texts with the local model, as the cache stores them: the text as a whole, then
its sentences (`text.embedded`), each vector as a read from the store returns it. No store
here: scoring a file embeds without one."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

import numpy as np

from app.semantic.model import Embedder
from app.semantic.text import embedded, split_sentences, text_hash
from app.semantic.vectors import DIMENSIONS, Vectors, as_stored

EMBED_CHUNK = 512
_NONE = np.zeros((0, DIMENSIONS), dtype=np.float32)


def embed_texts(embedder: Embedder, texts: Iterable[str]) -> dict[str, Vectors]:
    """text hash → the vectors of the text as a whole and of its sentences (`embedded`),
    computed now: many texts in one call per `EMBED_CHUNK` texts, each as the store keeps it
    (`as_stored`): a record scored with fresh vectors and rescored later from the cache must
    compare the very same numbers, or a similarity on a rounding edge moves by 0.01 and the
    record is rescored (and written back) with no change in its text."""
    found: dict[str, Vectors] = {}
    pending = list(dict.fromkeys(texts))
    for start in range(0, len(pending), EMBED_CHUNK):
        chunk = pending[start : start + EMBED_CHUNK]
        split = [embedded(split_sentences(text)) for text in chunk]
        # each string once: a one-sentence text is its own whole, placeholders repeat
        distinct = {piece: at for at, piece in enumerate(dict.fromkeys(chain.from_iterable(split)))}
        vectors = as_stored(embedder.embed(list(distinct)))
        for text, pieces in zip(chunk, split, strict=True):
            rows = [distinct[piece] for piece in pieces]
            found[text_hash(text)] = vectors[rows] if rows else _NONE
    return found
