"""The model-free half of the semantic model benchmark: reading the narrative, splitting text
into sentences, the three ways of scoring a record against a narrative section, and ROC AUC.

Kept apart from the models so every candidate is scored by the same code on the same splits,
and so the tests can check it without loading a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

NOT_US_HEADING = "## Not us"
SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
STRATEGIES = {
    "a": "record vs each paragraph, max",
    "b": "max over sentence pairs",
    "c": "record vs whole section",
}
Array = np.ndarray[Any, Any]
Embed = Callable[[str], Array]


@dataclass(frozen=True)
class Section:
    """A narrative section as paragraphs of unwrapped text, headings left out."""

    paragraphs: tuple[str, ...]

    @property
    def whole(self) -> str:
        return " ".join(self.paragraphs)

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(s for p in self.paragraphs for s in split_sentences(p))


@dataclass(frozen=True)
class Narrative:
    icp: Section
    not_us: Section


def _section(markdown: str) -> Section:
    blocks = re.split(r"\n\s*\n", markdown)
    paragraphs = []
    for block in blocks:
        lines = [line.strip() for line in block.splitlines()]
        text = " ".join(line for line in lines if line and not line.startswith("#"))
        if text:
            paragraphs.append(text)
    return Section(tuple(paragraphs))


def parse_narrative(markdown: str) -> Narrative:
    """The ICP is everything above the `## Not us` heading; the negative ICP everything below."""
    above, heading, below = markdown.partition(NOT_US_HEADING)
    if not heading:
        raise ValueError(f"the narrative has no {NOT_US_HEADING!r} section")
    return Narrative(_section(above), _section(below))


def split_sentences(text: str) -> list[str]:
    """Breaks after . ! ? ; followed by whitespace, and at newlines (so "2.5" and "AS/400's"
    stay whole); a text with no sentence in it is its own single sentence."""
    sentences = [part.strip() for part in SENTENCE_BREAK.split(text)]
    kept = [s for s in sentences if s]
    return kept or [text]


def texts_to_embed(narrative: Narrative, records: Sequence[str]) -> list[str]:
    """Every distinct text any strategy compares, so each model embeds each text once."""
    wanted: dict[str, None] = {}
    for section in (narrative.icp, narrative.not_us):
        for text in (*section.paragraphs, *section.sentences, section.whole):
            wanted[text] = None
    for record in records:
        wanted[record] = None
        for sentence in split_sentences(record):
            wanted[sentence] = None
    return list(wanted)


def _max_cosine(embed: Embed, left: Sequence[str], right: Sequence[str]) -> float:
    a = np.stack([embed(t) for t in left])
    b = np.stack([embed(t) for t in right])
    return float((a @ b.T).max())


def score(strategy: str, embed: Embed, section: Section, record: str) -> float:
    """Cosine similarity of a record to a section (embeddings are unit length)."""
    if strategy == "a":
        return _max_cosine(embed, [record], section.paragraphs)
    if strategy == "b":
        return _max_cosine(embed, split_sentences(record), section.sentences)
    if strategy == "c":
        return _max_cosine(embed, [record], [section.whole])
    raise ValueError(f"unknown strategy {strategy!r}")


def auc(positives: Sequence[float] | Array, negatives: Sequence[float] | Array) -> float:
    """Mann-Whitney: the share of (positive, negative) pairs the score orders right, ties 1/2."""
    pos = np.asarray(positives, np.float64)[:, None]
    neg = np.asarray(negatives, np.float64)[None, :]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("AUC needs at least one positive and one negative")
    wins = (pos > neg).sum() + 0.5 * (pos == neg).sum()
    return float(wins / (pos.size * neg.size))


def bootstrap_interval(
    positives: Sequence[float] | Array,
    negatives: Sequence[float] | Array,
    resamples: int = 1000,
    seed: int = 20,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval, positives and negatives resampled apart so each draw keeps the
    set's class counts."""
    pos, neg = np.asarray(positives, np.float64), np.asarray(negatives, np.float64)
    rng = np.random.default_rng(seed)
    values = [auc(rng.choice(pos, pos.size), rng.choice(neg, neg.size)) for _ in range(resamples)]
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)
