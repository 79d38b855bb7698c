"""The HubSpot sandbox's state: its backend (`backend`) with direct access for tests and the
demo, bypassing the API (and its validation and limits): `touch_company(id, **props)`,
`archive_company(id)`, `create_company(**props)`, `company(id)`, the same for deals and
contacts (`create_contact(company_id, **props)`, `touch_contact`, `archive_contact`,
`contact_ids()`, `link_contact` / `unlink_contact`), and `writes()`: every write the
API accepted, in order. Direct writes are reported to listeners with source "SANDBOX" (what a
user in HubSpot's UI would do).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from crm_sandbox.core.seed import SeedData, generate
from crm_sandbox.core.times import epoch_ms, iso_ms
from crm_sandbox.hubspot.association_links import link
from crm_sandbox.hubspot.association_types import default_type
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.contacts import index_email
from crm_sandbox.hubspot.records import MODIFIED_PROPERTY, ObjectType, StoredRecord, WriteRecord
from crm_sandbox.hubspot.schema import PropertyDefinition
from crm_sandbox.hubspot.seeding import load_seed


class HubSpotState(HubSpotBackend):
    """Everything the HubSpot sandbox holds, and direct access to it."""

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def seeded(
        cls,
        seed: int = 7,
        companies: int = 200,
        deals_per_company: float = 2.0,
        *,
        as_of: datetime | date | None = None,
        contacts_per_company: float = 0.0,
    ) -> HubSpotState:
        state = cls()
        state.search_index.seed = seed
        data = generate(
            seed,
            companies,
            deals_per_company,
            as_of=as_of,
            contacts_per_company=contacts_per_company,
        )
        state.load(data)
        return state

    def load(self, data: SeedData) -> None:
        """Adds the seed's companies, deals and contacts (with their associations)."""
        load_seed(self, data)

    def reseed(
        self,
        seed: int,
        companies: int,
        deals_per_company: float,
        *,
        as_of: datetime | date | None = None,
        contacts_per_company: float = 0.0,
    ) -> None:
        """Holds what `seeded(...)` would, in place, as if restarted (the control plane's reset):
        the API and the listeners keep this object, the request counts stay, so do the
        workflow's settings (what it routed is forgotten)."""
        fresh = HubSpotState.seeded(
            seed,
            companies,
            deals_per_company,
            as_of=as_of,
            contacts_per_company=contacts_per_company,
        )
        with self.lock:
            self.stores, self.associations = fresh.stores, fresh.associations
            self.contact_emails = fresh.contact_emails
            self.owner_workflow.routed.clear()
            self.typed_links, self.association_labels = fresh.typed_links, fresh.association_labels
            self.search_index.clear()
            self.search_index.seed = seed
            self._writes.clear()
            self.updates.clear()
            self.clock.observe(fresh.clock.last_ms)

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
        and bumps the modification clock. Returns the new `hs_lastmodifieddate` (contacts:
        `lastmodifieddate`)."""
        with self.lock:
            store = self.stores[object_type]
            record = store.records[str(object_id)]
            unknown = sorted(name for name in properties if name not in store.definitions)
            if unknown:
                raise KeyError(f"unknown {object_type} properties: {', '.join(unknown)}")
            values = {name: _direct_value(value) for name, value in properties.items()}
            self.write(object_type, record, values, source="SANDBOX")
            return record.properties[MODIFIED_PROPERTY[object_type]]

    def touch_company(self, object_id: str, **properties: object) -> str:
        return self.touch("companies", object_id, **properties)

    def touch_deal(self, object_id: str, **properties: object) -> str:
        return self.touch("deals", object_id, **properties)

    def set_modified(
        self, object_type: ObjectType, object_ids: Iterable[str], at: datetime | int
    ) -> None:
        """Gives these records one and the same last-modified instant (epoch ms or an aware
        datetime), e.g. to test cursor tie-breaks; later writes still come after it."""
        at_ms = at if isinstance(at, int) else epoch_ms(at)
        with self.lock:
            records = self.stores[object_type].records
            for object_id in object_ids:
                record = records[str(object_id)]
                self.search_index.before_change(object_type, record)
                record.updated_ms = at_ms
                record.properties[MODIFIED_PROPERTY[object_type]] = iso_ms(at_ms)
                self.search_index.changed(object_type, record)
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
            self.search_index.forget(object_type, record.id)
            if object_type == "contacts":  # its e-mail address is free again
                record.archived = True
                index_email(self.contact_emails, record, record.properties.get("email"))

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
                self.associate(record.id, str(company_id))
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
        return self.record("contacts", contact_id).properties

    def contact_ids(self, *, archived: bool = False) -> list[str]:
        return self.ids("contacts", archived=archived)

    def touch_contact(self, contact_id: str, **properties: object) -> str:
        return self.touch("contacts", contact_id, **properties)

    def archive_contact(self, contact_id: str) -> None:
        self.archive("contacts", contact_id)

    def restore_contact(self, contact_id: str) -> None:
        self.restore("contacts", contact_id)

    def contact_company_ids(self, contact_id: str) -> list[str]:
        """The contact's companies, its primary one first."""
        with self.lock:
            return list(self.associated("contacts", str(contact_id), "companies"))

    def company_contact_ids(self, company_id: str) -> list[str]:
        with self.lock:
            return list(self.associated("companies", str(company_id), "contacts"))

    def link_contact(self, contact_id: str, company_id: str) -> bool:
        """Links a contact with a company (a user's change: one `associationChange`)."""
        with self.lock:
            if str(contact_id) not in self.stores["contacts"].records:
                raise KeyError(f"no contact {contact_id}")
            if str(company_id) not in self.stores["companies"].records:
                raise KeyError(f"no company {company_id}")
            return self.associate_contact(str(contact_id), str(company_id), source="SANDBOX")

    def unlink_contact(self, contact_id: str, company_id: str) -> bool:
        """Unlinks a contact and a company (a user's change: one `associationChange`)."""
        with self.lock:
            return self.dissociate_contact(str(contact_id), str(company_id), source="SANDBOX")

    def associate_deal_contact(self, deal_id: str, contact_id: str) -> None:
        """Links a deal and a contact (HubSpot's deal→contact type 3, contact→deal 4)."""
        with self.lock:
            link(self, ("deals", "contacts"), str(deal_id), str(contact_id),
                 default_type(("deals", "contacts")), source="SANDBOX")  # fmt: skip

    def deal_contact_ids(self, deal_id: str) -> list[str]:
        with self.lock:
            return list(self.typed_links.of(("deals", "contacts"), str(deal_id)))

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

    def update_counts(self) -> dict[str, int]:
        """Updates per record id since the start or the last reset (creations not counted)."""
        with self.lock:
            return dict(self.updates)

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
        return iso_ms(epoch_ms(value))
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    return str(value)
