"""The filters, text query and sort of a HubSpot search, compiled into plain predicates and
sort keys over stored records (the semantics are in `search`).

Values compare by the property's type: numbers as numbers, dates and datetimes as epoch
milliseconds, enumerations exactly, strings ignoring case; a checkbox (multi-select) property
matches when any of its `;`-separated values does. `associations.company` filters a deal or a
contact by its companies' ids.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import ge, gt, le, lt
from typing import Any

from crm_sandbox.hubspot.errors import validation_error
from crm_sandbox.hubspot.records import StoredRecord
from crm_sandbox.hubspot.schema import PropertyDefinition
from crm_sandbox.hubspot.values import parse_datetime_ms

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
ASSOCIATED_COMPANY = "associations.company"

Predicate = Callable[[StoredRecord], bool]
AssociatedIds = Callable[[StoredRecord], Sequence[str]]
SortKey = Callable[[StoredRecord], Any]
_TOKEN_SPLIT = re.compile(r"[^\w@.*-]+")
_OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY"}
    | {"NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {"LT": lt, "LTE": le, "GT": gt, "GTE": ge}
_TEXT_FIELDS = {
    "companies": ("name", "domain", "website"),
    "deals": ("dealname",),
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
}
#: The last-modified property, compared and sorted by the record's modification time.
_MODIFIED = frozenset({"hs_lastmodifieddate", "lastmodifieddate"})


def always(_record: StoredRecord) -> bool:
    return True


@lru_cache(maxsize=65_536)
def _datetime_ms(value: str) -> int | None:
    return parse_datetime_ms(value)


def _as_float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


class FilterCompiler:
    """Compiles one search request's filter groups, text query and sort for an object type."""

    def __init__(
        self,
        object_type: str,
        definitions: Mapping[str, PropertyDefinition],
        associated_companies: AssociatedIds,
    ) -> None:
        self.object_type = object_type
        self.definitions = definitions
        self.associated_companies = associated_companies

    def groups(self, groups: list[Any]) -> Predicate:
        if len(groups) > MAX_GROUPS:
            raise validation_error(
                f"Too many filter groups: {len(groups)}; the maximum is {MAX_GROUPS}."
            )
        compiled: list[list[Predicate]] = []
        total = 0
        for position, group in enumerate(groups):
            if not isinstance(group, dict) or not isinstance(group.get("filters", []), list):
                raise validation_error(f"filterGroups[{position}]: expected {{'filters': [...]}}")
            filters = group.get("filters") or []
            if len(filters) > MAX_FILTERS_PER_GROUP:
                raise validation_error(
                    f"Too many filters in filterGroups[{position}]: {len(filters)}; "
                    f"the maximum is {MAX_FILTERS_PER_GROUP}."
                )
            total += len(filters)
            compiled.append([self.filter(item, position) for item in filters])
        if total > MAX_FILTERS:
            raise validation_error(f"Too many filters: {total}; the maximum is {MAX_FILTERS}.")
        compiled = [group for group in compiled if group]
        if not compiled:
            return always
        if len(compiled) == 1 and len(compiled[0]) == 1:
            return compiled[0][0]
        return lambda record: any(all(test(record) for test in group) for group in compiled)

    def _definition(self, name: str) -> PropertyDefinition | None:
        if name == ASSOCIATED_COMPANY and self.object_type in ("deals", "contacts"):
            return None
        definition = self.definitions.get(name)
        if definition is None or definition.archived:
            raise validation_error(
                f'Property "{name}" does not exist',
                errors=[
                    {
                        "message": f'Property "{name}" does not exist',
                        "code": "PROPERTY_DOESNT_EXIST",
                        "context": {"propertyName": [name]},
                    }
                ],
            )
        return definition

    def filter(self, item: object, group: int) -> Predicate:
        if not isinstance(item, dict):
            raise validation_error(f"filterGroups[{group}].filters: expected objects")
        name, operator = item.get("propertyName"), item.get("operator")
        if not isinstance(name, str) or not name:
            raise validation_error(f"filterGroups[{group}]: a filter has no propertyName")
        if operator not in _OPERATORS:
            raise validation_error(
                f"Unknown filter operator {operator!r} on {name}; expected one of: "
                + ", ".join(sorted(_OPERATORS))
            )
        definition = self._definition(name)
        if definition is None:  # associations.company
            return self._associated(name, str(operator), item)
        typed = _Typed.of(definition)
        getter = _getter(name)
        if operator == "HAS_PROPERTY":
            return lambda record: getter(record) is not None
        if operator == "NOT_HAS_PROPERTY":
            return lambda record: getter(record) is None
        if operator in ("IN", "NOT_IN"):
            raw_values = item.get("values")
            if not isinstance(raw_values, list) or not raw_values:
                raise validation_error(f"{operator} on {name} needs a non-empty 'values' list")
            wanted = [typed.parse(_text(value, name), name) for value in raw_values]
            if operator == "IN":
                return lambda record: typed.any_equal(getter(record), wanted)
            return lambda record: not typed.any_equal(getter(record), wanted)
        value = _text(item.get("value"), name)
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            pattern = value.casefold()
            if operator == "CONTAINS_TOKEN":
                return lambda record: _contains_token(getter(record), pattern)
            return lambda record: not _contains_token(getter(record), pattern)
        target = typed.parse(value, name)
        if operator == "EQ":
            return lambda record: typed.any_equal(getter(record), [target])
        if operator == "NEQ":
            return lambda record: not typed.any_equal(getter(record), [target])
        if operator == "BETWEEN":
            high = typed.parse(_text(item.get("highValue"), name, "highValue"), name)
            return lambda record: typed.between(getter(record), target, high)
        compare: Callable[[Any, Any], bool] = _COMPARISONS[str(operator)]
        if name in _MODIFIED and isinstance(target, int):  # the incremental pull
            return lambda record: compare(record.updated_ms, target)
        return lambda record: typed.compare(getter(record), target, compare)

    def _associated(self, name: str, operator: str, item: Mapping[str, Any]) -> Predicate:
        associated = self.associated_companies
        if operator in ("EQ", "NEQ"):
            wanted = _text(item.get("value"), name)
            if operator == "EQ":
                return lambda record: wanted in associated(record)
            return lambda record: wanted not in associated(record)
        if operator in ("IN", "NOT_IN"):
            values = item.get("values")
            if not isinstance(values, list) or not values:
                raise validation_error(f"{operator} on {name} needs a non-empty 'values' list")
            wanted_set = frozenset(_text(value, name) for value in values)
            if operator == "IN":
                return lambda record: any(cid in wanted_set for cid in associated(record))
            return lambda record: not any(cid in wanted_set for cid in associated(record))
        if operator == "HAS_PROPERTY":
            return lambda record: bool(associated(record))
        if operator == "NOT_HAS_PROPERTY":
            return lambda record: not associated(record)
        raise validation_error(f"Operator {operator} is not supported on {name}")

    def text_query(self, query: str) -> Predicate:
        fields = _TEXT_FIELDS.get(self.object_type, ())
        needle = query.strip().casefold()

        def matches(record: StoredRecord) -> bool:
            return any(needle in record.properties.get(f, "").casefold() for f in fields)

        return matches

    def sort(self, sorts: object) -> tuple[SortKey, Predicate, bool]:
        if sorts is None or sorts == []:
            return (lambda record: record.created_ms), always, False
        if not isinstance(sorts, list):
            raise validation_error("sorts: expected a list")
        if len(sorts) > 1:
            raise validation_error(f"Only one sort is supported; got {len(sorts)}.")
        sort = sorts[0]
        if isinstance(sort, str):
            descending = sort.startswith("-")
            name = sort.lstrip("-")
        elif isinstance(sort, dict) and isinstance(sort.get("propertyName"), str):
            name = sort["propertyName"]
            direction = str(sort.get("direction", "ASCENDING")).upper()
            if direction not in ("ASCENDING", "DESCENDING"):
                raise validation_error(f"sorts[0].direction: unknown direction {direction!r}")
            descending = direction == "DESCENDING"
        else:
            raise validation_error("sorts[0]: expected a property name or {propertyName, ...}")
        definition = self._definition(name)
        if definition is None:
            raise validation_error(f"Cannot sort by {name}")
        if name in _MODIFIED:
            return (lambda record: record.updated_ms), always, descending
        if name == "createdate":
            return (lambda record: record.created_ms), always, descending
        if name == "hs_object_id":
            return (lambda record: int(record.id)), always, descending
        typed = _Typed.of(definition)
        getter = _getter(name)

        def has_value(record: StoredRecord) -> bool:
            value = getter(record)
            return value is not None and typed.sort_value(value) is not None

        return (lambda record: typed.sort_value(getter(record) or "")), has_value, descending


def _text(value: object, name: str, key: str = "value") -> str:
    if value is None:
        raise validation_error(f"The filter on {name} needs a '{key}'")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise validation_error(f"The filter on {name}: '{key}' must be a string or number")


def _getter(name: str) -> Callable[[StoredRecord], str | None]:
    if name == "hs_object_id":
        return lambda record: record.id
    return lambda record: record.properties.get(name)


def _contains_token(value: str | None, pattern: str) -> bool:
    if value is None:
        return False
    folded = value.casefold()
    if "*" not in pattern:
        return pattern in _TOKEN_SPLIT.split(folded) or folded == pattern
    return any(fnmatch.fnmatchcase(token, pattern) for token in _TOKEN_SPLIT.split(folded)) or (
        fnmatch.fnmatchcase(folded, pattern)
    )


class _Typed:
    """Parsing and comparing values of one property type."""

    def __init__(self, kind: str, multi: bool) -> None:
        self.kind = kind
        self.multi = multi

    @classmethod
    def of(cls, definition: PropertyDefinition) -> _Typed:
        kind = definition.type
        if kind in ("date", "datetime"):
            kind = "datetime"
        elif kind not in ("number", "enumeration", "bool"):
            kind = "string"
        return cls(kind, definition.field_type == "checkbox")

    def parse(self, value: str, name: str) -> Any:
        if self.kind == "number":
            number = _as_float(value)
            if number is None:
                raise validation_error(f"{value} is not a valid number for {name}")
            return number
        if self.kind == "datetime":
            at_ms = _datetime_ms(value)
            if at_ms is None:
                raise validation_error(
                    f"{value} is not a valid date for {name}: use epoch milliseconds"
                )
            return at_ms
        if self.kind == "enumeration":
            return value
        return value.casefold()

    def _stored(self, value: str) -> Any:
        if self.kind == "number":
            return _as_float(value)
        if self.kind == "datetime":
            return _datetime_ms(value)
        if self.kind == "enumeration":
            return value
        return value.casefold()

    def sort_value(self, value: str) -> Any:
        return self._stored(value)

    def any_equal(self, value: str | None, wanted: Sequence[Any]) -> bool:
        if value is None:
            return False
        if self.multi:
            return any(part in wanted for part in value.split(";"))
        return self._stored(value) in wanted

    def compare(self, value: str | None, target: Any, op: Callable[[Any, Any], bool]) -> bool:
        if value is None:
            return False
        stored = self._stored(value)
        return stored is not None and op(stored, target)

    def between(self, value: str | None, low: Any, high: Any) -> bool:
        if value is None:
            return False
        stored = self._stored(value)
        return stored is not None and low <= stored <= high
