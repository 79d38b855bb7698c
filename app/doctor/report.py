"""`icp-sync doctor`'s output: a table (status, check, what was found, how to fix it) or one
JSON document `{"ok", "counts", "checks": [{name, source, status, detail, fix}]}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.markup import escape
from rich.table import Table

from app.doctor.model import Check, counts, failed

STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def as_json(checks: Sequence[Check]) -> dict[str, Any]:
    return {
        "ok": not failed(checks),
        "counts": counts(checks),
        "checks": [check.as_json() for check in checks],
    }


def as_table(checks: Sequence[Check], title: str = "icp-sync doctor") -> Table:
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("status", "source", "check", "found", "fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        style = STYLES[check.status]
        table.add_row(
            f"[{style}]{check.status}[/]",
            check.source,
            check.name,
            escape(check.detail),
            escape(check.fix or ""),
        )
    return table


def summary(checks: Sequence[Check]) -> str:
    found = counts(checks)
    return ", ".join(f"{found[status]} {status}" for status in ("ok", "warn", "fail", "skip"))
