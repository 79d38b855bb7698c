"""Records enriched a chunk at a time, without a store (scoring a file). The model and numpy
are imported only for a rubric that reads text by meaning: scoring a small file with any other
stays as quick to start as before (tests/app/cli/test_cli_imports.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice

from app.scoring.compiled import CompiledRubric
from app.scoring.facts import AccountFacts


def enriched(
    rubric: CompiledRubric, records: Iterable[AccountFacts], now: datetime, chunk: int = 512
) -> Iterator[AccountFacts]:
    """`records` enriched for `rubric` a chunk at a time, without a store (scoring a file):
    each chunk's texts embedded in one call."""
    if not rubric.semantic:
        yield from records
        return
    from app.semantic.enrich import semantics_for

    pending = iter(records)
    while batch := list(islice(pending, chunk)):
        semantics = semantics_for(None, rubric, batch, now)
        yield from map(semantics.enrich, batch)
