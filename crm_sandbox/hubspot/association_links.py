"""Associations between any two records of companies, deals and contacts, as v4 reads and
writes see them: the deal↔company and contact↔company links the backend keeps, and the typed
links (`association_types.TypedLinks`) of everything else (labels, parent/child companies,
deal↔contact), merged into one v4 answer per record. `unlink` removes every type of a pair of
records (v4 archive), which for a contact and a company is an `associationChange`.

A labelled association is also an unlabeled one: associating with a label adds the pair's
default type too, so reads show both, as HubSpot's v4 reads list every type of a pair.
"""

from __future__ import annotations

from crm_sandbox.hubspot.association_types import (
    BASE_TYPES,
    CHILD_TO_PARENT,
    PARENT_TO_CHILD,
    AssociationType,
    Pair,
    default_type,
)
from crm_sandbox.hubspot.associations import (
    V4_TYPE_IDS,
    is_live_record,
    live_associated,
    v4_types,
)
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.object_types import AnyType, object_not_found


def is_live(backend: HubSpotBackend, object_type: AnyType, object_id: str) -> bool:
    return is_live_record(backend, object_type, object_id)


def require_live(backend: HubSpotBackend, object_type: AnyType, object_id: str) -> None:
    """404 with HubSpot's "Object not found" naming the id (and its type) if it is unknown."""
    if not is_live(backend, object_type, object_id):
        raise object_not_found(object_type, object_id)


def link(
    backend: HubSpotBackend,
    pair: Pair,
    from_id: str,
    to_id: str,
    kind: AssociationType,
    *,
    source: str = "API",
) -> None:
    """Associates two live records with one type (and its inverse, and the default type)."""
    from_type, to_type = pair
    labels = backend.association_labels
    default = default_type(pair)
    if kind.type_id in BASE_TYPES or default.type_id in BASE_TYPES:
        _base_link(backend, pair, from_id, to_id, source)
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


def _base_link(backend: HubSpotBackend, pair: Pair, from_id: str, to_id: str, source: str) -> None:
    if pair == ("deals", "companies"):
        backend.associate(from_id, to_id)
    elif pair == ("companies", "deals"):
        backend.associate(to_id, from_id)
    elif pair == ("contacts", "companies"):
        backend.associate_contact(from_id, to_id, source=source)
    elif pair == ("companies", "contacts"):
        backend.associate_contact(to_id, from_id, source=source)


def unlink(
    backend: HubSpotBackend, pair: Pair, from_id: str, to_id: str, *, source: str = "API"
) -> None:
    """Removes every association type between two records (both directions)."""
    many, company = (to_id, from_id) if pair[0] == "companies" else (from_id, to_id)
    if "contacts" in pair and "companies" in pair:
        backend.dissociate_contact(many, company, source=source)
    elif "deals" in pair and "companies" in pair:
        links = backend.associations
        if company in links[("deals", "companies")].get(many, []):
            links[("deals", "companies")][many].remove(company)
            links[("companies", "deals")][company].remove(many)
    backend.typed_links.remove(pair, from_id, to_id)
    backend.typed_links.remove((pair[1], pair[0]), to_id, from_id)


def v4_results(backend: HubSpotBackend, pair: Pair, object_id: str) -> list[JsonObject]:
    """Every association of one record with records of another type, as v4 reads write them
    (`toObjectId`, `associationTypes`), unpaged."""
    to_type = pair[1]
    results: list[JsonObject] = []
    if pair in V4_TYPE_IDS:
        results = [
            {
                "toObjectId": int(other),
                "associationTypes": v4_types(backend, pair, object_id, other, position),
            }
            for position, other in enumerate(live_associated(backend, pair, object_id))
        ]
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
