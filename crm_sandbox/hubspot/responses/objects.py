"""Reading contacts, companies and deals: `GET /crm/v3/objects/{type}` (paged by an opaque `after`
cursor, `limit` up to 100, above → 400), `GET …/{id}` (also by a unique `idProperty`),
`POST …/batch/read` (unknown or archived ids → 207 with one `OBJECT_NOT_FOUND` error listing
them) and `POST …/search` (`search`). Contacts are also read by `email` (`idProperty=email`).
Properties requested but empty are null; `propertiesWithHistory` is accepted and ignored.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from crm_sandbox.hubspot.calls import (
    Call,
    HubSpotApi,
    Reply,
    after_id,
    batch_inputs,
    batch_reply,
    bool_param,
    cursor_after,
    input_id,
    int_query,
    list_param,
    now_iso,
    object_type_of,
    requested_properties,
)
from crm_sandbox.hubspot.contacts import email_key
from crm_sandbox.hubspot.errors import JsonObject, validation_error
from crm_sandbox.hubspot.object_types import object_not_found
from crm_sandbox.hubspot.records import ObjectStore, StoredRecord
from crm_sandbox.hubspot.rendering import not_found_error, render_record
from crm_sandbox.hubspot.search import MAX_BODY_CHARS, compile_search, run_search

MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 10


def list_objects(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    limit = int_query(call.query, "limit", DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
    archived = bool_param(call.query, "archived", False)
    names = list_param(call.query, "properties") or None
    associations = list_param(call.query, "associations")
    first_id = after_id(call.query)
    start = 0 if first_id is None else bisect_left(store.ids, first_id)
    page: list[StoredRecord] = []
    next_record: StoredRecord | None = None
    for record in store.ordered[start:]:
        if record.archived != archived:
            continue
        if len(page) == limit:
            next_record = record
            break
        page.append(record)
    body: JsonObject = {
        "results": [
            render_record(api.backend, store, record, names, associations) for record in page
        ]
    }
    if next_record is not None:
        after = cursor_after(next_record.id)
        body["paging"] = {"next": {"after": after, "link": call.link(after=after)}}
    return Reply(200, body)


def get_object(api: HubSpotApi, call: Call) -> Reply:
    store = api.backend.store(object_type_of(call.path["objectType"]))
    emails = api.backend.contact_emails
    record = resolve(store, call.path["objectId"], call.query.get("idProperty"), emails)
    archived = bool_param(call.query, "archived", False)
    if record is None or record.archived != archived:
        raise object_not_found(store.object_type, call.path["objectId"])
    names = list_param(call.query, "properties") or None
    associations = list_param(call.query, "associations")
    return Reply(200, render_record(api.backend, store, record, names, associations))


def batch_read(api: HubSpotApi, call: Call) -> Reply:
    started = now_iso()
    store = api.backend.store(object_type_of(call.path["objectType"]))
    inputs = batch_inputs(call.body)
    archived = bool_param(call.query, "archived", False)
    names = requested_properties(call.body)
    id_property = call.body.get("idProperty")
    results: list[JsonObject] = []
    missing: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(inputs):
        object_id = input_id(item, position)
        if object_id in seen:
            continue
        seen.add(object_id)
        record = resolve(store, object_id, id_property, api.backend.contact_emails)
        if record is None or record.archived != archived:
            missing.append(object_id)
        else:
            results.append(render_record(api.backend, store, record, names))
    errors = [not_found_error(store.object_type, missing)] if missing else []
    return batch_reply(results, started, errors)


def search(api: HubSpotApi, call: Call) -> Reply:
    object_type = object_type_of(call.path["objectType"])
    if call.body_chars > MAX_BODY_CHARS:
        raise validation_error(
            f"The search request body is {call.body_chars} characters long; "
            f"the maximum is {MAX_BODY_CHARS}."
        )
    store = api.backend.store(object_type)
    state = api.backend
    plan = compile_search(
        call.body if call.body is not None else {},
        object_type=object_type,
        definitions=store.definitions,
        associated_companies=lambda record: state.associated(object_type, record.id, "companies"),
    )
    index = state.search_index
    matches = run_search(plan, index.view(object_type, store.ordered), index.tie_key)
    page = matches[plan.after : plan.after + plan.limit]
    names = list(plan.properties) if plan.properties else None
    body: JsonObject = {
        "total": len(matches),
        "results": [render_record(api.backend, store, record, names) for record in page],
    }
    if plan.after + plan.limit < len(matches) and page:
        body["paging"] = {"next": {"after": str(plan.after + plan.limit)}}
    return Reply(200, body)


def resolve(
    store: ObjectStore,
    object_id: str,
    id_property: str | None,
    emails: Mapping[str, str] | None = None,
) -> StoredRecord | None:
    """The record an id names: by record id, a unique property (`idProperty`), or a contact's
    `email` (`emails`: the backend's e-mail index)."""
    if id_property in (None, "", "hs_object_id"):
        return store.records.get(object_id)
    assert id_property is not None
    if store.object_type == "contacts" and id_property == "email" and emails is not None:
        found = emails.get(email_key(object_id))
        return None if found is None else store.records.get(found)
    definition = store.definitions.get(id_property)
    if definition is None or not definition.has_unique_value:
        singular = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}[store.object_type]
        raise validation_error(
            f"Unable to perform read/update by non-unique {singular} property {id_property}"
        )
    for record in store.ordered:
        if record.properties.get(id_property) == object_id:
            return record
    return None
