"""Contacts in the HubSpot sandbox, kept minimal: enough for inbound leads to arrive.

- `POST /crm/v3/objects/contacts` (also `contact`, `0-1`) with `properties` and optional
  `associations` to companies (`types` with `associationTypeId` 279, unlabeled, or 1, primary;
  HubSpot-defined): 201 and the contact; a second contact with the same `email`
  (case-insensitive) → 409 `CONFLICT` "Contact already exists. Existing ID: …".
- `GET /crm/v3/objects/contacts/{id}` (`properties=`), 404 if unknown.
- `GET /crm/v4/objects/contacts/{id}/associations/companies` and the reverse
  `…/companies/{id}/associations/contacts`: type ids 1/279 (contact→company) and 2/280
  (company→contact); a contact's first company is its primary one.

Contact ids are numeric strings from 10000000001 up. Contacts are never updated or archived:
the sandbox only creates them (each creation is a `contact.creation` change).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.errors import (
    HubSpotApiError,
    JsonObject,
    PropertyValueError,
    property_values_error,
    validation_error,
)
from crm_sandbox.hubspot.object_types import object_not_found
from crm_sandbox.hubspot.records import StoredRecord
from crm_sandbox.hubspot.values import as_property_string, parse_datetime_ms

CONTACT_ALIASES = frozenset({"contacts", "contact", "0-1"})
COMPANY_ALIASES = frozenset({"companies", "company", "0-2"})
FIRST_CONTACT_ID = 10_000_000_001
#: Contact properties the sandbox knows; the last two are read-only, and `createdate` may be
#: set on create (a historical create date), as on companies and deals.
CONTACT_PROPERTIES: tuple[str, ...] = (
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "company",
    "website",
    "phone",
    "city",
    "state",
    "country",
    "lifecyclestage",
    "hs_lead_status",
    "createdate",
    "lastmodifieddate",
    "hs_object_id",
)
READ_ONLY = frozenset({"lastmodifieddate", "hs_object_id"})
DEFAULT_CONTACT_PROPERTIES = (
    "createdate",
    "email",
    "firstname",
    "hs_object_id",
    "lastmodifieddate",
    "lastname",
)
#: v4 association type ids: (primary, unlabeled).
CONTACT_TO_COMPANY = (1, 279)
COMPANY_TO_CONTACT = (2, 280)


@dataclass(slots=True)
class ContactStore:
    """Contacts by id and their company associations (both directions)."""

    records: dict[str, StoredRecord] = field(default_factory=dict)
    companies: dict[str, list[str]] = field(default_factory=dict)  # contact id → company ids
    contacts_of: dict[str, list[str]] = field(default_factory=dict)  # company id → contact ids
    by_email: dict[str, str] = field(default_factory=dict)  # lower-case e-mail → contact id
    next_id: int = FIRST_CONTACT_ID

    def add(self, properties: Mapping[str, str], at_ms: int) -> StoredRecord:
        record_id = str(self.next_id)
        self.next_id += 1
        values = {name: value for name, value in properties.items() if value != ""}
        given = parse_datetime_ms(values["createdate"]) if "createdate" in values else None
        created_ms = at_ms if given is None else given
        values.update(hs_object_id=record_id, createdate=iso_ms(created_ms))
        values["lastmodifieddate"] = iso_ms(at_ms)
        record = StoredRecord(record_id, values, created_ms, at_ms)
        self.records[record_id] = record
        email = values.get("email")
        if email:
            self.by_email[email.lower()] = record_id
        return record

    def associate(self, contact_id: str, company_id: str) -> bool:
        companies = self.companies.setdefault(contact_id, [])
        if company_id in companies:
            return False
        companies.append(company_id)
        self.contacts_of.setdefault(company_id, []).append(contact_id)
        return True


def validated_contact(
    body: Any, companies: Mapping[str, StoredRecord], store: ContactStore
) -> tuple[dict[str, str], list[str]]:
    """The values and company ids of a create request; raises `HubSpotApiError`."""
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: expected {'properties': {...}}")
    raw = body.get("properties", {})
    if not isinstance(raw, dict):
        raise validation_error("properties: expected an object")
    problems: list[PropertyValueError] = []
    values: dict[str, str] = {}
    for name, value in raw.items():
        text = as_property_string(value)
        if name not in CONTACT_PROPERTIES:
            problems.append(
                PropertyValueError(
                    name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
                )
            )
        elif name in READ_ONLY:
            message = f"{name} is a read only property; its value cannot be set."
            problems.append(PropertyValueError(name, "READ_ONLY_VALUE", message))
        elif text is None:
            message = f"{value!r} is not a valid property value"
            problems.append(PropertyValueError(name, "INVALID_PROPERTY_VALUE", message))
        elif name == "createdate" and text and parse_datetime_ms(text) is None:
            message = f"{text} is not a valid datetime: use epoch milliseconds or ISO-8601."
            problems.append(PropertyValueError(name, "INVALID_DATE", message))
        else:
            values[name] = text
    if problems:
        raise property_values_error(problems)
    email = values.get("email", "").strip().lower()
    existing = store.by_email.get(email) if email else None
    if existing is not None:
        raise HubSpotApiError(409, f"Contact already exists. Existing ID: {existing}", "CONFLICT")
    return values, _association_targets(body.get("associations"), companies)


def _association_targets(raw: Any, companies: Mapping[str, StoredRecord]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation_error("associations: expected a list")
    targets: list[str] = []
    for position, association in enumerate(raw):
        where = f"associations[{position}]"
        if not isinstance(association, dict):
            raise validation_error(f"{where}: expected {{'to': {{'id': ...}}, 'types': [...]}}")
        target = association.get("to")
        other = str(target.get("id", "")) if isinstance(target, dict) else ""
        types = association.get("types")
        if not isinstance(types, list) or not types:
            raise validation_error(f"{where}.types: at least one association type is required")
        for spec in types:
            type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
            category = spec.get("associationCategory") if isinstance(spec, dict) else None
            if category != "HUBSPOT_DEFINED" or type_id not in CONTACT_TO_COMPANY:
                raise validation_error(
                    f"{where}.types: the sandbox associates contacts with companies only "
                    f"(HUBSPOT_DEFINED {CONTACT_TO_COMPANY[1]} or {CONTACT_TO_COMPANY[0]}), "
                    f"got {spec!r}"
                )
        record = companies.get(other)
        if record is None or record.archived:
            raise validation_error(f"{where}: no company with id {other!r} to associate with")
        if other not in targets:
            targets.append(other)
    return targets


def render_contact(record: StoredRecord, names: Sequence[str] | None) -> JsonObject:
    wanted = DEFAULT_CONTACT_PROPERTIES if names is None else names
    properties: JsonObject = {
        name: record.properties.get(name) for name in wanted if name in CONTACT_PROPERTIES
    }
    for name in ("createdate", "lastmodifieddate", "hs_object_id"):
        properties[name] = record.properties.get(name)
    return {
        "id": record.id,
        "properties": properties,
        "createdAt": iso_ms(record.created_ms),
        "updatedAt": iso_ms(record.updated_ms),
        "archived": False,
    }


def get_contact(store: ContactStore, contact_id: str, names: Sequence[str] | None) -> JsonObject:
    record = store.records.get(contact_id)
    if record is None:
        raise object_not_found("contacts", contact_id)
    return render_contact(record, names)


def is_contact_pair(object_type: str, to_object_type: str) -> bool:
    """Whether a v4 association read involves contacts (and so is answered here)."""
    return object_type in CONTACT_ALIASES or to_object_type in CONTACT_ALIASES


def contact_associations(
    store: ContactStore,
    companies: Mapping[str, StoredRecord],
    object_type: str,
    object_id: str,
    to_object_type: str,
) -> list[JsonObject]:
    """The v4 `results` of a contact↔company association read (all of them, unpaged)."""
    if object_type in CONTACT_ALIASES and to_object_type in COMPANY_ALIASES:
        linked = [
            other
            for other in store.companies.get(object_id, [])
            if other in companies and not companies[other].archived
        ]
        primary, unlabeled = CONTACT_TO_COMPANY
        return [
            {
                "toObjectId": int(other),
                "associationTypes": _types(position == 0, primary, unlabeled),
            }
            for position, other in enumerate(linked)
        ]
    if object_type in COMPANY_ALIASES and to_object_type in CONTACT_ALIASES:
        primary, unlabeled = COMPANY_TO_CONTACT
        return [
            {
                "toObjectId": int(contact),
                "associationTypes": _types(
                    store.companies.get(contact, [None])[0] == object_id, primary, unlabeled
                ),
            }
            for contact in store.contacts_of.get(object_id, [])
        ]
    if object_type in CONTACT_ALIASES or to_object_type in CONTACT_ALIASES:
        return []  # contact↔contact, contact↔deal: none in the sandbox
    raise validation_error(f"Unable to infer object type from: {object_type}")


def _types(is_primary: bool, primary: int, unlabeled: int) -> list[JsonObject]:
    types: list[JsonObject] = []
    if is_primary:
        types.append({"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
    types.append({"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None})
    return types
