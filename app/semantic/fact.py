"""The fact a semantic rule reads, as the enrichment step sets it. Plain values, no numpy:
the scorer imports it, and scoring a file imports no more than it needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SemanticMatch:
    """A record's text against a narrative: `similarity` (rounded to what reasons show) of the
    record's `sentence` closest to the narrative's sentence `narrative`; for a disqualifier,
    `versus` is the record's similarity to the ICP narrative it is weighed against."""

    similarity: float
    sentence: str
    narrative: str
    versus: float | None = None


@dataclass(frozen=True, slots=True)
class TextRef:
    """A semantic rule's text before it is compared (the first phase of enrichment): what the
    input digest reads, so a record whose text, rubric and model are unchanged digests the same
    without a vector being read or a similarity computed. Its `str` (what the digest encodes)
    is the model's cache version and the text's hash, never the text."""

    text: str
    hash: str
    version: str

    def __str__(self) -> str:
        return f"{self.version}/{self.hash}"
