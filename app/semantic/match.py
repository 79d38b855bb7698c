"""The closest sentences of a record and a narrative, by cosine similarity of their
embeddings. Pure: vectors in, the match out.

The similarity scored is that of the single closest pair (record sentence, narrative
sentence): the pair is what the reason quotes, so the figure a RevOps lead reads is the one
that gave the points. On the labelled set (bench/data/narrative_icp) it ranks fits as well as
comparing whole texts (docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.semantic.vectors import Vectors

SHOWN_SENTENCE = 80
SHOWN_NARRATIVE = 60
DIGITS = 2


@dataclass(frozen=True, slots=True)
class SemanticMatch:
    """A record's text against a narrative: `similarity` (rounded to what reasons show) of the
    record's `sentence` closest to the narrative's sentence `narrative`; for a disqualifier,
    `versus` is the record's similarity to the ICP narrative it is weighed against."""

    similarity: float
    sentence: str
    narrative: str
    versus: float | None = None


def closest(
    sentences: Sequence[str],
    vectors: Vectors,
    narrative_sentences: Sequence[str],
    narrative_vectors: Vectors,
) -> SemanticMatch | None:
    """The closest (record sentence, narrative sentence) pair, None when either side has no
    sentence. Ties go to the earlier sentence of each."""
    if not sentences or not narrative_sentences:
        return None
    similarities = vectors @ narrative_vectors.T
    row, column = np.unravel_index(int(np.argmax(similarities)), similarities.shape)
    return SemanticMatch(
        round(float(similarities[row, column]), DIGITS),
        shortened(sentences[int(row)], SHOWN_SENTENCE),
        shortened(narrative_sentences[int(column)], SHOWN_NARRATIVE),
    )


def best_similarity(vectors: Vectors, narrative_vectors: Vectors) -> float | None:
    if not len(vectors) or not len(narrative_vectors):
        return None
    return round(float((vectors @ narrative_vectors.T).max()), DIGITS)


def shortened(sentence: str, limit: int) -> str:
    """At most `limit` characters, cut at a word with `…` when longer."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0] if " " in sentence[: limit - 1] else ""
    return (cut or sentence[: limit - 1]).rstrip(" ,;:-") + "…"
