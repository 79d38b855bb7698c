"""How close a record's text is to a narrative, from their embeddings. Pure: vectors in, the
match out. Each side's vectors are its text as a whole (row 0), then its sentences.

A criterion scores the similarity of the whole texts: fit is a situation told across a
description, and on both labelled sets (bench/data/narrative_icp and the sandbox's) the whole
text ranks fits better than its best sentence. A disqualifier scores the closest pair of
sentences: a not-us segment is usually named in one sentence ("we implement CRMs for our
clients"), which the rest of a text dilutes. Either way the reason quotes the closest pair of
sentences, the evidence a RevOps lead reads (docs/benchmarks.md, "Narrative ICP")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.semantic.fact import SemanticMatch
from app.semantic.vectors import Vectors

SHOWN_SENTENCE = 80
SHOWN_NARRATIVE = 60
DIGITS = 2


def closest(
    sentences: Sequence[str],
    vectors: Vectors,
    narrative_sentences: Sequence[str],
    narrative_vectors: Vectors,
    *,
    whole: bool,
) -> SemanticMatch | None:
    """The match of a text (its `sentences` and `vectors`: the whole first) with a narrative:
    the closest (record sentence, narrative sentence) pair, ties to the earlier of each, and
    the similarity of the whole texts (`whole`) or of that pair. None when either side has no
    sentence."""
    if not sentences or not narrative_sentences:
        return None
    pairs = vectors[1:] @ narrative_vectors[1:].T
    row, column = np.unravel_index(int(np.argmax(pairs)), pairs.shape)
    similarity = vectors[0] @ narrative_vectors[0] if whole else pairs[row, column]
    return SemanticMatch(
        round(float(similarity), DIGITS),
        shortened(sentences[int(row)], SHOWN_SENTENCE),
        shortened(narrative_sentences[int(column)], SHOWN_NARRATIVE),
    )


def best_pair(vectors: Vectors, narrative_vectors: Vectors) -> float | None:
    """The similarity of the closest pair of sentences (vectors as `closest` reads them)."""
    if len(vectors) < 2 or len(narrative_vectors) < 2:
        return None
    return round(float((vectors[1:] @ narrative_vectors[1:].T).max()), DIGITS)


def shortened(sentence: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with `…` when longer."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0] if " " in sentence[: limit - 1] else ""
    return (cut or sentence[: limit - 1]).rstrip(" ,;:-") + "…"
