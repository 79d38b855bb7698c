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
