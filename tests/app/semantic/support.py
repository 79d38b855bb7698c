"""For the semantic rule's tests: a small rubric with a semantic criterion and disqualifier, and
the real model counting what it embeds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.rubric.loader import parse_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.semantic.model import local_embedder
from app.semantic.vectors import Vectors

US = """Retail chains with many stores whose old systems cannot keep up with growth.

The finance team reconciles stock and sales from every store by hand at month end."""
NOT_US = "Government agencies and public bodies that buy through tenders."


def semantic_document(**narrative: str) -> dict[str, Any]:
    return {
        "version": "semantic-test",
        "fields": {"description": {"salesforce": "Description"}},
        "narrative": {"us": US, "not_us": NOT_US, **narrative},
        "layers": {
            "firmographic": {
                "criteria": [
                    {
                        "id": "size",
                        "field": "employees",
                        "weight": 50,
                        "reason": "Size",
                        "bands": [{"min": 50, "points": 100}],
                    }
                ]
            },
            "narrative": {
                "criteria": [
                    {
                        "id": "story",
                        "weight": 50,
                        "reason": "Narrative fit",
                        "missing": "skip",
                        "semantic": {
                            "fields": ["description", "about_us"],
                            "bands": [
                                {"min": 0.35, "points": 100},
                                {"min": 0.2, "points": 50},
                            ],
                        },
                    }
                ]
            },
        },
        "tiers": [
            {"name": "tier_1", "label": "Tier 1", "min_score": 70},
            {"name": "tier_2", "label": "Tier 2", "min_score": 0},
        ],
        "disqualifiers": [
            {
                "id": "public_body",
                "reason": "Not us",
                "semantic": {"fields": ["description"], "at_least": 0.3, "margin": 0.05},
            }
        ],
    }


def semantic_rubric(**narrative: str) -> CompiledRubric:
    return compile_rubric(parse_rubric(semantic_document(**narrative)))


class CountingEmbedder:
    """The real model, keeping the texts it is asked to embed."""

    def __init__(self) -> None:
        self._model = local_embedder()
        self.version = self._model.version
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.embedded += texts
        return self._model.embed(texts)
