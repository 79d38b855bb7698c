"""Association writes and labels over the v4 API, for any pair of companies, deals and
contacts (`association_links`):

- `PUT /crm/v4/objects/{from}/{fromId}/associations/default/{to}/{toId}` and
  `POST /crm/v4/associations/{from}/{to}/batch/associate/default`: the pair's default
  (unlabeled) type; 200 `BatchResponsePublicDefaultAssociation`.
- `PUT /crm/v4/objects/{from}/{fromId}/associations/{to}/{toId}` (a list of `AssociationSpec`):
  201 `LabelsBetweenObjectPair`.
- `POST /crm/v4/associations/{from}/{to}/batch/create` (`PublicAssociationMultiPost` inputs):
  201 `BatchResponseLabelsBetweenObjectPair`, or 207 …`WithErrors` when some record is unknown
  (its input is left out, the others written).
- `DELETE /crm/v4/objects/{from}/{fromId}/associations/{to}/{toId}` and
  `POST /crm/v4/associations/{from}/{to}/batch/archive` (`PublicAssociationMultiArchive`
  inputs: `from.id`, `to[].id`): every association type between the records removed; 204
  (unknown records or pairs never associated too).
- `GET` and `POST /crm/v4/associations/{from}/{to}/labels` (the path hubspot-api-client 12
  calls; HubSpot's spec writes it `/crm/associations/v4/{from}/{to}/labels`, served too):
  200 `CollectionResponseAssociationSpecWithLabelNoPaging`.

Statuses and shapes from `PublicApiSpecs/CRM/Associations/Rollouts/130902/v4/associations.json`
and `PublicApiSpecs/CRM/Associations Schema/Rollouts/130902/v4/associationsSchema.json` (both
v4). An unknown record in a single write answers 404 "Object not found" (`object_types`); an
association type the pair does not have, 400 naming the type id.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.hubspot.association_links import link, require_live, unlink
from crm_sandbox.hubspot.association_types import AssociationType, Pair, default_type
from crm_sandbox.hubspot.calls import Call, HubSpotApi, Reply, batch_inputs, batch_reply, now_iso
from crm_sandbox.hubspot.errors import HubSpotApiError, JsonObject, validation_error
from crm_sandbox.hubspot.object_types import TYPE_IDS, any_type_of
from crm_sandbox.hubspot.responses.associations import MAX_ASSOCIATION_BATCH_INPUTS


def associate_default(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    pair = _pair(call, "fromObjectType" if "fromObjectType" in call.path else "objectType")
    from_id = call.path.get("fromObjectId") or call.path["objectId"]
    result = _default_link(api, pair, from_id, call.path["toObjectId"])
    return batch_reply([result], started, [])


def batch_associate_default(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    pair = _pair(call, "fromObjectType")
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(_inputs(call)):
        from_id, to_id = _ends(item, position)
        try:
            results.append(_default_link(api, pair, from_id, to_id))
        except HubSpotApiError as error:
            errors.append(_batch_error(error))
    return batch_reply(results, started, errors)


def associate_labelled(api: HubSpotApi, call: Call) -> Reply:
    pair = _pair(call, "objectType")
    from_id, to_id = call.path["objectId"], call.path["toObjectId"]
    kinds = _kinds(api, pair, call.body, "body")
    return Reply(201, _write(api, pair, from_id, to_id, kinds))


def batch_create(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    pair = _pair(call, "fromObjectType")
    planned = []
    for position, item in enumerate(_inputs(call)):
        from_id, to_id = _ends(item, position)
        types = item.get("types")
        planned.append((from_id, to_id, _kinds(api, pair, types, f"inputs[{position}].types")))
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for from_id, to_id, kinds in planned:
        try:
            results.append(_write(api, pair, from_id, to_id, kinds))
        except HubSpotApiError as error:
            errors.append(_batch_error(error))
    reply = batch_reply(results, started, errors)
    if reply.status == 200:
        reply.status = 201
    return reply


def archive_one(api: HubSpotApi, call: Call) -> Reply:
    pair = _pair(call, "objectType")
    unlink(api.backend, pair, call.path["objectId"], call.path["toObjectId"])
    return Reply(204)


def batch_archive(api: HubSpotApi, call: Call) -> Reply:
    pair = _pair(call, "fromObjectType")
    planned: list[tuple[str, str]] = []
    for position, item in enumerate(_inputs(call)):
        start = item.get("from") if isinstance(item, dict) else None
        ends = item.get("to") if isinstance(item, dict) else None
        from_id = start.get("id") if isinstance(start, dict) else None
        if not isinstance(from_id, str | int) or isinstance(from_id, bool) or from_id == "":
            raise validation_error(f"inputs[{position}].from: expected {{'id': ...}}")
        if not isinstance(ends, list):
            raise validation_error(f"inputs[{position}].to: expected a list of {{'id': ...}}")
        for index, end in enumerate(ends):
            to_id = end.get("id") if isinstance(end, dict) else None
            if not isinstance(to_id, str | int) or isinstance(to_id, bool) or to_id == "":
                raise validation_error(f"inputs[{position}].to[{index}]: expected {{'id': ...}}")
            planned.append((str(from_id), str(to_id)))
    for from_id, to_id in planned:
        unlink(api.backend, pair, from_id, to_id)
    return Reply(204)


def list_labels(api: HubSpotApi, call: Call) -> Reply:
    pair = _pair(call, "fromObjectType")
    kinds = api.backend.association_labels.types(pair)
    return Reply(200, {"results": [kind.as_json() for kind in kinds]})


def create_label(api: HubSpotApi, call: Call) -> Reply:
    pair = _pair(call, "fromObjectType")
    created = api.backend.association_labels.create(pair, call.body)
    return Reply(200, {"results": [kind.as_json() for kind in created]})


def _pair(call: Call, from_key: str) -> Pair:
    return any_type_of(call.path[from_key]), any_type_of(call.path["toObjectType"])


def _inputs(call: Call) -> list[Any]:
    return batch_inputs(call.body, maximum=MAX_ASSOCIATION_BATCH_INPUTS)


def _ends(item: Any, position: int) -> tuple[str, str]:
    """The `from.id` and `to.id` of one batch input; 400 naming the input if either is absent."""
    ends: list[str] = []
    for key in ("from", "to"):
        end = item.get(key) if isinstance(item, dict) else None
        value = end.get("id") if isinstance(end, dict) else None
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise validation_error(f"inputs[{position}].{key}: expected {{'id': ...}}")
        ends.append(str(value))
    return ends[0], ends[1]


def _kinds(api: HubSpotApi, pair: Pair, raw: Any, where: str) -> list[AssociationType]:
    if not isinstance(raw, list) or not raw:
        raise validation_error(f"{where}: at least one association type is required")
    kinds: list[AssociationType] = []
    for spec in raw:
        if not isinstance(spec, dict):
            raise validation_error(f"{where}: expected an association type object, got {spec!r}")
        category, type_id = spec.get("associationCategory"), spec.get("associationTypeId")
        kinds.append(api.backend.association_labels.find(pair, category, type_id))
    return kinds


def _default_link(api: HubSpotApi, pair: Pair, from_id: str, to_id: str) -> JsonObject:
    if pair[0] == pair[1] and from_id == to_id:
        raise validation_error(f"Cannot associate {pair[0]} {from_id} with itself")
    _require_both(api, pair, from_id, to_id)
    kind = default_type(pair)
    link(api.backend, pair, from_id, to_id, kind)
    return {
        "from": {"id": from_id},
        "to": {"id": to_id},
        "associationSpec": {
            "associationCategory": kind.category,
            "associationTypeId": kind.type_id,
        },
    }


def _write(
    api: HubSpotApi, pair: Pair, from_id: str, to_id: str, kinds: list[AssociationType]
) -> JsonObject:
    if pair[0] == pair[1] and from_id == to_id:
        raise validation_error(f"Cannot associate {pair[0]} {from_id} with itself")
    _require_both(api, pair, from_id, to_id)
    for kind in kinds:
        link(api.backend, pair, from_id, to_id, kind)
    return {
        "fromObjectTypeId": TYPE_IDS[pair[0]],
        "fromObjectId": from_id,
        "toObjectTypeId": TYPE_IDS[pair[1]],
        "toObjectId": to_id,
        "labels": [kind.label for kind in kinds if kind.label is not None],
    }


def _require_both(api: HubSpotApi, pair: Pair, from_id: str, to_id: str) -> None:
    require_live(api.backend, pair[0], from_id)
    require_live(api.backend, pair[1], to_id)


def _batch_error(error: HubSpotApiError) -> JsonObject:
    return {
        "status": "error",
        "category": error.category,
        "message": error.message,
        "context": {key: list(values) for key, values in (error.context or {}).items()},
        "errors": error.errors or [],
        "links": {},
    }
