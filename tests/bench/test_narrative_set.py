"""bench/data/narrative_icp, the labelled set for choosing the semantic rule's embedding model.

The set must stay usable as an evaluation: enough rows, every label well represented, no
duplicates, and fit rows that paraphrase the narrative instead of copying it (a copied phrase
would reward a model for word overlap, not meaning).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

SET_DIR = Path(__file__).resolve().parents[2] / "bench" / "data" / "narrative_icp"
LABELS = {"fit", "not_fit", "not_us"}
MIN_ROWS = 200
LABEL_SHARE_BOUNDS = {"fit": (0.30, 0.50), "not_fit": (0.35, 0.55), "not_us": (0.12, 0.25)}
COPY_GUARD_WORDS = 4


def _rows() -> list[dict[str, Any]]:
    lines = (SET_DIR / "descriptions.jsonl").read_text(encoding="utf-8").splitlines()
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            pytest.fail(f"descriptions.jsonl line {number} is not valid JSON: {error}")
        assert isinstance(row, dict), f"descriptions.jsonl line {number} is not an object: {line!r}"
        rows.append(row)
    return rows


def _word_sequences(text: str) -> set[tuple[str, ...]]:
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    return {
        tuple(words[i : i + COPY_GUARD_WORDS]) for i in range(len(words) - COPY_GUARD_WORDS + 1)
    }


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return _rows()


def test_given_the_set_then_it_has_enough_rows_each_with_the_four_fields(
    rows: list[dict[str, Any]],
) -> None:
    assert len(rows) >= MIN_ROWS
    for row in rows:
        assert set(row) == {"id", "text", "label", "note"}, f"row {row.get('id')!r}: {set(row)}"
        assert all(isinstance(row[key], str) for key in row), f"row {row['id']!r}"


def test_given_the_set_then_labels_are_allowed_and_each_share_within_bounds(
    rows: list[dict[str, Any]],
) -> None:
    counts = Counter(row["label"] for row in rows)
    assert set(counts) == LABELS, f"labels: {dict(counts)}"
    for label, (low, high) in LABEL_SHARE_BOUNDS.items():
        share = counts[label] / len(rows)
        assert low <= share <= high, f"label {label!r}: share {share:.3f} not in [{low}, {high}]"


def test_given_the_set_then_ids_and_texts_are_unique_and_notes_are_not_empty(
    rows: list[dict[str, Any]],
) -> None:
    ids = Counter(row["id"] for row in rows)
    texts = Counter(row["text"].strip().lower() for row in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [t for t, n in texts.items() if n > 1] == []
    assert [row["id"] for row in rows if not row["text"].strip()] == []
    assert [row["id"] for row in rows if not row["note"].strip()] == []


def test_given_the_narrative_then_it_has_a_not_us_section() -> None:
    narrative = (SET_DIR / "narrative.md").read_text(encoding="utf-8")
    icp, separator, not_us = narrative.partition("\n## Not us\n")
    assert separator, "narrative.md: no '## Not us' section"
    assert icp.strip()
    assert not_us.strip()


def test_given_a_fit_row_then_it_shares_no_four_word_sequence_with_the_narrative(
    rows: list[dict[str, Any]],
) -> None:
    narrative = _word_sequences((SET_DIR / "narrative.md").read_text(encoding="utf-8"))
    copies = {
        row["id"]: sorted(" ".join(words) for words in _word_sequences(row["text"]) & narrative)
        for row in rows
        if row["label"] == "fit"
    }
    assert {row_id: shared for row_id, shared in copies.items() if shared} == {}


def test_given_a_fit_text_copying_the_narrative_then_the_guard_sees_it() -> None:
    narrative = _word_sequences((SET_DIR / "narrative.md").read_text(encoding="utf-8"))
    copied = "We are a retailer; Month-End Close drags on, every quarter."
    assert _word_sequences(copied) & narrative == {
        ("month", "end", "close", "drags"),
        ("end", "close", "drags", "on"),
    }
