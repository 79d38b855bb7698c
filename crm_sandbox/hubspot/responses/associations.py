"""Association reads over the API: v4 reads of one record's associations (paged by an opaque
`after`, `limit` up to 500), v4 and v3 batch reads. Reads of an unknown record answer 200 with
no results; batch reads report ids without associations as `NO_ASSOCIATIONS_FOUND` errors
(207). v4 reads cover companies, deals and contacts in any pair (`association_links`); the v3
batch read deal↔company and contact↔company. Writes are in `association_writes`.
"""

from __future__ import annotations

import base64
import binascii

from crm_sandbox.hubspot.association_links import v4_results
from crm_sandbox.hubspot.associations import V3_TYPE_NAMES, live_associated
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
from crm_sandbox.hubspot.errors import JsonObject, validation_error
from crm_sandbox.hubspot.object_types import SINGULAR_NAMES, AnyType, any_type_of

MAX_ASSOCIATION_BATCH_INPUTS = 1_000
MAX_ASSOCIATION_LIMIT = 500


def v4_associations(api: HubSpotApi, call: Call) -> Reply:
    limit = int_query(call.query, "limit", MAX_ASSOCIATION_LIMIT, MAX_ASSOCIATION_LIMIT)
    from_name, to_name = call.path["objectType"], call.path["toObjectType"]
    pair = (any_type_of(from_name), any_type_of(to_name))
    all_results = v4_results(api.backend, pair, call.path["objectId"])
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
    started = now_iso()
    from_name, to_name = call.path["objectType"], call.path["toObjectType"]
    pair = (any_type_of(from_name), any_type_of(to_name))
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(batch_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
        object_id = input_id(item, position)
        linked = v4_results(api.backend, pair, object_id)
        if linked:
            results.append({"from": {"id": object_id}, "to": linked})
        else:
            errors.append(_no_associations(pair[0], pair[1], object_id))
    return batch_reply(results, started, errors)


def v3_batch_read(api: HubSpotApi, call: Call) -> Reply:
    """A v3 batch read of deal↔company or contact↔company associations (primary type names)."""
    started = now_iso()
    pair = (object_type_of(call.path["objectType"]), object_type_of(call.path["toObjectType"]))
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(batch_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)):
        object_id = input_id(item, position)
        linked = live_associated(api.backend, pair, object_id)
        if not linked:
            errors.append(_no_associations(pair[0], pair[1], object_id))
            continue
        primary, _ = V3_TYPE_NAMES[pair]
        results.append(
            {"from": {"id": object_id}, "to": [{"id": other, "type": primary} for other in linked]}
        )
    return batch_reply(results, started, errors)


def _no_associations(from_type: AnyType, to_type: AnyType, object_id: str) -> JsonObject:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": (
            f"No {SINGULAR_NAMES[to_type]} is associated with "
            f"{SINGULAR_NAMES[from_type]} {object_id}."
        ),
        "context": {"fromObjectId": [object_id]},
    }
