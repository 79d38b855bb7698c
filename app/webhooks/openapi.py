"""What the three webhook endpoints' OpenAPI documentation shares: the shape of a route's
documentation (`EndpointDoc`), the JSON answers (`Received`, `Refused`) and schema fragments
that state the checks of `app.webhooks.common` as JSON Schema, so the schema refuses what the
parsers refuse (tests/app/webhooks/test_contract.py holds them to it)."""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import BaseModel, Field

from app.webhooks.body import MAX_BODY_BYTES

SALESFORCE_ID_PATTERN = "^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$"
_EDGE = "[^\\x00-\\x20\\x7f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
ID_PATTERN = f"^{_EDGE}([^\\x00-\\x1f\\x7f]*{_EDGE})?$"
"""An id as the inbox stores it (`require_id`): no control characters, and no surrounding
whitespace (what Python's `str.strip` removes; spelt out, as `\\s` differs between regex
engines)."""
TEXT: dict[str, Any] = {"type": "string", "pattern": "^[^\\u0000]*$"}
"""Text as the inbox can store it (`check_storable`: PostgreSQL refuses NUL characters)."""


class EndpointDoc(TypedDict):
    """The documentation part of a webhook route's `router.post(...)` arguments."""

    summary: str
    description: str
    responses: dict[int | str, dict[str, Any]]
    openapi_extra: dict[str, Any]


class Received(BaseModel):
    """What a delivery became: `received + duplicates + ignored` is the number of events sent."""

    received: int = Field(description="Events newly stored in the inbox.")
    duplicates: int = Field(
        description="Events already in the inbox (a redelivery) or repeated in this request."
    )
    ignored: int = Field(
        description="Events of a type icp-sync does not act on, or echoes of its own score "
        "writes (not stored)."
    )


class Refused(BaseModel):
    """Why the request was refused; never contains a secret."""

    detail: str = Field(description="What is wrong, naming the header or key path and value.")
    reason: str = Field(
        description="signature, stale, org, not_configured, malformed, too_large or unavailable."
    )


def json_responses(bad_request: str, unauthorized: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a JSON webhook endpoint."""
    return {
        200: {"description": "Stored in the inbox (or already there)."},
        400: {"model": Refused, "description": bad_request},
        401: {"model": Refused, "description": unauthorized},
        413: {"model": Refused, "description": f"Body larger than {MAX_BODY_BYTES} bytes."},
        503: {
            "model": Refused,
            "description": "The inbox database is unavailable; retry after `Retry-After`.",
        },
    }


def request_body(media_type: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    """The `openapi_extra` of an endpoint that reads its body itself (FastAPI cannot see it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": schema, "example": example}},
        }
    }
