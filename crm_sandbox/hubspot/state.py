"""The HubSpot sandbox's data: companies, deals, their associations, property definitions and
groups, held in memory behind one lock, with the knobs tests and benchmarks use.

- A modification clock: every write gives the record a strictly increasing
  `hs_lastmodifieddate`/`updatedAt` (epoch ms, never behind the wall clock), so an incremental
  pull can be tested exactly.
- Direct access for tests and the demo, bypassing the API (and its validation and limits):
  `touch_company(id, **props)`, `archive_company(id)`, `create_company(**props)`, `company(id)`,
  the same for deals, and `writes()`: every write the API accepted, in order.
- `stats` counts requests per route and status (the benchmarks' "API calls" figures), and
  the errors the API's fault injector answered instead (`faults_injected`).
- `subscribe(listener)` reports every change (creation, property change, archive, restore;
  contact creations too); listeners run under the lock, so they must be quick and must not
  call back into the state. The webhook sender (`hubspot_webhooks`) is such a listener.
- Contacts are minimal (`contacts`, a `ContactStore`): `create_contact(company_id, **props)`,
  `contact(id)`, `contact_company_ids(id)`; the API creates and reads them.

Record ids are numeric strings, companies from 20000000001 and deals from 30000000001 up, so an
id used with the wrong object type is not found.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from crm_sandbox.core import seed as seeding
from crm_sandbox.core.seed import SeedData, iso_ms
from crm_sandbox.hubspot.contacts import ContactStore
from crm_sandbox.hubspot.schema import (
    STAGE_PROBABILITY,
    PropertyDefinition,
    PropertyGroup,
    StoredRecord,
    company_groups,
    company_properties,
    deal_groups,
    deal_properties,
)

ObjectType = Literal["companies", "deals"]
#: What change events are about: the two full object types and the minimal contacts.
EventObjectType = Literal["companies", "deals", "contacts"]
OBJECT_TYPES: tuple[ObjectType, ...] = ("companies", "deals")
#: Path spellings HubSpot accepts for each object type.
OBJECT_TYPE_ALIASES: dict[str, ObjectType] = {
    "companies": "companies",
    "company": "companies",
    "0-2": "companies",
    "deals": "deals",
    "deal": "deals",
    "0-3": "deals",
}
FIRST_ID: dict[ObjectType, int] = {"companies": 20_000_000_001, "deals": 30_000_000_001}
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
}
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")
MAX_WRITE_LOG = 1_000_000  # the oldest writes are forgotten beyond this
SINGULAR: dict[ObjectType, str] = {"companies": "COMPANY", "deals": "DEAL"}
_OTHER: dict[ObjectType, ObjectType] = {"companies": "deals", "deals": "companies"}


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
    source: str  # "API" for writes through HTTP, "SANDBOX" for direct ones


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """What a webhook subscription would hear about (HubSpot's `subscriptionType` parts)."""

    object_type: EventObjectType
    object_id: str
    kind: Literal["creation", "propertyChange", "deletion", "restore"]
    properties: Mapping[str, str]
    occurred_ms: int
    source: str


Listener = Callable[[ChangeEvent], None]


class ApiStats:
    """Requests per route (`"POST /crm/v3/objects/{objectType}/batch/update"`) and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.rate_limited = 0
        self.faults_injected = 0

    def record(self, route: str, status: int, *, fault: bool = False) -> None:
        with self._lock:
            self.by_route[route] += 1
            self.by_status[status] += 1
            if status == 429 and not fault:
                self.rate_limited += 1
            if fault:
                self.faults_injected += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_route.values())

    def calls(self, route: str | None = None) -> int:
        """Requests to `route` (matched exactly, or as a substring of the route), or all."""
        with self._lock:
            if route is None:
                return sum(self.by_route.values())
            if route in self.by_route:
                return self.by_route[route]
            return sum(count for name, count in self.by_route.items() if route in name)

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {
                "total": sum(self.by_route.values()),
                "by_route": dict(self.by_route),
                "by_status": {str(status): n for status, n in self.by_status.items()},
                "rate_limited": self.rate_limited,
                "faults_injected": self.faults_injected,
            }

    def reset(self) -> None:
        with self._lock:
            self.by_route.clear()
            self.by_status.clear()
            self.rate_limited = self.faults_injected = 0


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


class HubSpotState:
    """Everything the HubSpot sandbox holds. Use `lock` around multi-step reads or writes."""

    def __init__(self, *, wall_ms: Callable[[], int] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = ModificationClock(wall_ms)
        self.stats = ApiStats()
        created = self.clock.tick()
        self.stores: dict[ObjectType, ObjectStore] = {
            "companies": ObjectStore("companies", next_id=FIRST_ID["companies"]),
            "deals": ObjectStore("deals", next_id=FIRST_ID["deals"]),
        }
        for definition in company_properties(created):
            self.stores["companies"].definitions[definition.name] = definition
        for group in company_groups():
            self.stores["companies"].groups[group.name] = group
        for definition in deal_properties(created):
            self.stores["deals"].definitions[definition.name] = definition
        for group in deal_groups():
            self.stores["deals"].groups[group.name] = group
        # associations[(from, to)][from_id] = [to_id, …]; both directions are kept
        self.associations: dict[tuple[ObjectType, ObjectType], dict[str, list[str]]] = {
            ("deals", "companies"): {},
            ("companies", "deals"): {},
        }
        self._writes: deque[WriteRecord] = deque(maxlen=MAX_WRITE_LOG)
        self._listeners: list[Listener] = []
        self.contacts = ContactStore()  # minimal: created, read, associated with companies

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def seeded(
        cls,
        seed: int = 7,
        companies: int = 200,
        deals_per_company: float = 2.0,
        *,
        as_of: datetime | date | None = None,
    ) -> HubSpotState:
        state = cls()
        state.load(seeding.generate(seed, companies, deals_per_company, as_of=as_of))
        return state

    def load(self, data: SeedData) -> None:
        """Adds the seed's companies and deals (with their company associations)."""
        with self.lock:
            company_ids: list[str] = []
            stage_by_company: dict[int, set[str]] = {}
            for deal in data.deals:
                stage_by_company.setdefault(deal.company_index, set()).add(deal.stage)
            for company in data.companies:
                stages = stage_by_company.get(company.index, set())
                record = self._new_record(
                    "companies",
                    _company_properties(company, stages),
                    created_ms=company.created_ms,
                    updated_ms=company.modified_ms,
                )
                record.archived = company.archived
                if company.archived:
                    record.archived_ms = company.modified_ms
                company_ids.append(record.id)
            for deal in data.deals:
                record = self._new_record(
                    "deals",
                    _deal_properties(deal),
                    created_ms=deal.created_ms,
                    updated_ms=deal.modified_ms,
                )
                record.archived = deal.archived
                if deal.archived:
                    record.archived_ms = deal.modified_ms
                self._associate(record.id, company_ids[deal.company_index])

    # --- primitives (call with the lock held) -----------------------------------------------

    def store(self, object_type: ObjectType) -> ObjectStore:
        return self.stores[object_type]

    def _new_record(
        self,
        object_type: ObjectType,
        properties: dict[str, str],
        *,
        created_ms: int | None = None,
        updated_ms: int | None = None,
    ) -> StoredRecord:
        store = self.stores[object_type]
        record_id = str(store.next_id)
        store.next_id += 1
        created = created_ms if created_ms is not None else self.clock.tick()
        updated = updated_ms if updated_ms is not None else created
        self.clock.observe(max(created, updated))
        values = {key: value for key, value in properties.items() if value != ""}
        values["hs_object_id"] = record_id
        values["createdate"] = iso_ms(created)
        values["hs_lastmodifieddate"] = iso_ms(updated)
        record = StoredRecord(record_id, values, created, updated)
        if object_type == "deals":
            _derive_deal(record)
        store.add(record)
        return record

    def create_record(
        self, object_type: ObjectType, properties: Mapping[str, str], *, source: str
    ) -> StoredRecord:
        """A new record with already-validated values; reported to listeners."""
        record = self._new_record(object_type, dict(properties))
        self._log(object_type, record.id, dict(properties), record.updated_ms, source)
        self._emit(object_type, record.id, "creation", record.properties, record.updated_ms, source)
        return record

    def write(
        self,
        object_type: ObjectType,
        record: StoredRecord,
        values: Mapping[str, str],
        *,
        source: str,
    ) -> int:
        """Stores already-validated values (`""` clears) and bumps the modification clock."""
        at_ms = self.clock.tick()
        changed: dict[str, str] = {}
        for name, value in values.items():
            old = record.properties.get(name, "")
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
            if old != value:
                changed[name] = value
        if object_type == "deals" and "dealstage" in values:
            _derive_deal(record)
        record.updated_ms = at_ms
        record.properties["hs_lastmodifieddate"] = iso_ms(at_ms)
        self._log(object_type, record.id, dict(values), at_ms, source)
        if changed:
            self._emit(object_type, record.id, "propertyChange", changed, at_ms, source)
        return at_ms

    def set_archived(
        self, object_type: ObjectType, record: StoredRecord, archived: bool, *, source: str
    ) -> None:
        if record.archived == archived:
            return
        at_ms = self.clock.tick()
        record.archived = archived
        record.archived_ms = at_ms if archived else None
        record.updated_ms = at_ms
        record.properties["hs_lastmodifieddate"] = iso_ms(at_ms)
        kind: Literal["deletion", "restore"] = "deletion" if archived else "restore"
        self._emit(object_type, record.id, kind, {}, at_ms, source)

    def associated(self, from_type: ObjectType, object_id: str) -> list[str]:
        return self.associations[(from_type, _OTHER[from_type])].get(object_id, [])

    def associate(self, deal_id: str, company_id: str) -> bool:
        """Links a deal and a company (both directions); False if they already were."""
        return self._associate(deal_id, company_id)

    def _associate(self, deal_id: str, company_id: str) -> bool:
        companies = self.associations[("deals", "companies")].setdefault(deal_id, [])
        if company_id in companies:
            return False
        companies.append(company_id)
        self.associations[("companies", "deals")].setdefault(company_id, []).append(deal_id)
        return True

    def _log(
        self,
        object_type: ObjectType,
        object_id: str,
        values: dict[str, str],
        at_ms: int,
        source: str,
    ) -> None:
        self._writes.append(WriteRecord(object_type, object_id, values, at_ms, source))

    def create_contact_record(
        self, values: Mapping[str, str], company_ids: Iterable[str], *, source: str
    ) -> StoredRecord:
        """A new contact with already-validated values, associated with live companies;
        reported to listeners (with its associations already in place)."""
        record = self.contacts.add(values, self.clock.tick())
        for company_id in company_ids:
            self.contacts.associate(record.id, company_id)
        self._emit("contacts", record.id, "creation", record.properties, record.created_ms, source)
        return record

    def _emit(
        self,
        object_type: EventObjectType,
        object_id: str,
        kind: Literal["creation", "propertyChange", "deletion", "restore"],
        properties: Mapping[str, str],
        at_ms: int,
        source: str,
    ) -> None:
        if self._listeners:
            event = ChangeEvent(object_type, object_id, kind, dict(properties), at_ms, source)
            for listener in list(self._listeners):
                listener(event)

    # --- listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls `listener` on every change; returns a function that unsubscribes it."""
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # --- direct access for tests and the demo -----------------------------------------------

    def ids(self, object_type: ObjectType, *, archived: bool = False) -> list[str]:
        """Ids in ascending order: live records, or only archived ones."""
        with self.lock:
            return [r.id for r in self.stores[object_type].ordered if r.archived == archived]

    def company_ids(self, *, archived: bool = False) -> list[str]:
        return self.ids("companies", archived=archived)

    def deal_ids(self, *, archived: bool = False) -> list[str]:
        return self.ids("deals", archived=archived)

    def count(self, object_type: ObjectType, *, archived: bool = False) -> int:
        with self.lock:
            return sum(1 for r in self.stores[object_type].ordered if r.archived == archived)

    def record(self, object_type: ObjectType, object_id: str) -> StoredRecord:
        """A copy of the record (archived ones too); KeyError if there is none."""
        with self.lock:
            found = self.stores[object_type].records[str(object_id)]
            return StoredRecord(
                found.id,
                dict(found.properties),
                found.created_ms,
                found.updated_ms,
                found.archived,
                found.archived_ms,
            )

    def company(self, object_id: str) -> dict[str, str]:
        """The company's current property values (a copy)."""
        return self.record("companies", object_id).properties

    def deal(self, object_id: str) -> dict[str, str]:
        return self.record("deals", object_id).properties

    def touch(self, object_type: ObjectType, object_id: str, **properties: object) -> str:
        """Sets values directly (no validation; read-only properties too; `""` or None clears)
        and bumps the modification clock. Returns the new `hs_lastmodifieddate`."""
        with self.lock:
            store = self.stores[object_type]
            record = store.records[str(object_id)]
            unknown = sorted(name for name in properties if name not in store.definitions)
            if unknown:
                raise KeyError(f"unknown {object_type} properties: {', '.join(unknown)}")
            values = {name: _direct_value(value) for name, value in properties.items()}
            self.write(object_type, record, values, source="SANDBOX")
            return record.properties["hs_lastmodifieddate"]

    def touch_company(self, object_id: str, **properties: object) -> str:
        return self.touch("companies", object_id, **properties)

    def touch_deal(self, object_id: str, **properties: object) -> str:
        return self.touch("deals", object_id, **properties)

    def set_modified(
        self, object_type: ObjectType, object_ids: Iterable[str], at: datetime | int
    ) -> None:
        """Gives these records one and the same last-modified instant (epoch ms or an aware
        datetime), e.g. to test cursor tie-breaks; later writes still come after it."""
        at_ms = at if isinstance(at, int) else seeding.epoch_ms(at)
        with self.lock:
            records = self.stores[object_type].records
            for object_id in object_ids:
                record = records[str(object_id)]
                record.updated_ms = at_ms
                record.properties["hs_lastmodifieddate"] = iso_ms(at_ms)
            self.clock.observe(at_ms)

    def archive(self, object_type: ObjectType, object_id: str) -> None:
        with self.lock:
            record = self.stores[object_type].records[str(object_id)]
            self.set_archived(object_type, record, True, source="SANDBOX")

    def purge(self, object_type: ObjectType, object_id: str) -> None:
        """Deletes a record for good, as HubSpot does 90 days after archiving it (or on a GDPR
        delete): no endpoint returns it any more, archived or not."""
        with self.lock:
            store = self.stores[object_type]
            record = store.records.pop(str(object_id))
            store.ordered.remove(record)
            store.ids.remove(int(record.id))

    def restore(self, object_type: ObjectType, object_id: str) -> None:
        with self.lock:
            record = self.stores[object_type].records[str(object_id)]
            self.set_archived(object_type, record, False, source="SANDBOX")

    def archive_company(self, object_id: str) -> None:
        self.archive("companies", object_id)

    def restore_company(self, object_id: str) -> None:
        self.restore("companies", object_id)

    def archive_deal(self, object_id: str) -> None:
        self.archive("deals", object_id)

    def restore_deal(self, object_id: str) -> None:
        self.restore("deals", object_id)

    def create_company(self, **properties: object) -> str:
        """A new company (values unvalidated, as `touch`); returns its id."""
        with self.lock:
            values = {name: _direct_value(value) for name, value in properties.items()}
            return self.create_record("companies", values, source="SANDBOX").id

    def create_deal(self, company_id: str | None = None, **properties: object) -> str:
        """A new deal, associated with `company_id` if given; returns its id."""
        with self.lock:
            values = {name: _direct_value(value) for name, value in properties.items()}
            values.setdefault("pipeline", "default")
            record = self.create_record("deals", values, source="SANDBOX")
            if company_id is not None:
                if str(company_id) not in self.stores["companies"].records:
                    raise KeyError(f"no company {company_id}")
                self._associate(record.id, str(company_id))
            return record.id

    def create_contact(self, company_id: str | None = None, **properties: object) -> str:
        """A new contact (values unvalidated), associated with `company_id` if given; returns
        its id."""
        with self.lock:
            values = {name: _direct_value(value) for name, value in properties.items()}
            companies = [] if company_id is None else [str(company_id)]
            for company in companies:
                if company not in self.stores["companies"].records:
                    raise KeyError(f"no company {company}")
            return self.create_contact_record(values, companies, source="SANDBOX").id

    def contact(self, contact_id: str) -> dict[str, str]:
        """The contact's property values (a copy); KeyError if there is none."""
        with self.lock:
            return dict(self.contacts.records[str(contact_id)].properties)

    def contact_company_ids(self, contact_id: str) -> list[str]:
        with self.lock:
            return list(self.contacts.companies.get(str(contact_id), []))

    def associated_company_ids(self, deal_id: str) -> list[str]:
        with self.lock:
            return list(self.associated("deals", str(deal_id)))

    def associated_deal_ids(self, company_id: str) -> list[str]:
        with self.lock:
            return list(self.associated("companies", str(company_id)))

    def writes(self, object_type: ObjectType | None = None) -> list[WriteRecord]:
        """Every accepted write, oldest first (direct ones have source "SANDBOX")."""
        with self.lock:
            return [w for w in self._writes if object_type is None or w.object_type == object_type]

    def clear_writes(self) -> None:
        with self.lock:
            self._writes.clear()

    def property_definition(self, object_type: ObjectType, name: str) -> PropertyDefinition:
        with self.lock:
            return self.stores[object_type].definitions[name]


def _direct_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_ms(seeding.epoch_ms(value))
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return str(value)


def _derive_deal(record: StoredRecord) -> None:
    """HubSpot's calculated deal properties, from the (default pipeline's) stage."""
    stage = record.properties.get("dealstage")
    if stage is None:
        for name in ("hs_is_closed", "hs_is_closed_won", "hs_deal_stage_probability"):
            record.properties.pop(name, None)
        return
    closed = stage in ("closedwon", "closedlost")
    record.properties["hs_is_closed"] = "true" if closed else "false"
    record.properties["hs_is_closed_won"] = "true" if stage == "closedwon" else "false"
    probability = STAGE_PROBABILITY.get(stage)
    if probability is not None:
        record.properties["hs_deal_stage_probability"] = probability


def _company_properties(company: seeding.SeedCompany, stages: Iterable[str]) -> dict[str, str]:
    stage_set = set(stages)
    if "closedwon" in stage_set:
        lifecycle = "customer"
    elif stage_set - {"closedlost"}:
        lifecycle = "opportunity"
    else:
        lifecycle = "lead"
    return {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry or "",
        "numberofemployees": "" if company.employees is None else str(company.employees),
        "annualrevenue": "" if company.annual_revenue is None else str(company.annual_revenue),
        "country": company.country or "",
        "state": company.state or "",
        "city": company.city or "",
        "web_technologies": ";".join(company.technologies),
        "icp_buying_signals": ";".join(company.buying_signals),
        "notes_last_updated": (
            "" if company.last_activity_ms is None else iso_ms(company.last_activity_ms)
        ),
        "lifecyclestage": lifecycle,
    }


def _deal_properties(deal: seeding.SeedDeal) -> dict[str, str]:
    return {
        "dealname": deal.name,
        "amount": "" if deal.amount is None else str(deal.amount),
        "dealstage": deal.stage,
        "pipeline": "default",
        "closedate": iso_ms(deal.close_ms),
        "dealtype": deal.deal_type,
    }
