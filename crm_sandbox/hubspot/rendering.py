"""Records as HubSpot's CRM v3 API writes them: the requested properties (or the object type's
defaults) and the three always returned, timestamps in ISO form, and optionally the v3
`associations` block."""

from __future__ import annotations

from collections.abc import Sequence

from crm_sandbox.core.times import iso_ms
from crm_sandbox.hubspot.associations import v3_block
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import JsonObject
from crm_sandbox.hubspot.records import (
    DEFAULT_PROPERTIES,
    SINGULAR,
    ObjectStore,
    ObjectType,
    StoredRecord,
    always_returned,
)


def render_record(
    backend: HubSpotBackend,
    store: ObjectStore,
    record: StoredRecord,
    names: Sequence[str] | None,
    associations: Sequence[str] = (),
) -> JsonObject:
    values = record.properties
    definitions = store.definitions
    wanted = DEFAULT_PROPERTIES[store.object_type] if names is None else names
    properties: JsonObject = {}
    for name in wanted:
        if name in definitions:
            properties[name] = values.get(name)
    for name in always_returned(store.object_type):
        properties[name] = values.get(name)
    rendered: JsonObject = {
        "id": record.id,
        "properties": properties,
        "createdAt": values.get("createdate") or iso_ms(record.created_ms),
        "updatedAt": iso_ms(record.updated_ms),
        "archived": record.archived,
    }
    if record.archived and record.archived_ms is not None:
        rendered["archivedAt"] = iso_ms(record.archived_ms)
    if associations:
        block = v3_block(backend, store.object_type, record.id, associations)
        if block:
            rendered["associations"] = block
    return rendered


def not_found_error(object_type: ObjectType, ids: list[str]) -> JsonObject:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": (
            f"Could not get some {SINGULAR[object_type]} objects, they may be deleted or not "
            "exist. Check that ids are valid."
        ),
        "context": {"ids": ids},
    }
