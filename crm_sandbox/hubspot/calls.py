"""What a HubSpot handler gets and gives: the request (`Call`), the API it serves (`HubSpotApi`:
the backend and its options) and the answer (`Reply`), with the readers of HubSpot's request
parameters (paths, query strings, batch inputs) and the batch answer's shape."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from crm_sandbox.hubspot.backend import HubSpotBackend
from crm_sandbox.hubspot.errors import HubSpotApiError, JsonObject, validation_error
from crm_sandbox.hubspot.records import OBJECT_TYPE_ALIASES, ObjectType

MAX_BATCH_INPUTS = 100
#: What a batch update does with unknown or archived ids: report them (207 with one
#: `OBJECT_NOT_FOUND` error listing them) or leave them out silently (207 with no errors).
BatchUpdateMissing = Literal["errors", "ignore"]


@dataclass(frozen=True, slots=True)
class HubSpotApi:
    """The backend behind the API, and how it answers batch updates of missing records."""

    backend: HubSpotBackend
    batch_update_missing: BatchUpdateMissing = "errors"


@dataclass(slots=True)
class Call:
    """One request as a handler sees it."""

    path: Mapping[str, str]
    query: QueryParams
    body: Any = None
    body_chars: int = 0
    url: str = ""  # scheme, host and path, without the query

    def link(self, **replace: str) -> str:
        """This request's URL with some query parameters replaced (for `paging.next.link`)."""
        pairs = [(k, v) for k, v in self.query.multi_items() if k not in replace]
        return f"{self.url}?{urlencode([*pairs, *replace.items()])}"


@dataclass(slots=True)
class Reply:
    status: int
    body: JsonObject | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[HubSpotApi, Call], Reply]


def object_type_of(value: str) -> ObjectType:
    object_type = OBJECT_TYPE_ALIASES.get(value)
    if object_type is None:
        raise HubSpotApiError(400, f"Unable to infer object type from: {value}", "VALIDATION_ERROR")
    return object_type


def list_param(query: QueryParams, name: str) -> list[str]:
    names: list[str] = []
    for value in query.getlist(name):
        for part in value.split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names


def bool_param(query: QueryParams, name: str, default: bool) -> bool:
    value = query.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise validation_error(f"{name}: expected true or false, got {value!r}")
    return lowered == "true"


def int_query(query: QueryParams, name: str, default: int, maximum: int) -> int:
    value = query.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise validation_error(f"{name} must be an integer between 1 and {maximum}, got {value}")
    return int(value)


def cursor_after(record_id: str) -> str:
    return base64.b64encode(f"{record_id}\n".encode()).decode()


def after_id(query: QueryParams) -> int | None:
    value = query.get("after")
    if value is None or value == "":
        return None
    try:
        return int(base64.b64decode(value.encode(), validate=True).decode().strip())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation_error(f"after: {value!r} is not a paging cursor this API gave") from None


def now_iso() -> str:
    now = datetime.now(UTC)
    return f"{now:%Y-%m-%dT%H:%M:%S}.{now.microsecond // 1000:03d}Z"


def batch_inputs(body: Any, *, maximum: int = MAX_BATCH_INPUTS) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        raise validation_error("Invalid input JSON: expected an object with an 'inputs' list")
    inputs: list[Any] = body["inputs"]
    if len(inputs) > maximum:
        raise validation_error(
            f"The maximum number of inputs supported in a batch is {maximum}. "
            f"Please resubmit with fewer inputs. Got {len(inputs)} inputs.",
            context={"maxInputs": [str(maximum)]},
        )
    return inputs


def input_id(item: Any, position: int) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise validation_error(f"inputs[{position}]: expected an object with an 'id'")
    return str(value)


def batch_reply(
    results: list[JsonObject],
    started: str,
    errors: list[JsonObject],
    *,
    multi_status: bool = False,
) -> Reply:
    """A batch answer: 207 with `numErrors`/`errors` when there are errors (or when
    `multi_status`), else 200."""
    body: JsonObject = {"status": "COMPLETE", "results": results}
    multi_status = multi_status or bool(errors)
    if multi_status:
        body["numErrors"] = len(errors)
        # StandardError requires `errors` and `links` (HubSpot's OpenAPI specs).
        body["errors"] = [{"errors": [], "links": {}, **error} for error in errors]
    body["startedAt"] = started
    body["completedAt"] = now_iso()
    return Reply(207 if multi_status else 200, body)


def requested_properties(body: Mapping[str, Any]) -> list[str] | None:
    names = body.get("properties")
    if names is None or names == []:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise validation_error("properties: expected a list of property names")
    return list(names)
