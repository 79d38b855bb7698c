"""A JSON document written as `json.dumps(document, ensure_ascii=False, indent=2,
default=str)` writes it, byte for byte, but with its long lists (`Lazy`: a `Sequence`, such
as `plan`'s every account into or out of disqualified) written one item at a time as they
are read, never all held at once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

INDENT = 2


class Lazy:
    """Marks a sequence to be written an item at a time."""

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items


def write_json(document: Any, out: TextIO) -> None:
    """`document` and a newline, as `app.cli.common.print_json` prints it."""
    lazies: dict[str, Lazy] = {}
    text = _dumps(_placed(document, lazies))
    for marker, lazy in lazies.items():
        quoted = json.dumps(marker)
        before, text = text.split(quoted, 1)
        out.write(before)
        line_start = before.rfind("\n") + 1
        depth = len(before[line_start:]) - len(before[line_start:].lstrip(" "))
        _write_list(lazy.items, depth, out)
    out.write(text + "\n")


def _placed(value: Any, lazies: dict[str, Lazy]) -> Any:
    """`value` with each `Lazy` in it (in dicts and lists) replaced by a unique marker."""
    if isinstance(value, Lazy):
        marker = f"\0lazy-{len(lazies)}-{id(value):x}\0"
        lazies[marker] = value
        return marker
    if isinstance(value, dict):
        return {key: _placed(item, lazies) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_placed(item, lazies) for item in value]
    return value


def _write_list(items: Sequence[Any], depth: int, out: TextIO) -> None:
    """The list as `json.dumps` indents it where its key's line is indented `depth` spaces."""
    if not len(items):
        out.write("[]")
        return
    inner = "\n" + " " * (depth + INDENT)
    out.write("[")
    for index, item in enumerate(items):
        out.write(("," if index else "") + inner + _dumps(item).replace("\n", inner))
    out.write("\n" + " " * depth + "]")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=INDENT, default=str)
