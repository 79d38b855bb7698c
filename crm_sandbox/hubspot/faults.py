"""HubSpot's answers to injected faults (`crm_sandbox.core.faults`): its error JSON, and on a
429 the `TEN_SECONDLY_ROLLING` body with the burst headers as they stand and `Retry-After`
(the fault's, else 1 s when the limiter sends it; none for `rate_limit_bare`)."""

from __future__ import annotations

import json

from crm_sandbox.core.faults import ErrorAnswer, ErrorRenderer, Fault
from crm_sandbox.hubspot.errors import JSON_MEDIA_TYPE, HubSpotApiError, correlation_id
from crm_sandbox.hubspot.limits import RateLimiter, rate_limit_error

#: The statuses `fail_next` can answer with (400: a refusal of the request itself, e.g. to
#: test that a client does not retry it).
FAULT_STATUSES = (400, 423, 429, 500, 502, 503, 504)
_BURST_MESSAGE = "You have reached your ten_secondly_rolling limit."
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Invalid input JSON on line 1, column 1", "VALIDATION_ERROR"),
    423: ("The resource is locked; retry after at least 2 seconds.", "LOCKED"),
    500: ("internal error", "INTERNAL_ERROR"),
    502: ("Bad Gateway", "BAD_GATEWAY"),
    503: ("Service Unavailable", "SERVICE_UNAVAILABLE"),
    504: ("Gateway Timeout", "GATEWAY_TIMEOUT"),
}


def fault_renderer(limiter: RateLimiter, token: str) -> ErrorRenderer:
    """Renders injected errors for the portal whose private-app token is `token`."""

    def render(fault: Fault) -> ErrorAnswer:
        error = _error(fault, limiter, token)
        correlation = correlation_id()
        body = json.dumps(error.body(correlation), separators=(",", ":"), ensure_ascii=False)
        headers = {
            "Content-Type": JSON_MEDIA_TYPE,
            "X-HubSpot-Correlation-Id": correlation,
            **error.headers,
        }
        return ErrorAnswer(error.status, headers, body.encode())

    return render


def _error(fault: Fault, limiter: RateLimiter, token: str) -> HubSpotApiError:
    if fault.kind == "rate_limit_bare":
        return rate_limit_error(_BURST_MESSAGE, "TEN_SECONDLY_ROLLING", {})
    if fault.status == 429:
        headers = limiter.burst_headers(token)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        elif limiter.retry_after:
            headers["Retry-After"] = "1"
        return rate_limit_error(_BURST_MESSAGE, "TEN_SECONDLY_ROLLING", headers)
    status = fault.status or 500
    message, category = _ERRORS[status]
    retry = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    return HubSpotApiError(status, message, category, headers=retry)
