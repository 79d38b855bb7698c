"""Property definitions and groups over the API: `/crm/v3/properties/{type}` list, read,
create, patch and archive (HubSpot-defined ones cannot be archived), and the same for
`…/groups` (no archive)."""

from __future__ import annotations

from crm_sandbox.hubspot.calls import Call, HubSpotApi, Reply, bool_param, object_type_of
from crm_sandbox.hubspot.errors import not_found, validation_error
from crm_sandbox.hubspot.property_definitions import new_group, new_property, patch_property


def list_properties(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    archived = bool_param(call.query, "archived", False)
    results = [d.as_json() for d in store.definitions.values() if d.archived == archived]
    return Reply(200, {"results": results})


def get_property(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    name = call.path["propertyName"]
    definition = store.definitions.get(name)
    if definition is None or definition.archived:
        raise not_found(f"Unable to find property {name}")
    return Reply(200, definition.as_json())


def create_property(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    definition = new_property(
        call.body,
        existing=store.definitions,
        groups=store.groups,
        at_ms=api.backend.clock.tick(),
    )
    store.definitions[definition.name] = definition
    return Reply(201, definition.as_json())


def update_property(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    name = call.path["propertyName"]
    definition = store.definitions.get(name)
    patch_property(definition, name, call.body, groups=store.groups, at_ms=api.backend.clock.tick())
    assert definition is not None
    return Reply(200, definition.as_json())


def archive_property(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    name = call.path["propertyName"]
    definition = store.definitions.get(name)
    if definition is None or definition.archived:
        raise not_found(f"Unable to find property {name}")
    if definition.hubspot_defined:
        raise validation_error(f"{name} is a HubSpot-defined property and cannot be archived")
    definition.archived = True
    return Reply(204)


def list_groups(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    return Reply(200, {"results": [g.as_json() for g in store.groups.values() if not g.archived]})


def get_group(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    group = store.groups.get(call.path["groupName"])
    if group is None or group.archived:
        raise not_found(f"Unable to find property group {call.path['groupName']}")
    return Reply(200, group.as_json())


def create_group(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    group = new_group(call.body, existing=store.groups)
    store.groups[group.name] = group
    return Reply(201, group.as_json())


def update_group(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    group = store.groups.get(call.path["groupName"])
    if group is None or group.archived:
        raise not_found(f"Unable to find property group {call.path['groupName']}")
    body = call.body if isinstance(call.body, dict) else {}
    label, order = body.get("label"), body.get("displayOrder")
    if label is not None:
        if not isinstance(label, str) or not label:
            raise validation_error("label: expected a non-empty string")
        group.label = label
    if order is not None:
        if isinstance(order, bool) or not isinstance(order, int):
            raise validation_error("displayOrder: expected an integer")
        group.display_order = order
    return Reply(200, group.as_json())
