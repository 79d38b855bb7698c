"""What the scorer reads about one record: plain values, no ORM objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CANONICAL_FIELDS = (
    "name",
    "domain",
    "industry",
    "employees",
    "annual_revenue",
    "country",
    "state",
    "technologies",
)
_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """One account, company or lead as the scorer sees it.

    `values` holds the canonical fields (and any extra column of an input file); `properties`
    holds the raw CRM properties, which the rubric's `fields` mapping can point a criterion at.
    """

    id: str
    values: Mapping[str, object]
    object_type: str = "account"
    source: str | None = None
    properties: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
