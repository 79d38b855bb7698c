"""Reading a describe answer (`GET /sobjects/<object>/describe`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def fields_by_name(described: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """A describe answer's `fields`, by API name (malformed items left out)."""
    listed = described.get("fields")
    return {
        str(item["name"]): item
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, Mapping) and isinstance(item.get("name"), str)
    }
