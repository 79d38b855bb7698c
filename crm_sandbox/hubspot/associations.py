"""Deal↔company associations as HubSpot reports them: only live records of the other type, a
deal's first company its primary one, and the association type names (v3) and ids (v4)."""

from __future__ import annotations

from collections.abc import Sequence

from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.records import OBJECT_TYPE_ALIASES, OTHER_TYPE, ObjectType

V3_TYPE_NAMES: dict[ObjectType, tuple[str, str]] = {  # (primary, unlabeled)
    "deals": ("deal_to_company", "deal_to_company_unlabeled"),
    "companies": ("company_to_deal", "company_to_deal_unlabeled"),
}
V4_TYPE_IDS: dict[ObjectType, tuple[int, int]] = {  # (primary, unlabeled)
    "deals": (5, 341),
    "companies": (6, 342),
}


def live_associated(backend: HubSpotBackend, object_type: ObjectType, record_id: str) -> list[str]:
    """Associated ids of live records of the other type."""
    others = backend.store(OTHER_TYPE[object_type]).records
    return [
        other
        for other in backend.associated(object_type, record_id)
        if other in others and not others[other].archived
    ]


def is_primary(
    backend: HubSpotBackend, object_type: ObjectType, record_id: str, other: str, position: int
) -> bool:
    """A deal's first company is its primary one."""
    if object_type == "deals":
        return position == 0
    companies = backend.associated("deals", other)
    return bool(companies) and companies[0] == record_id


def v4_types(
    backend: HubSpotBackend, object_type: ObjectType, record_id: str, other: str, position: int
) -> list[JsonObject]:
    primary, unlabeled = V4_TYPE_IDS[object_type]
    types: list[JsonObject] = []
    if is_primary(backend, object_type, record_id, other, position):
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
        linked = live_associated(backend, object_type, record_id)
        if not linked:
            continue
        primary, unlabeled = V3_TYPE_NAMES[object_type]
        results: list[JsonObject] = []
        for position, other in enumerate(linked):
            if is_primary(backend, object_type, record_id, other, position):
                results.append({"id": other, "type": primary})
            results.append({"id": other, "type": unlabeled})
        block[to_type] = {"results": results}
    return block
