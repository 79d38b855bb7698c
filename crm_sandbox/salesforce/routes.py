"""The data API's route table: method and path under `/services/data/{version}/` → handler.

Paths are matched segment by segment, trailing slashes ignored; `{name}` matches any one
segment and `*` any method. The first row that matches wins, so `describe` comes before a
record id. A `{sobject}` must name an object of the org (else 404 `NOT_FOUND`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_sandbox.salesforce.calls import Handler
from crm_sandbox.salesforce.responses import org, queries, records


@dataclass(frozen=True, slots=True)
class DataRoute:
    method: str
    path: str
    handler: Handler

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        """The path parameters if this route serves the request, else None."""
        if self.method not in ("*", method):
            return None
        template = self.path.split("/")
        if len(template) != len(parts):
            return None
        params: dict[str, str] = {}
        for expected, part in zip(template, parts, strict=True):
            if expected.startswith("{"):
                params[expected[1:-1]] = part
            elif expected != part:
                return None
        return params


DATA_ROUTES: tuple[DataRoute, ...] = (
    DataRoute("GET", "query", queries.query),
    DataRoute("GET", "queryAll", queries.query_all),
    DataRoute("GET", "query/{cursor}", queries.next_page),
    DataRoute("GET", "queryAll/{cursor}", queries.next_page),
    DataRoute("GET", "limits", org.limits),
    DataRoute("GET", "sobjects/{sobject}/describe", org.describe_object),
    DataRoute("POST", "sobjects/{sobject}", records.create),
    DataRoute("GET", "sobjects/{sobject}/{record_id}", records.get),
    DataRoute("PATCH", "sobjects/{sobject}/{record_id}", records.update),
    DataRoute("DELETE", "sobjects/{sobject}/{record_id}", records.delete),
    DataRoute("*", "sobjects/{sobject}/{record_id}", records.method_not_allowed),
    DataRoute("PATCH", "composite/sobjects", records.update_collection),
    DataRoute("POST", "tooling/sobjects/CustomField", org.create_custom_field),
    DataRoute("GET", "tooling/query", org.tooling_query),
)


def find_route(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    """The handler of a data-API path (after `/services/data/{version}/`) and its parameters."""
    parts = path.strip("/").split("/")
    for route in DATA_ROUTES:
        params = route.match(method, parts)
        if params is not None:
            return route.handler, params
    return None
