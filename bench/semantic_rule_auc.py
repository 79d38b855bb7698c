"""How well the product's `semantic` rule ranks records, through the product's own code
(app.semantic: the splitter, the cache layout, the match) rather than the model benchmark's
strategies: the criterion's similarity (whole texts) and the disqualifier's (closest sentence
pair), as ROC AUC on two labelled sets:

- bench/data/narrative_icp (253 hand-written descriptions; fit vs not_fit, not_us vs the rest);
- the sandbox's generated descriptions (crm_sandbox.core.descriptions) against
  examples/narratives/sandbox-icp.md, labelled by their hidden theme (trigger vs the rest,
  not_us vs the rest).

    .venv/bin/python bench/semantic_rule_auc.py [--companies 4000]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from semantic_scoring import auc  # noqa: E402

from app.rubric.loader import parse_rubric  # noqa: E402
from app.scoring import AccountFacts, CompiledRubric, compile_rubric  # noqa: E402
from app.semantic.enrich import semantics_for  # noqa: E402
from app.semantic.fact import SemanticMatch  # noqa: E402

NOW = datetime(2026, 12, 5, tzinfo=UTC)
NOT_US = "## Not us"


def rubric_of(narrative_markdown: str) -> CompiledRubric:
    us, not_us = narrative_markdown.split(NOT_US)
    semantic = {"fields": ["description"], "bands": [{"min": 0.0, "points": 100}]}
    return compile_rubric(
        parse_rubric(
            {
                "version": "auc",
                "narrative": {"us": us, "not_us": not_us},
                "layers": {
                    "text": {
                        "criteria": [
                            {"id": "fit", "weight": 1, "reason": "Fit", "semantic": semantic}
                        ]
                    }
                },
                "tiers": [{"name": "all", "label": "All", "min_score": 0}],
                "disqualifiers": [
                    {
                        "id": "not_us",
                        "reason": "Not us",
                        "semantic": {"fields": ["description"], "at_least": 1.0},
                    }
                ],
            }
        )
    )


def similarities(rubric: CompiledRubric, texts: Sequence[str]) -> list[tuple[float, float]]:
    """Per text: the criterion's similarity and the disqualifier's (-1 for an empty text)."""
    facts = [AccountFacts(str(i), {"description": t}) for i, t in enumerate(texts)]
    semantics = semantics_for(None, rubric, facts, NOW)
    found: list[tuple[float, float]] = []
    for record in map(semantics.enrich, facts):
        fit, not_us = record.values["semantic.fit"], record.values["semantic.not_us"]
        found.append(
            (
                fit.similarity if isinstance(fit, SemanticMatch) else -1.0,
                not_us.similarity if isinstance(not_us, SemanticMatch) else -1.0,
            )
        )
    return found


def _auc(scores: Sequence[float], positive: Sequence[bool], negative: Sequence[bool]) -> float:
    return auc(
        [s for s, p in zip(scores, positive, strict=True) if p],
        [s for s, n in zip(scores, negative, strict=True) if n],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=4000)
    args = parser.parse_args()

    data = ROOT / "bench/data/narrative_icp"
    rows = [json.loads(line) for line in (data / "descriptions.jsonl").open()]
    found = similarities(rubric_of((data / "narrative.md").read_text()), [r["text"] for r in rows])
    labels = [r["label"] for r in rows]
    print("| set | criterion AUC (whole texts) | disqualifier AUC (closest pair) |")
    print("| --- | ---: | ---: |")
    fit = _auc(
        [f for f, _ in found], [x == "fit" for x in labels], [x == "not_fit" for x in labels]
    )
    not_us = [x == "not_us" for x in labels]
    nus = _auc([n for _, n in found], not_us, [not x for x in not_us])
    print(
        f"| narrative_icp ({len(rows)}; fit vs not_fit, not_us vs rest) | {fit:.3f} | {nus:.3f} |"
    )

    from crm_sandbox.core.seed import generate

    companies = [c for c in generate(seed=7, companies=args.companies).companies if c.description]
    sandbox = (ROOT / "examples/narratives/sandbox-icp.md").read_text()
    found = similarities(rubric_of(sandbox), [c.description for c in companies])
    themes = [c.text_theme for c in companies]
    trigger = [t == "trigger" for t in themes]
    fit = _auc([f for f, _ in found], trigger, [not t for t in trigger])
    not_us = [t == "not_us" for t in themes]
    nus = _auc([n for _, n in found], not_us, [not x for x in not_us])
    label = f"sandbox seed 7 ({len(companies)} described; trigger vs rest, not_us vs rest)"
    print(f"| {label} | {fit:.3f} | {nus:.3f} |")


if __name__ == "__main__":
    main()
