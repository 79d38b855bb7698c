"""The HTML cells every report table is made of: each figure carries its JSON name
(``data-field``) and value (``data-value``) beside its formatted text (see
:mod:`app.validation.report`), every text escaped."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

Format = Callable[[Any], str]


Column = tuple[str, str, Format]
"""(JSON key, heading, formatting)."""


def attr(value: Any) -> str:
    """A value as an attribute: a string as is, anything else as JSON; escaped either way."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return escape(text, quote=True)


def _json_attr(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False), quote=True)


def cell(field: str, value: Any, fmt: Format, *, numeric: bool = True) -> str:
    css = " class='n'" if numeric else ""
    return (
        f"<td{css} data-field='{field}' data-value='{_json_attr(value)}'>{escape(fmt(value))}</td>"
    )


def span(field: str, value: Any, fmt: Format, css: str = "") -> str:
    css_class = f" class='{css}'" if css else ""
    return (
        f"<span{css_class} data-field='{field}' data-value='{_json_attr(value)}'>"
        f"{escape(fmt(value))}</span>"
    )
