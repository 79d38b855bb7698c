"""Writing contacts, companies and deals: `PATCH /crm/v3/objects/{type}/{id}`,
`POST …/batch/update`, `POST …`, `POST …/batch/create`, `DELETE …/{id}` and
`POST …/batch/archive`. Contacts' own rules (a unique `email`, their inline associations) are
in `contacts`.

- A bad value anywhere in a batch update or create fails the whole batch with 400 (batch create
  accepts partial success only when every input has a distinct `objectWriteTraceId`).
- Batch update with unknown or archived ids → 207 with one `OBJECT_NOT_FOUND` error whose
  `context.ids` lists them, the other inputs written (`batch_update_missing="errors"`); with
  `"ignore"` they are left out silently (207 with no errors when any was missing).
- Archiving an unknown id answers 204.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.hubspot import contacts
from crm_sandbox.hubspot.association_links import link
from crm_sandbox.hubspot.association_types import default_type
from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.calls import (
    Call,
    HubSpotApi,
    Reply,
    batch_inputs,
    batch_reply,
    input_id,
    now_iso,
    object_type_of,
)
from crm_sandbox.hubspot.errors import (
    HubSpotApiError,
    JsonObject,
    PropertyValueError,
    property_values_error,
    validation_error,
)
from crm_sandbox.hubspot.object_types import SINGULAR_NAMES, object_not_found
from crm_sandbox.hubspot.records import SINGULAR, ObjectStore, ObjectType
from crm_sandbox.hubspot.rendering import not_found_error, render_record
from crm_sandbox.hubspot.responses.objects import resolve
from crm_sandbox.hubspot.values import InvalidValue, parse_datetime_ms, validate_value

REQUIRED_ON_CREATE: dict[ObjectType, tuple[tuple[str, ...], ...]] = {
    # any one property of each tuple must be given
    "companies": (("name", "domain"),),
    "deals": (("dealname",), ("dealstage",), ("pipeline",)),
    "contacts": (),
}


def update_object(api: HubSpotApi, call: Call) -> Reply:
    object_type = object_type_of(call.path["objectType"])
    store = api.backend.store(object_type)
    body = call.body if isinstance(call.body, dict) else None
    if body is None:
        raise validation_error("Invalid input JSON: expected {'properties': {...}}")
    problems: list[PropertyValueError] = []
    values = validated(store, body.get("properties"), "properties", problems)
    if problems:
        raise property_values_error(problems)
    emails = api.backend.contact_emails
    record = resolve(store, call.path["objectId"], call.query.get("idProperty"), emails)
    if record is None or record.archived:
        raise object_not_found(object_type, call.path["objectId"])
    if object_type == "contacts":
        contacts.check_email_free(emails, values, record.id)
    api.backend.write(object_type, record, values, source="API")
    return Reply(200, render_record(api.backend, store, record, list(values)))


def batch_update(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    object_type = object_type_of(call.path["objectType"])
    store = api.backend.store(object_type)
    inputs = batch_inputs(call.body)
    problems: list[PropertyValueError] = []
    planned: list[tuple[str, str | None, dict[str, str]]] = []
    ids: list[str] = []
    for position, item in enumerate(inputs):
        object_id = input_id(item, position)
        ids.append(object_id)
        values = validated(store, item.get("properties"), f"inputs[{position}]", problems)
        id_property = item.get("idProperty") or call.body.get("idProperty")
        planned.append((object_id, id_property, values))
    duplicates = sorted({object_id for object_id in ids if ids.count(object_id) > 1})
    if duplicates:
        raise validation_error(
            f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. IDs must be unique"
        )
    if problems:
        raise property_values_error(problems)
    results: list[JsonObject] = []
    missing: list[str] = []
    emails = api.backend.contact_emails
    found = [(object_id, resolve(store, object_id, id_property, emails), values)
             for object_id, id_property, values in planned]  # fmt: skip
    for _, record, values in found:
        if object_type == "contacts" and record is not None and not record.archived:
            contacts.check_email_free(emails, values, record.id)
    for object_id, record, values in found:
        if record is None or record.archived:
            missing.append(object_id)
            continue
        api.backend.write(object_type, record, values, source="API")
        results.append(render_record(api.backend, store, record, list(values)))
    if missing and api.batch_update_missing == "ignore":
        return batch_reply(results, started, [], multi_status=True)
    errors = [not_found_error(object_type, missing)] if missing else []
    return batch_reply(results, started, errors)


def create_object(api: HubSpotApi, call: Call) -> Reply:
    object_type = object_type_of(call.path["objectType"])
    return Reply(201, _create_one(api.backend, object_type, call.body, "body"))


def batch_create(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    object_type = object_type_of(call.path["objectType"])
    inputs = batch_inputs(call.body)
    trace_ids = [
        item.get("objectWriteTraceId") if isinstance(item, dict) else None for item in inputs
    ]
    traced = all(isinstance(t, str) and t for t in trace_ids) and len(set(trace_ids)) == len(
        trace_ids
    )
    if not traced:  # all or nothing: validate every input before creating any
        store = api.backend.store(object_type)
        problems: list[PropertyValueError] = []
        all_values: list[dict[str, str]] = []
        for position, item in enumerate(inputs):
            where = f"inputs[{position}]"
            if not isinstance(item, dict):
                raise validation_error(f"{where}: expected {{'properties': {{...}}}}")
            all_values.append(validated(store, item.get("properties", {}), where, problems))
            _inline_associations(api.backend, object_type, item.get("associations"), where)
        if problems:
            raise property_values_error(problems)
        if object_type == "contacts":
            contacts.check_batch_emails(api.backend.contact_emails, all_values)
    results: list[JsonObject] = []
    errors: list[JsonObject] = []
    for position, item in enumerate(inputs):
        try:
            results.append(_create_one(api.backend, object_type, item, f"inputs[{position}]"))
        except HubSpotApiError as error:
            if not traced:
                raise
            errors.append(
                {
                    "status": "error",
                    "category": error.category,
                    "message": error.message,
                    "context": {"objectWriteTraceId": [str(trace_ids[position])]},
                    "errors": error.errors or [],
                }
            )
    reply = batch_reply(results, started, errors)
    if reply.status == 200:
        reply.status = 201
    return reply


def archive_object(api: HubSpotApi, call: Call) -> Reply:
    object_type = object_type_of(call.path["objectType"])
    record = api.backend.store(object_type).records.get(call.path["objectId"])
    if record is not None:
        api.backend.set_archived(object_type, record, True, source="API")
    return Reply(204)


def batch_archive(api: HubSpotApi, call: Call) -> Reply:
    object_type = object_type_of(call.path["objectType"])
    records = api.backend.store(object_type).records
    for position, item in enumerate(batch_inputs(call.body)):
        record = records.get(input_id(item, position))
        if record is not None:
            api.backend.set_archived(object_type, record, True, source="API")
    return Reply(204)


def validated(
    store: ObjectStore, properties: Any, where: str, problems: list[PropertyValueError]
) -> dict[str, str]:
    if not isinstance(properties, dict):
        raise validation_error(f"{where}: expected a 'properties' object")
    values: dict[str, str] = {}
    for name, raw in properties.items():
        try:
            values[name] = validate_value(store.definitions.get(name), name, raw)
        except InvalidValue as invalid:
            if invalid.problem not in problems:
                problems.append(invalid.problem)
    return values


def _create_one(
    backend: HubSpotBackend, object_type: ObjectType, item: Any, where: str
) -> JsonObject:
    """Validates one create input and creates it; raises on any problem."""
    store = backend.store(object_type)
    if not isinstance(item, dict):
        raise validation_error(f"{where}: expected {{'properties': {{...}}}}")
    problems: list[PropertyValueError] = []
    values = validated(store, item.get("properties", {}), where, problems)
    for choices in REQUIRED_ON_CREATE[object_type]:
        if not any(values.get(name) for name in choices):
            problems.append(
                PropertyValueError(
                    choices[0],
                    "REQUIRED_PROPERTY",
                    f"{' or '.join(choices)} is required to create a "
                    f"{SINGULAR[object_type].lower()}",
                )
            )
    if problems:
        raise property_values_error(problems)
    links = _inline_associations(backend, object_type, item.get("associations"), where)
    if object_type == "contacts":
        return _create_contact(backend, store, values, links)
    created = values.pop("createdate", "")  # validated ISO: a historical create date
    record = backend.create_record(
        object_type,
        values,
        source="API",
        created_ms=parse_datetime_ms(created) if created else None,
    )
    for _, other in links:
        if object_type == "deals":
            backend.associate(record.id, other)
        else:
            backend.associate(other, record.id)
    return render_record(backend, store, record, list(values))


def _create_contact(
    backend: HubSpotBackend,
    store: ObjectStore,
    values: dict[str, str],
    links: list[tuple[ObjectType, str]],
) -> JsonObject:
    contacts.check_email_free(backend.contact_emails, values)
    companies = [other for kind, other in links if kind == "companies"]
    record = backend.create_contact_record(values, companies, source="API")
    for kind, other in links:
        if kind == "deals":
            pair: tuple[ObjectType, ObjectType] = ("contacts", "deals")
            link(backend, pair, record.id, other, default_type(pair))
    return render_record(backend, store, record, list(values))


def _inline_associations(
    backend: HubSpotBackend, object_type: ObjectType, raw: Any, where: str
) -> list[tuple[ObjectType, str]]:
    """The live records an input's inline `associations` name; 400 naming an unknown one."""
    if object_type == "contacts":
        targets = contacts.inline_targets(raw, where)
    elif raw is None:
        return []
    elif not isinstance(raw, list):
        raise validation_error(f"{where}.associations: expected a list")
    else:
        other_type: ObjectType = "companies" if object_type == "deals" else "deals"
        targets = []
        for association in raw:
            target = association.get("to") if isinstance(association, dict) else None
            targets.append(
                (other_type, str(target.get("id", "")) if isinstance(target, dict) else "")
            )
    for position, (other_type, other) in enumerate(targets):
        record = backend.store(other_type).records.get(other)
        if record is None or record.archived:
            raise validation_error(
                f"{where}.associations[{position}]: no {SINGULAR_NAMES[other_type]} with id "
                f"{other!r} to associate with"
            )
    return targets
