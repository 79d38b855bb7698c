"""Salesforce's errors as the sandbox org answers them: a JSON list of
`{"message": …, "errorCode": …[, "fields": […]]}` with the error's HTTP status, injected
faults (`crm_sandbox.core.faults`) included."""

from __future__ import annotations

import json
from typing import Any

from crm_sandbox.core.faults import ErrorAnswer, Fault

#: The server errors the sandbox can inject: status → (errorCode, message).
SERVER_ERRORS: dict[int, tuple[str, str]] = {
    500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if "
          "you contact support: 1234567890-12345 (-1234567890)"),
    502: ("SERVER_UNAVAILABLE", "Server unavailable"),
    503: ("SERVER_UNAVAILABLE", "Server unavailable"),
    504: ("SERVER_UNAVAILABLE", "Server unavailable"),
}  # fmt: skip


class SalesforceError(Exception):
    """A Salesforce error: `code` is the errorCode/statusCode, `status` the HTTP status."""

    def __init__(
        self, code: str, message: str, *, status: int = 400, fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields


def not_found() -> SalesforceError:
    return SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)


def error_list(error: SalesforceError) -> list[dict[str, Any]]:
    """The body Salesforce answers an error with."""
    body: dict[str, Any] = {"message": error.message, "errorCode": error.code}
    if error.fields:
        body["fields"] = list(error.fields)
    return [body]


def render_fault(fault: Fault) -> ErrorAnswer:
    """Salesforce's answer to an injected error, with `Retry-After` when the fault has one."""
    status = fault.status or 500
    if status in SERVER_ERRORS:
        code, message = SERVER_ERRORS[status]
    else:
        code, message = "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    body = json.dumps(error_list(SalesforceError(code, message, status=status))).encode()
    return ErrorAnswer(status, headers, body)
