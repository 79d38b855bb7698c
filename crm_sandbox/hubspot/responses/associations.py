"""Associations over the API: v4 reads of one record's associations (paged by an opaque
`after`, `limit` up to 500), v4 and v3 batch reads, and v4 default (unlabeled) association of
a deal and a company. Reads of an unknown record answer 200 with no results; batch reads report
ids without associations as `NO_ASSOCIATIONS_FOUND` errors (207). Contact↔company pairs are
answered from the contact store (`contacts`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from crm_sandbox.hubspot import contacts
from crm_sandbox.hubspot.associations import V3_TYPE_NAMES, V4_TYPE_IDS, live_associated, v4_types
from crm_sandbox.hubspot.calls import (
    Call,
    HubSpotApi,
    Reply,
    batch_inputs,
    batch_reply,
    input_id,
    int_query,
    now_iso,
    object_type_of,
)
from crm_sandbox.hubspot.errors import JsonObject, not_found, validation_error
from crm_sandbox.hubspot.records import SINGULAR, ObjectType

MAX_ASSOCIATION_BATCH_INPUTS = 1_000
MAX_ASSOCIATION_LIMIT = 500


def v4_associations(api: HubSpotApi, call: Call) -> Reply:
    limit = int_query(call.query, "limit", MAX_ASSOCIATION_LIMIT, MAX_ASSOCIATION_LIMIT)
    object_id = call.path["objectId"]
    from_name, to_name = call.path["objectType"], call.path["toObjectType"]
    if contacts.is_contact_pair(from_name, to_name):
        companies = api.backend.store("companies").records
        all_results = contacts.contact_associations(
            api.backend.contacts, companies, from_name, object_id, to_name
        )
    else:
        object_type, to_type = object_type_of(from_name), object_type_of(to_name)
        linked = (
            live_associated(api.backend, object_type, object_id) if to_type != object_type else []
        )
        all_results = [
            {
                "toObjectId": int(other),
                "associationTypes": v4_types(api.backend, object_type, object_id, other, position),
            }
            for position, other in enumerate(linked)
        ]
    value = call.query.get("after")
    offset = 0
    if value:
        try:
            offset = int(base64.b64decode(value.encode(), validate=True).decode())
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise validation_error(f"after: {value!r} is not a paging cursor") from None
    body: JsonObject = {"results": all_results[offset : offset + limit]}
    if offset + limit < len(all_results):
        after = base64.b64encode(str(offset + limit).encode()).decode()
        body["paging"] = {"next": {"after": after, "link": None}}
    return Reply(200, body)


def v4_batch_read(api: HubSpotApi, call: Call) -> Reply:
    from_name, to_name = call.path["objectType"], call.path["toObjectType"]
    if contacts.is_contact_pair(from_name, to_name):
        return _contact_association_batch(api, call, from_name, to_name)

    def targets(object_type: ObjectType, object_id: str, linked: list[str]) -> list[JsonObject]:
        return [
            {
                "toObjectId": int(other),
                "associationTypes": v4_types(api.backend, object_type, object_id, other, i),
            }
            for i, other in enumerate(linked)
        ]

    return _association_batch(api, call, targets)


def v3_batch_read(api: HubSpotApi, call: Call) -> Reply:
    def targets(object_type: ObjectType, _object_id: str, linked: list[str]) -> list[JsonObject]:
        primary, _ = V3_TYPE_NAMES[object_type]
        return [{"id": other, "type": primary} for other in linked]

    return _association_batch(api, call, targets)


def v4_associate_default(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    object_type = object_type_of(call.path["objectType"])
    to_type = object_type_of(call.path["toObjectType"])
    object_id, to_id = call.path["objectId"], call.path["toObjectId"]
    if object_type == to_type:
        raise validation_error(f"Cannot associate {object_type} with {to_type}")
    for kind, record_id in ((object_type, object_id), (to_type, to_id)):
        record = api.backend.store(kind).records.get(record_id)
        if record is None or record.archived:
            raise not_found(f"resource not found: {SINGULAR[kind]} {record_id}")
    deal_id, company_id = (object_id, to_id) if object_type == "deals" else (to_id, object_id)
    api.backend.associate(deal_id, company_id)
    _, unlabeled = V4_TYPE_IDS[object_type]
    result = {
        "from": {"id": object_id},
        "to": {"id": to_id},
        "associationSpec": {
            "associationCategory": "HUBSPOT_DEFINED",
            "associationTypeId": unlabeled,
        },
    }
    return batch_reply([result], started, [])


def _association_batch(
    api: HubSpotApi, call: Call, targets: Callable[[ObjectType, str, list[str]], list[JsonObject]]
) -> Reply:
    """The v3 and v4 association batch reads differ only in how a target is written."""
    started = now_iso()
    object_type = object_type_of(call.path["objectType"])
    to_type = object_type_of(call.path["toObjectType"])
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(batch_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
        object_id = input_id(item, position)
        linked = (
            live_associated(api.backend, object_type, object_id) if to_type != object_type else []
        )
        if not linked:
            errors.append(_no_associations(object_type, to_type, object_id))
            continue
        results.append({"from": {"id": object_id}, "to": targets(object_type, object_id, linked)})
    return batch_reply(results, started, errors)


def _contact_association_batch(api: HubSpotApi, call: Call, from_name: str, to_name: str) -> Reply:
    """The v4 batch read for contact↔company pairs, answered from the contact store."""
    started = now_iso()
    companies = api.backend.store("companies").records
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(batch_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
        object_id = input_id(item, position)
        linked = contacts.contact_associations(
            api.backend.contacts, companies, from_name, object_id, to_name
        )
        if not linked:
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                    "message": f"No {to_name} is associated with {from_name} {object_id}.",
                    "context": {"fromObjectId": [object_id]},
                }
            )
            continue
        results.append({"from": {"id": object_id}, "to": linked})
    return batch_reply(results, started, errors)


def _no_associations(from_type: ObjectType, to_type: ObjectType, object_id: str) -> JsonObject:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": (
            f"No {SINGULAR[to_type].lower()} is associated with "
            f"{SINGULAR[from_type].lower()} {object_id}."
        ),
        "context": {"fromObjectId": [object_id]},
    }
