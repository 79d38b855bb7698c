"""The HubSpot sandbox's backend: companies, deals, their associations, property definitions
and groups, and minimal contacts, held in memory behind one lock, with the primitives the API's
handlers call (with the lock held).

- A modification clock: every write gives the record a strictly increasing
  `hs_lastmodifieddate`/`updatedAt` (epoch ms, never behind the wall clock), so an incremental
  pull can be tested exactly.
- Every write is logged (`WriteRecord`); `subscribe(listener)` reports every change (creation,
  property change, archive, restore; contact creations too). Listeners run under the lock, so
  they must be quick and must not call back into the state: the HubSpot notifications
  (`notifications`) are such a listener.
- `stats` counts the API's requests per route and status.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.association_types import AssociationLabels, TypedLinks
from crm_sandbox.hubspot.builtin_properties import (
    company_groups,
    company_properties,
    deal_groups,
    deal_properties,
)
from crm_sandbox.hubspot.contacts import ContactStore
from crm_sandbox.hubspot.pipelines import STAGE_PROBABILITY
from crm_sandbox.hubspot.records import (
    FIRST_ID,
    OTHER_TYPE,
    ChangeEvent,
    EventObjectType,
    Listener,
    ModificationClock,
    ObjectStore,
    ObjectType,
    StoredRecord,
    WriteRecord,
)
from crm_sandbox.hubspot.search_index import SearchIndex
from crm_sandbox.hubspot.stats import ApiStats

MAX_WRITE_LOG = 1_000_000  # the oldest writes are forgotten beyond this


class HubSpotBackend:
    """What the HubSpot API serves. Use `lock` around multi-step reads or writes."""

    def __init__(self, *, wall_ms: Callable[[], int] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = ModificationClock(wall_ms)
        self.stats = ApiStats()
        self.search_index = SearchIndex()  # what search sees: changes trail by a lag
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
        #: Updates per record id (creations not counted), as `GET /_sandbox/writes` shows them.
        self.updates: Counter[str] = Counter()
        self._listeners: list[Listener] = []
        self.contacts = ContactStore()  # minimal: created, read, associated with companies
        self.association_labels = AssociationLabels()  # user-defined v4 labels
        self.typed_links = TypedLinks()  # v4 links beyond deal↔company and contact↔company

    # --- primitives (call with the lock held) -----------------------------------------------

    def store(self, object_type: ObjectType) -> ObjectStore:
        return self.stores[object_type]

    def new_record(
        self,
        object_type: ObjectType,
        properties: dict[str, str],
        *,
        created_ms: int | None = None,
        updated_ms: int | None = None,
    ) -> StoredRecord:
        """A new record, not logged nor reported to listeners (the seed's records)."""
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
        self,
        object_type: ObjectType,
        properties: Mapping[str, str],
        *,
        source: str,
        created_ms: int | None = None,
    ) -> StoredRecord:
        """A new record with already-validated values; reported to listeners. `created_ms`
        backdates `createdate` (a client's historical one); it is modified now all the same."""
        modified_ms = self.clock.tick() if created_ms is not None else None
        record = self.new_record(
            object_type, dict(properties), created_ms=created_ms, updated_ms=modified_ms
        )
        self.search_index.changed(object_type, record)
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
        self.search_index.before_change(object_type, record)
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
        self.search_index.changed(object_type, record)
        self._log(object_type, record.id, dict(values), at_ms, source)
        self.updates[record.id] += 1
        if changed:
            self._emit(object_type, record.id, "propertyChange", changed, at_ms, source)
        return at_ms

    def set_archived(
        self, object_type: ObjectType, record: StoredRecord, archived: bool, *, source: str
    ) -> None:
        if record.archived == archived:
            return
        self.search_index.before_change(object_type, record)
        at_ms = self.clock.tick()
        record.archived = archived
        record.archived_ms = at_ms if archived else None
        record.updated_ms = at_ms
        record.properties["hs_lastmodifieddate"] = iso_ms(at_ms)
        self.search_index.changed(object_type, record)
        kind: Literal["deletion", "restore"] = "deletion" if archived else "restore"
        self._emit(object_type, record.id, kind, {}, at_ms, source)

    def associated(self, from_type: ObjectType, object_id: str) -> list[str]:
        return self.associations[(from_type, OTHER_TYPE[from_type])].get(object_id, [])

    def associate(self, deal_id: str, company_id: str) -> bool:
        """Links a deal and a company (both directions); False if they already were."""
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
