"""What the HubSpot sandbox stores: records of the three object types (contacts, companies,
deals) in one `ObjectStore` each, the clock that dates their writes, and what a write or change
leaves behind (`WriteRecord`, `ChangeEvent`).

Record ids are numeric strings, contacts from 10000000001, companies from 20000000001 and deals
from 30000000001 up, so an id used with the wrong object type is not found.

Contacts' last-modified property is `lastmodifieddate` (HubSpot's contacts carry no
`hs_lastmodifieddate`); companies' and deals' is `hs_lastmodifieddate` (`MODIFIED_PROPERTY`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from crm_sandbox.hubspot.schema import PropertyDefinition, PropertyGroup

ObjectType = Literal["companies", "deals", "contacts"]
#: What change events are about (every object type).
EventObjectType = ObjectType
OBJECT_TYPES: tuple[ObjectType, ...] = ("companies", "deals", "contacts")
#: Path spellings HubSpot accepts for each object type.
OBJECT_TYPE_ALIASES: dict[str, ObjectType] = {
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
}
FIRST_ID: dict[ObjectType, int] = {
    "contacts": 10_000_000_001,
    "companies": 20_000_000_001,
    "deals": 30_000_000_001,
}
MODIFIED_PROPERTY: dict[ObjectType, str] = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
DEFAULT_PROPERTIES: dict[ObjectType, tuple[str, ...]] = {
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": (
        "dealname",
        "amount",
        "closedate",
        "pipeline",
        "dealstage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ),
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
}
SINGULAR: dict[ObjectType, str] = {"companies": "COMPANY", "deals": "DEAL", "contacts": "CONTACT"}
#: The pairs whose associations the backend keeps itself (both directions), the "many" end
#: first: its first company is its primary one.
AssociationPair = tuple[ObjectType, ObjectType]
BASE_PAIRS: tuple[AssociationPair, ...] = (
    ("deals", "companies"),
    ("companies", "deals"),
    ("contacts", "companies"),
    ("companies", "contacts"),
)


def always_returned(object_type: ObjectType) -> tuple[str, str, str]:
    """The properties every record comes back with, asked for or not."""
    return ("createdate", MODIFIED_PROPERTY[object_type], "hs_object_id")


class ModificationClock:
    """Strictly increasing epoch milliseconds, never behind the wall clock."""

    def __init__(self, wall_ms: Callable[[], int] | None = None) -> None:
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self.last_ms = 0

    def tick(self) -> int:
        self.last_ms = max(self._wall_ms(), self.last_ms + 1)
        return self.last_ms

    def observe(self, at_ms: int) -> None:
        self.last_ms = max(self.last_ms, at_ms)


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One write the sandbox accepted: the values as stored (`""` = cleared)."""

    object_type: ObjectType
    object_id: str
    properties: Mapping[str, str]
    modified_ms: int
    source: str  # "API" through HTTP, "SANDBOX" direct, "WORKFLOW" the simulated workflows


ChangeKind = Literal["creation", "propertyChange", "deletion", "restore", "associationChange"]


@dataclass(frozen=True, slots=True)
class AssociationChange:
    """An association added or removed, seen from the event's record (`from`)."""

    to_type: ObjectType
    to_id: str
    removed: bool
    primary: bool


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """What a webhook subscription would hear about (HubSpot's `subscriptionType` parts)."""

    object_type: EventObjectType
    object_id: str
    kind: ChangeKind
    properties: Mapping[str, str]
    occurred_ms: int
    source: str
    association: AssociationChange | None = None


Listener = Callable[[ChangeEvent], None]


@dataclass(slots=True)
class StoredRecord:
    """One record as the sandbox holds it: every value a non-empty string."""

    id: str
    properties: dict[str, str]
    created_ms: int
    updated_ms: int
    archived: bool = False
    archived_ms: int | None = None

    @property
    def id_int(self) -> int:
        return int(self.id)


@dataclass(slots=True)
class ObjectStore:
    """One object type: records by id (and in id order), property definitions and groups."""

    object_type: ObjectType
    records: dict[str, StoredRecord] = field(default_factory=dict)
    ordered: list[StoredRecord] = field(default_factory=list)  # ascending id, archived too
    ids: list[int] = field(default_factory=list)
    definitions: dict[str, PropertyDefinition] = field(default_factory=dict)
    groups: dict[str, PropertyGroup] = field(default_factory=dict)
    next_id: int = 0

    def add(self, record: StoredRecord) -> None:
        self.records[record.id] = record
        self.ordered.append(record)
        self.ids.append(int(record.id))

    def live(self) -> Iterator[StoredRecord]:
        return (record for record in self.ordered if not record.archived)
