"""`POST /crm/v3/objects/{type}/search`: the request compiled into a predicate and a sort.

Semantics (hubspot.md §4): filters AND within a group, groups OR; operators EQ NEQ LT LTE GT
GTE BETWEEN IN NOT_IN HAS_PROPERTY NOT_HAS_PROPERTY CONTAINS_TOKEN NOT_CONTAINS_TOKEN; string
comparisons ignore case, enumerations do not; numbers compare as numbers; datetimes as epoch
milliseconds (filter values as epoch-ms strings or ISO-8601); one sort (an object or a string,
`-name` for descending), ties in a scrambled but stable order (`search_index.tie_key`: HubSpot
promises no tie order, and it is not id order), default order oldest-created first; `after` is
a numeric offset. Search reads the index (`search_index`), which trails changes by a few
seconds. Caps: filter groups 5 of 10 filters, 25 in all (the Aug-2024 changelog
figures; older docs say 3 groups of 3 or 5 of 6); `after` ≥ 10,000 → 400; request body over 3,000
characters → 400; `limit` default 10, up to 200 (the current docs; clients use ≤ 100).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from crm_sandbox.hubspot.errors import validation_error
from crm_sandbox.hubspot.records import StoredRecord
from crm_sandbox.hubspot.schema import PropertyDefinition
from crm_sandbox.hubspot.search_filters import (
    AssociatedIds,
    FilterCompiler,
    Predicate,
    SortKey,
    always,
)

MAX_BODY_CHARS = 3_000
MAX_RESULTS = 10_000
MAX_LIMIT = 200
DEFAULT_LIMIT = 10


@dataclass(frozen=True, slots=True)
class SearchPlan:
    predicate: Predicate
    sort_key: SortKey
    has_sort_value: Predicate
    descending: bool
    properties: tuple[str, ...] | None
    limit: int
    after: int


def compile_search(
    body: object,
    *,
    object_type: str,
    definitions: Mapping[str, PropertyDefinition],
    associated_companies: AssociatedIds,
) -> SearchPlan:
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected a search request object")
    limit = _int_param(body.get("limit"), "limit", DEFAULT_LIMIT)
    if not 0 <= limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 0 and {MAX_LIMIT}, got {limit}")
    after = _int_param(body.get("after"), "after", 0)
    if after < 0:
        raise validation_error(f"after must not be negative, got {after}")
    if after >= MAX_RESULTS:
        raise validation_error(
            f"The search request asked for results beyond the first {MAX_RESULTS}: "
            f"after={after}. Narrow the filters (for example on hs_lastmodifieddate) instead."
        )
    compiler = FilterCompiler(object_type, definitions, associated_companies)
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list):
        raise validation_error("filterGroups: expected a list")
    if body.get("filters"):  # the pre-filterGroups shape: one AND group
        groups = [*groups, {"filters": body["filters"]}]
    predicate = compiler.groups(groups)
    query = body.get("query")
    if query is not None:
        if not isinstance(query, str):
            raise validation_error("query: expected a string")
        if query.strip():
            predicate = _and(predicate, compiler.text_query(query))
    sort_key, has_value, descending = compiler.sort(body.get("sorts"))
    properties = body.get("properties")
    if properties is not None and (
        not isinstance(properties, list) or not all(isinstance(p, str) for p in properties)
    ):
        raise validation_error("properties: expected a list of property names")
    return SearchPlan(
        predicate=predicate,
        sort_key=sort_key,
        has_sort_value=has_value,
        descending=descending,
        properties=tuple(properties) if properties else None,
        limit=limit,
        after=after,
    )


def run_search(
    plan: SearchPlan, records: Sequence[StoredRecord], tie_key: Callable[[StoredRecord], int]
) -> list[StoredRecord]:
    """Every live record that matches, in the plan's order; records with equal sort values
    (and those without one, which come last) in `tie_key` order, never by id."""
    predicate = plan.predicate
    matches = [record for record in records if not record.archived and predicate(record)]
    matches.sort(key=tie_key)
    if plan.has_sort_value is always:
        matches.sort(key=plan.sort_key, reverse=plan.descending)  # stable: ties keep tie_key
        return matches
    with_value = [record for record in matches if plan.has_sort_value(record)]
    without = [record for record in matches if not plan.has_sort_value(record)]
    with_value.sort(key=plan.sort_key, reverse=plan.descending)
    return with_value + without


def _int_param(value: object, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise validation_error(f"{name}: expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise validation_error(f"{name}: expected a number, got {value!r}")


def _and(first: Predicate, second: Predicate) -> Predicate:
    return lambda record: first(record) and second(record)
