"""HubSpot's error JSON, and the exception the sandbox raises to answer with it.

Shape (hubspot.md §10): `{"status":"error","message":…,"correlationId":…,"category":…}` plus
optional `errors[]` (`message`, `code`, `context` {str: [str]}), `context` and `subCategory`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]
JSON_MEDIA_TYPE = "application/json;charset=utf-8"


def correlation_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class PropertyValueError:
    """One invalid property value of a write (HubSpot's `PropertyValueValidation`)."""

    name: str
    code: str
    message: str

    def as_validation(self) -> JsonObject:
        return {"isValid": False, "message": self.message, "error": self.code, "name": self.name}

    def as_error_detail(self) -> JsonObject:
        return {
            "message": self.message,
            "code": self.code,
            "context": {"propertyName": [self.name]},
        }


class HubSpotApiError(Exception):
    """Raised anywhere in the sandbox to answer with `status` and HubSpot's error JSON."""

    def __init__(
        self,
        status: int,
        message: str,
        category: str,
        *,
        errors: Sequence[JsonObject] | None = None,
        context: Mapping[str, Sequence[str]] | None = None,
        sub_category: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.errors = list(errors) if errors is not None else None
        self.context = dict(context) if context is not None else None
        self.sub_category = sub_category
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self, correlation: str) -> JsonObject:
        body: JsonObject = {"status": "error", "message": self.message}
        body["correlationId"] = correlation
        if self.category:
            body["category"] = self.category
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors is not None:
            body["errors"] = self.errors
        if self.context is not None:
            body["context"] = {key: list(values) for key, values in self.context.items()}
        body.update(self.extra)
        return body


def validation_error(
    message: str,
    *,
    errors: Sequence[JsonObject] | None = None,
    context: Mapping[str, Sequence[str]] | None = None,
) -> HubSpotApiError:
    return HubSpotApiError(400, message, "VALIDATION_ERROR", errors=errors, context=context)


def property_values_error(problems: Sequence[PropertyValueError]) -> HubSpotApiError:
    """400 `VALIDATION_ERROR` "Property values were not valid: [...]" naming every problem."""
    listed = json.dumps([problem.as_validation() for problem in problems], separators=(",", ":"))
    return validation_error(
        f"Property values were not valid: {listed}",
        errors=[problem.as_error_detail() for problem in problems],
    )


def not_found(message: str) -> HubSpotApiError:
    return HubSpotApiError(404, message, "OBJECT_NOT_FOUND")


def conflict(message: str) -> HubSpotApiError:
    return HubSpotApiError(409, message, "OBJECT_ALREADY_EXISTS")
