"""The object types the sandbox's association and pipeline routes take, contacts included:
every path spelling HubSpot accepts (`contacts`, `contact`, `0-1` …), the object type ids
(`0-1` contacts, `0-2` companies, `0-3` deals) the v4 association answers carry, and the
404 HubSpot answers for a record that does not exist.
"""

from __future__ import annotations

from typing import Literal

from crm_sandbox.hubspot.errors import HubSpotApiError
from crm_sandbox.hubspot.records import OBJECT_TYPE_ALIASES

AnyType = Literal["companies", "deals", "contacts"]
ANY_TYPE_ALIASES: dict[str, AnyType] = {
    **OBJECT_TYPE_ALIASES,
    "contacts": "contacts",
    "contact": "contacts",
    "0-1": "contacts",
}
TYPE_IDS: dict[AnyType, str] = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}
SINGULAR_NAMES: dict[AnyType, str] = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
}


def any_type_of(value: str) -> AnyType:
    """The object type a path names; 400 with HubSpot's wording when it names none."""
    found = ANY_TYPE_ALIASES.get(value) or ANY_TYPE_ALIASES.get(value.lower())
    if found is None:
        raise HubSpotApiError(400, f"Unable to infer object type from: {value}", "VALIDATION_ERROR")
    return found


def object_not_found(object_type: AnyType, object_id: str) -> HubSpotApiError:
    """HubSpot's 404 for an unknown record id: "Object not found.  objectId are usually
    numeric." with the id in `context.id` (the message is HubSpot's, two spaces included); the
    sandbox adds the object type to `context` so a log says which kind of record was missing."""
    return HubSpotApiError(
        404,
        "Object not found.  objectId are usually numeric.",
        "OBJECT_NOT_FOUND",
        context={"id": [object_id], "objectType": [SINGULAR_NAMES[object_type]]},
    )
