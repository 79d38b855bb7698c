"""examples/narratives/sandbox-icp.md, the RevOps team's narrative of the sandbox's true ICP.

It must say the same thing as the seeded descriptions' hidden trigger in other words: a copied
phrase would let a semantic rule match by word overlap, and the sandbox would then overstate
what reading by meaning adds. So no 4-word sequence of it may appear in any description
template or in any seeded description.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from crm_sandbox.core import description_activities, description_themes
from crm_sandbox.core.seed import generate

NARRATIVE = Path(__file__).resolve().parents[2] / "examples" / "narratives" / "sandbox-icp.md"
COPY_GUARD_WORDS = 4
_SLOT = re.compile(r"\{\w+\}")


def _word_sequences(text: str) -> set[tuple[str, ...]]:
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    n = COPY_GUARD_WORDS
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list | frozenset):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _template_fragments() -> list[str]:
    """Every literal stretch of every description template (split at its slots)."""
    fragments: list[str] = []
    for module in (description_activities, description_themes):
        for name, value in vars(module).items():
            if name.isupper():
                for text in _strings(value):
                    fragments.extend(_SLOT.split(text))
    return fragments


def _shared(text: str, narrative: set[tuple[str, ...]]) -> list[str]:
    return sorted(" ".join(words) for words in _word_sequences(text) & narrative)


def test_given_the_narrative_then_it_has_two_or_three_paragraphs_and_a_not_us_section() -> None:
    text = NARRATIVE.read_text(encoding="utf-8")
    us, separator, not_us = text.partition("\n## Not us\n")
    paragraphs = [p for p in us.split("\n\n") if p.strip() and not p.lstrip().startswith("#")]

    assert separator
    assert 2 <= len(paragraphs) <= 3
    assert not_us.strip()


def test_given_the_templates_then_none_shares_a_four_word_sequence_with_the_narrative() -> None:
    narrative = _word_sequences(NARRATIVE.read_text(encoding="utf-8"))
    fragments = _template_fragments()

    copies = {f: _shared(f, narrative) for f in fragments if _shared(f, narrative)}

    assert len(fragments) > 200
    assert copies == {}


def test_given_seeded_descriptions_then_none_shares_a_four_word_sequence_with_the_narrative() -> (
    None
):
    narrative = _word_sequences(NARRATIVE.read_text(encoding="utf-8"))
    companies = generate(7, 3_000, 0.0, as_of=datetime(2026, 11, 1, tzinfo=UTC)).companies

    copies = {c.index: _shared(c.description, narrative) for c in companies}

    assert {index: shared for index, shared in copies.items() if shared} == {}


def test_given_a_template_copying_the_narrative_then_the_guard_sees_it() -> None:
    narrative = _word_sequences(NARRATIVE.read_text(encoding="utf-8"))

    copied = "After {year}, the deal was done: Come apart at the seams, they said."

    assert [s for f in _SLOT.split(copied) for s in _shared(f, narrative)] == [
        "apart at the seams",
        "come apart at the",
    ]
