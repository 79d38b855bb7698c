"""What is embedded of a record: its text fields joined, split into sentences, bounded. Pure.

The bounds keep a record's cached embeddings to a few KB (`MAX_SENTENCES` vectors of
`vectors.BYTES_PER_VECTOR`) whatever a CRM field holds: a description pasted from a website
can run to pages, and its first sentences say what the company is."""

from __future__ import annotations

import hashlib
import re

MAX_SENTENCES = 7
MAX_SENTENCE_CHARS = 400
MAX_TEXT_CHARS = 4000
MIN_SENTENCE_CHARS = 3
_BREAK = re.compile(r"(?<=[.!?;])\s+|\s*\n\s*|\s+[•·]\s+")
_SPACE = re.compile(r"\s+")


SPLIT_VERSION = "split-2"
"""Part of the cache's model version: a change to how texts are split (or to what a stored row
holds: `embedded`) changes which vectors a row holds."""


def stored_version(model_version: str) -> str:
    """The version a cached row is kept under: the model's and the splitter's (either changing
    makes stored rows stale), within the column's 64 characters."""
    return f"{model_version}/{SPLIT_VERSION}"[:64]


def split_sentences(text: str, limit: int | None = MAX_SENTENCES) -> list[str]:
    """The sentences of `text` (at `.`, `!`, `?`, `;`, line breaks and bullets), whitespace
    collapsed, each at most `MAX_SENTENCE_CHARS`; fragments of fewer than 3 characters or
    without a letter or digit ("—") dropped; at most `limit` (None: all, for a narrative)."""
    sentences: list[str] = []
    for piece in _BREAK.split(text if limit is None else text[:MAX_TEXT_CHARS]):
        sentence = _SPACE.sub(" ", piece).strip()[:MAX_SENTENCE_CHARS]
        if len(sentence) >= MIN_SENTENCE_CHARS and any(ch.isalnum() for ch in sentence):
            sentences.append(sentence)
            if len(sentences) == limit:
                break
    return sentences


def embedded(sentences: list[str]) -> list[str]:
    """What is embedded of a text split into `sentences`: the text as a whole (its sentences
    joined), then each sentence. The whole ranks how well a text fits a narrative, a sentence
    is what a reason quotes (docs/benchmarks.md, "Narrative ICP")."""
    return [" ".join(sentences), *sentences] if sentences else []


def joined_text(values: list[object]) -> str:
    """The text fields' values as one text, one field per line (a field ends a sentence);
    lists (a multi-select) joined with commas; empty values left out."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value if item not in (None, ""))
        if value is None or isinstance(value, bool):
            continue
        shown = str(value).strip()
        if shown:
            parts.append(shown)
    return "\n".join(parts)


def text_hash(text: str) -> str:
    """The cache key of a text's embeddings (with the model version)."""
    return hashlib.sha256(text.encode()).hexdigest()


def narrative_sentences(narrative: str) -> list[str]:
    """A narrative's sentences, paragraph by paragraph (paragraphs are separated by blank
    lines; Markdown headings are left out), none dropped for length but the empty."""
    found: list[str] = []
    for block in re.split(r"\n\s*\n", narrative):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
        found += split_sentences(" ".join(lines), limit=None)
    return found
