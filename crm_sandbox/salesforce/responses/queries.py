"""`GET query/?q=` and `queryAll/?q=` (deleted rows too), paged by `nextRecordsUrl`
(`/services/data/v59.0/query/01g…-2000`).

`Sforce-Query-Options: batchSize=N` (200-2000) is a hint, as in Salesforce: a page holds at most
the requested size and at most the server's `page_size`.
"""

from __future__ import annotations

from typing import Any

from crm_sandbox.salesforce.calls import DataApi, DataCall, Reply
from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.soql_relations import render_row


async def query(api: DataApi, call: DataCall) -> Reply:
    return _run(api, call, include_deleted=False)


async def query_all(api: DataApi, call: DataCall) -> Reply:
    return _run(api, call, include_deleted=True)


async def next_page(api: DataApi, call: DataCall) -> Reply:
    locator, _, offset_text = call.params["cursor"].rpartition("-")
    held = api.cursors.get(locator)
    if held is None or not offset_text.isdigit() or int(offset_text) >= len(held[0]):
        raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(api, call.version, locator, int(offset_text))


def _run(api: DataApi, call: DataCall, *, include_deleted: bool) -> Reply:
    text = call.request.query_params.get("q")
    if not text:
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")
    state = api.state

    def schemas(name: str) -> tuple[str, dict[str, FieldDef]] | None:
        object_name = state.resolve_object(name)
        return None if object_name is None else (object_name, state.visible_schema(object_name))

    parsed = parse(text, schemas)
    name = parsed.object_name
    schema = state.fields(name)
    parents: dict[str, tuple[str, dict[str, Any]]] = {}
    for target in {t for relation in parsed.relations for t in relation.targets}:
        parents.update((str(r["Id"]), (target, r)) for r in state.snapshot(target))
    rows = parsed.run(state.snapshot(name, include_deleted=include_deleted), parents.get)
    rendered = [
        render_row(r, parsed.fields, name, call.version, schema, parsed.relations) for r in rows
    ]
    options = call.request.headers.get("sforce-query-options", "")
    size = min(_batch_size(options, api.page_size), api.page_size)
    if len(rendered) <= size:
        return Reply({"totalSize": len(rendered), "done": True, "records": rendered})
    return _page(api, call.version, api.cursors.keep(rendered, size), 0)


def _page(api: DataApi, version: str, locator: str, offset: int) -> Reply:
    held = api.cursors.get(locator)
    assert held is not None
    rendered, size = held
    body: dict[str, Any] = {"totalSize": len(rendered), "done": offset + size >= len(rendered)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{offset + size}"
    body["records"] = rendered[offset : offset + size]
    return Reply(body)


def _batch_size(options: str, default: int) -> int:
    for part in options.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return max(200, min(2000, int(value)))
    return default
