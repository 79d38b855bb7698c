"""Associations between any two records of companies, deals and contacts, as v4 reads and
writes see them: the deal↔company links the backend keeps, the contact↔company links of the
contact store, and the typed links (`association_types.TypedLinks`) of everything else
(labels, parent/child companies, deal↔contact), merged into one v4 answer per record.

A labelled association is also an unlabeled one: associating with a label adds the pair's
default type too, so reads show both, as HubSpot's v4 reads list every type of a pair.
"""

from __future__ import annotations

from crm_sandbox.hubspot import contacts
from crm_sandbox.hubspot.association_types import (
    BASE_TYPES,
    CHILD_TO_PARENT,
    PARENT_TO_CHILD,
    AssociationType,
    Pair,
    default_type,
)
from crm_sandbox.hubspot.associations import live_associated, v4_types
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.object_types import AnyType, object_not_found


def is_live(backend: HubSpotBackend, object_type: AnyType, object_id: str) -> bool:
    if object_type == "contacts":
        return object_id in backend.contacts.records
    record = backend.store(object_type).records.get(object_id)
    return record is not None and not record.archived


def require_live(backend: HubSpotBackend, object_type: AnyType, object_id: str) -> None:
    """404 with HubSpot's "Object not found" naming the id (and its type) if it is unknown."""
    if not is_live(backend, object_type, object_id):
        raise object_not_found(object_type, object_id)


def link(
    backend: HubSpotBackend, pair: Pair, from_id: str, to_id: str, kind: AssociationType
) -> None:
    """Associates two live records with one type (and its inverse, and the default type)."""
    from_type, to_type = pair
    labels = backend.association_labels
    default = default_type(pair)
    if kind.type_id in BASE_TYPES or default.type_id in BASE_TYPES:
        _base_link(backend, pair, from_id, to_id)
    if kind.type_id in BASE_TYPES:
        return
    reverse: Pair = (to_type, from_type)
    inverse_id = labels.inverse_of(kind.type_id)
    inverse = next(t for t in labels.types(reverse) if t.type_id == inverse_id)
    links = backend.typed_links
    links.add(pair, from_id, to_id, kind)
    links.add(reverse, to_id, from_id, inverse)
    if default.type_id not in BASE_TYPES:
        links.add(pair, from_id, to_id, default)
        links.add(reverse, to_id, from_id, default_type(reverse))
    if kind.type_id in (PARENT_TO_CHILD, CHILD_TO_PARENT):
        parent, child = (from_id, to_id) if kind.type_id == PARENT_TO_CHILD else (to_id, from_id)
        _record_parent(backend, parent, child)


def _record_parent(backend: HubSpotBackend, parent: str, child: str) -> None:
    """HubSpot's `hs_parent_company_id` on the child and `hs_num_child_companies` on the parent,
    which follow the parent/child association."""
    store = backend.store("companies")
    children = [
        other
        for other, kinds in backend.typed_links.of(("companies", "companies"), parent).items()
        if any(kind.type_id == PARENT_TO_CHILD for kind in kinds)
    ]
    backend.write("companies", store.records[child], {"hs_parent_company_id": parent}, source="API")
    count = {"hs_num_child_companies": str(len(children))}
    backend.write("companies", store.records[parent], count, source="API")


def _base_link(backend: HubSpotBackend, pair: Pair, from_id: str, to_id: str) -> None:
    if pair == ("deals", "companies"):
        backend.associate(from_id, to_id)
    elif pair == ("companies", "deals"):
        backend.associate(to_id, from_id)
    elif pair == ("contacts", "companies"):
        backend.contacts.associate(from_id, to_id)
    elif pair == ("companies", "contacts"):
        backend.contacts.associate(to_id, from_id)


def v4_results(
    backend: HubSpotBackend, pair: Pair, from_name: str, to_name: str, object_id: str
) -> list[JsonObject]:
    """Every association of one record with records of another type, as v4 reads write them
    (`toObjectId`, `associationTypes`), unpaged."""
    from_type, to_type = pair
    results: list[JsonObject]
    if contacts.is_contact_pair(from_name, to_name):
        companies = backend.store("companies").records
        results = contacts.contact_associations(
            backend.contacts, companies, from_name, object_id, to_name
        )
    elif from_type != to_type and from_type != "contacts" and to_type != "contacts":
        results = [
            {
                "toObjectId": int(other),
                "associationTypes": v4_types(backend, from_type, object_id, other, position),
            }
            for position, other in enumerate(live_associated(backend, from_type, object_id))
        ]
    else:
        results = []
    by_id = {entry["toObjectId"]: entry for entry in results}
    for other, kinds in backend.typed_links.of(pair, object_id).items():
        if not is_live(backend, to_type, other):
            continue
        entry = by_id.get(int(other))
        if entry is None:
            entry = {"toObjectId": int(other), "associationTypes": []}
            by_id[int(other)] = entry
            results.append(entry)
        present = {item["typeId"] for item in entry["associationTypes"]}
        entry["associationTypes"].extend(k.as_json() for k in kinds if k.type_id not in present)
    return results
