"""The HubSpot sandbox's backend: contacts, companies, deals, their associations, property
definitions and groups, held in memory behind one lock, with the primitives the API's handlers
call (with the lock held).

- A modification clock: every write gives the record a strictly increasing last-modified
  value (`hs_lastmodifieddate`, contacts' `lastmodifieddate`) and `updatedAt` (epoch ms, never
  behind the wall clock), so an incremental pull can be tested exactly.
- Every write is logged (`WriteRecord`); `subscribe(listener)` reports every change (creation,
  property change, archive, restore, contact↔company association change). Listeners run under
  the lock, so they must be quick and must not call back into the state: the HubSpot
  notifications (`notifications`) are such a listener.
- Contacts' rules (`contacts`): a unique `email` (`contact_emails`), derived `hs_email_domain`
  and `associatedcompanyid`; the simulated workflow "contact owner by ICP tier" (`workflows`)
  reacts to their `icp_tier`.
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
from crm_sandbox.hubspot.contact_properties import contact_groups, contact_properties
from crm_sandbox.hubspot.contacts import derive_contact, index_email
from crm_sandbox.hubspot.pipelines import STAGE_PROBABILITY
from crm_sandbox.hubspot.records import (
    BASE_PAIRS,
    FIRST_ID,
    MODIFIED_PROPERTY,
    OBJECT_TYPES,
    AssociationChange,
    AssociationPair,
    ChangeEvent,
    ChangeKind,
    EventObjectType,
    Listener,
    ModificationClock,
    ObjectStore,
    ObjectType,
    StoredRecord,
    WriteRecord,
)
from crm_sandbox.hubspot.schema import PropertyDefinition, PropertyGroup
from crm_sandbox.hubspot.search_index import SearchIndex
from crm_sandbox.hubspot.stats import ApiStats
from crm_sandbox.hubspot.values import parse_datetime_ms
from crm_sandbox.hubspot.workflows import (
    OWNER_PROPERTY,
    TIER_PROPERTY,
    WORKFLOW_SOURCE,
    OwnerByTierWorkflow,
    Routing,
)

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
            object_type: ObjectStore(object_type, next_id=FIRST_ID[object_type])
            for object_type in OBJECT_TYPES
        }
        builtins: tuple[tuple[ObjectType, list[PropertyDefinition], list[PropertyGroup]], ...] = (
            ("companies", company_properties(created), company_groups()),
            ("deals", deal_properties(created), deal_groups()),
            ("contacts", contact_properties(created), contact_groups()),
        )
        for object_type, definitions, groups in builtins:
            store = self.stores[object_type]
            store.definitions.update((definition.name, definition) for definition in definitions)
            store.groups.update((group.name, group) for group in groups)
        # associations[(from, to)][from_id] = [to_id, …] for `BASE_PAIRS`; both directions kept,
        # a deal's or contact's first company is its primary one
        self.associations: dict[AssociationPair, dict[str, list[str]]] = {
            pair: {} for pair in BASE_PAIRS
        }
        self.contact_emails: dict[str, str] = {}  # lower-case e-mail → live contact id
        self.owner_workflow = OwnerByTierWorkflow()
        self._writes: deque[WriteRecord] = deque(maxlen=MAX_WRITE_LOG)
        #: Updates per record id (creations not counted), as `GET /_sandbox/writes` shows them.
        self.updates: Counter[str] = Counter()
        self._listeners: list[Listener] = []
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
        values[MODIFIED_PROPERTY[object_type]] = iso_ms(updated)
        record = StoredRecord(record_id, values, created, updated)
        if object_type == "deals":
            _derive_deal(record)
        elif object_type == "contacts":
            derive_contact(record)
            index_email(self.contact_emails, record, None)
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
        if object_type == "contacts":
            self._run_workflow(record, record.properties, source)
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
        old_email = record.properties.get("email")
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
        elif object_type == "contacts" and "email" in values:
            derive_contact(record)
            index_email(self.contact_emails, record, old_email)
        record.updated_ms = at_ms
        record.properties[MODIFIED_PROPERTY[object_type]] = iso_ms(at_ms)
        self.search_index.changed(object_type, record)
        self._log(object_type, record.id, dict(values), at_ms, source)
        self.updates[record.id] += 1
        if changed:
            self._emit(object_type, record.id, "propertyChange", changed, at_ms, source)
        if object_type == "contacts":
            self._run_workflow(record, changed, source)
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
        record.properties[MODIFIED_PROPERTY[object_type]] = iso_ms(at_ms)
        if object_type == "contacts":
            index_email(self.contact_emails, record, record.properties.get("email"))
        self.search_index.changed(object_type, record)
        kind: Literal["deletion", "restore"] = "deletion" if archived else "restore"
        self._emit(object_type, record.id, kind, {}, at_ms, source)

    def associated(
        self, from_type: ObjectType, object_id: str, to_type: ObjectType | None = None
    ) -> list[str]:
        """Ids associated with a record (archived ones too): of `to_type`, by default a deal's
        or contact's companies and a company's deals."""
        other = to_type or ("deals" if from_type == "companies" else "companies")
        return self.associations.get((from_type, other), {}).get(object_id, [])

    def associate(self, deal_id: str, company_id: str) -> bool:
        """Links a deal and a company (both directions); False if they already were."""
        return self._add_link(("deals", "companies"), deal_id, company_id)

    def associate_contact(self, contact_id: str, company_id: str, *, source: str) -> bool:
        """Links a contact and a company (both directions; the first company is the primary
        one, `associatedcompanyid`); False if they already were. Reported as an
        `associationChange` of the contact."""
        if not self._add_link(("contacts", "companies"), contact_id, company_id):
            return False
        self._contact_links_changed(contact_id, company_id, removed=False, source=source)
        return True

    def dissociate_contact(self, contact_id: str, company_id: str, *, source: str) -> bool:
        """Unlinks a contact and a company (the next company becomes the primary one)."""
        companies = self.associations[("contacts", "companies")].get(contact_id, [])
        if company_id not in companies:
            return False
        was_primary = companies[0] == company_id
        companies.remove(company_id)
        self.associations[("companies", "contacts")][company_id].remove(contact_id)
        self._contact_links_changed(
            contact_id, company_id, removed=True, source=source, was_primary=was_primary
        )
        return True

    def _add_link(self, pair: AssociationPair, many_id: str, company_id: str) -> bool:
        companies = self.associations[pair].setdefault(many_id, [])
        if company_id in companies:
            return False
        companies.append(company_id)
        self.associations[(pair[1], pair[0])].setdefault(company_id, []).append(many_id)
        return True

    def _contact_links_changed(
        self,
        contact_id: str,
        company_id: str,
        *,
        removed: bool,
        source: str,
        was_primary: bool = False,
    ) -> None:
        record = self.stores["contacts"].records[contact_id]
        companies = self.associations[("contacts", "companies")].get(contact_id, [])
        primary = companies[0] if companies else ""
        is_primary = was_primary if removed else primary == company_id
        if record.properties.get("associatedcompanyid", "") != primary:
            self.write("contacts", record, {"associatedcompanyid": primary}, source=source)
        change = AssociationChange("companies", company_id, removed, is_primary)
        self._emit(
            "contacts", contact_id, "associationChange", {}, self.clock.tick(), source, change
        )

    def _run_workflow(self, record: StoredRecord, changed: Mapping[str, str], source: str) -> None:
        """The "contact owner by ICP tier" workflow (`workflows`), on a new `icp_tier` value."""
        tier = changed.get(TIER_PROPERTY, "")
        if source == WORKFLOW_SOURCE or not tier:
            return
        owner = self.owner_workflow.owner_to_set(tier, record.properties.get(OWNER_PROPERTY))
        if owner is None:
            return
        at_ms = self.write("contacts", record, {OWNER_PROPERTY: owner}, source=WORKFLOW_SOURCE)
        self.owner_workflow.remember(Routing(record.id, tier, owner, at_ms))

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
        """A new contact with already-validated values, associated with live companies (the
        first its primary one); reported to listeners (the creation carries
        `associatedcompanyid`, then one `associationChange` per company)."""
        companies = list(dict.fromkeys(company_ids))
        given = dict(values)
        if companies:
            given["associatedcompanyid"] = companies[0]
        created = given.pop("createdate", "")
        record = self.create_record(
            "contacts",
            given,
            source=source,
            created_ms=parse_datetime_ms(created) if created else None,
        )
        for company_id in companies:
            self.associate_contact(record.id, company_id, source=source)
        return record

    def _emit(
        self,
        object_type: EventObjectType,
        object_id: str,
        kind: ChangeKind,
        properties: Mapping[str, str],
        at_ms: int,
        source: str,
        association: AssociationChange | None = None,
    ) -> None:
        if self._listeners:
            event = ChangeEvent(
                object_type, object_id, kind, dict(properties), at_ms, source, association
            )
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
