"""Associations as HubSpot reports them: deal↔company and contact↔company (the pairs the backend
keeps itself, `records.BASE_PAIRS`) with only live records of the other type, a deal's or
contact's first company its primary one, and the association type names (v3) and ids (v4);
deal↔contact (type ids 3/4) from the typed links (`association_types.TypedLinks`) in v3 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.records import OBJECT_TYPE_ALIASES, AssociationPair, ObjectType

V3_TYPE_NAMES: dict[AssociationPair, tuple[str, str]] = {  # (primary, unlabeled)
    ("deals", "companies"): ("deal_to_company", "deal_to_company_unlabeled"),
    ("companies", "deals"): ("company_to_deal", "company_to_deal_unlabeled"),
    ("contacts", "companies"): ("contact_to_company", "contact_to_company_unlabeled"),
    ("companies", "contacts"): ("company_to_contact", "company_to_contact_unlabeled"),
}
V4_TYPE_IDS: dict[AssociationPair, tuple[int, int]] = {  # (primary, unlabeled)
    ("deals", "companies"): (5, 341),
    ("companies", "deals"): (6, 342),
    ("contacts", "companies"): (1, 279),
    ("companies", "contacts"): (2, 280),
}
#: v3 names of the deal↔contact types (HubSpot's v3 names: `deal_to_contact`, …).
V3_TYPED_NAMES: dict[AssociationPair, str] = {
    ("deals", "contacts"): "deal_to_contact",
    ("contacts", "deals"): "contact_to_deal",
}


def is_live_record(backend: HubSpotBackend, object_type: ObjectType, object_id: str) -> bool:
    record = backend.store(object_type).records.get(object_id)
    return record is not None and not record.archived


def live_associated(backend: HubSpotBackend, pair: AssociationPair, record_id: str) -> list[str]:
    """Associated ids of live records of the pair's other type (base pairs)."""
    if pair not in V4_TYPE_IDS:
        return []
    others = backend.store(pair[1]).records
    return [
        other
        for other in backend.associated(pair[0], record_id, pair[1])
        if other in others and not others[other].archived
    ]


def is_primary(
    backend: HubSpotBackend, pair: AssociationPair, record_id: str, other: str, position: int
) -> bool:
    """A deal's or contact's first company is its primary one."""
    if pair[0] != "companies":
        return position == 0
    companies = backend.associated(pair[1], other, "companies")
    return bool(companies) and companies[0] == record_id


def v4_types(
    backend: HubSpotBackend, pair: AssociationPair, record_id: str, other: str, position: int
) -> list[JsonObject]:
    primary, unlabeled = V4_TYPE_IDS[pair]
    types: list[JsonObject] = []
    if is_primary(backend, pair, record_id, other, position):
        types.append({"category": "HUBSPOT_DEFINED", "typeId": primary, "label": "Primary"})
    types.append({"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None})
    return types


def v3_block(
    backend: HubSpotBackend, object_type: ObjectType, record_id: str, names: Sequence[str]
) -> JsonObject:
    block: JsonObject = {}
    for name in names:
        to_type = OBJECT_TYPE_ALIASES.get(name)
        if to_type is None or to_type == object_type:
            continue  # HubSpot ignores association names it does not know
        pair: AssociationPair = (object_type, to_type)
        results: list[JsonObject] = []
        if pair in V3_TYPE_NAMES:
            primary, unlabeled = V3_TYPE_NAMES[pair]
            for position, other in enumerate(live_associated(backend, pair, record_id)):
                if is_primary(backend, pair, record_id, other, position):
                    results.append({"id": other, "type": primary})
                results.append({"id": other, "type": unlabeled})
        elif pair in V3_TYPED_NAMES:
            results = [
                {"id": other, "type": V3_TYPED_NAMES[pair]}
                for other in backend.typed_links.of(pair, record_id)
                if is_live_record(backend, to_type, other)
            ]
        if results:
            block[to_type] = {"results": results}
    return block
