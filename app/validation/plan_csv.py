"""`plan --csv`: every account whose tier changes into or out of `disqualified`, one row each,
for a RevOps lead to review in a spreadsheet before the rubric ships.

Flags are `;`-separated. A name that a spreadsheet would read as a formula (it starts with
`=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading `'`: names come from
a CRM, and a cell must never run what someone typed into a company name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from app.validation.plan import Change

COLUMNS = (
    "direction",
    "source",
    "object_type",
    "crm_id",
    "name",
    "tier_before",
    "tier_after",
    "score_before",
    "score_after",
    "flags_added",
    "flags_removed",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_changes(path: Path, changes: Iterable[Change]) -> int:
    """Writes the rows (header first) and returns how many accounts were written."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for change in changes:
            writer.writerow(row(change))
            count += 1
    return count


def row(change: Change) -> list[str]:
    return [
        change.direction or "",
        change.source,
        change.object_type,
        change.crm_id,
        safe_text(change.name or ""),
        change.tier_before,
        change.tier_after,
        str(change.score_before),
        str(change.score_after),
        ";".join(change.flags_added),
        ";".join(change.flags_removed),
    ]


def safe_text(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
