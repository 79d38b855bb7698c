"""Why a webhook request is refused: an HTTP status, a metric reason and a message for the caller.

Messages name what is wrong (a header, a key path and the offending value) and never contain a
secret: they are sent back to the caller and logged.
"""

from __future__ import annotations

from typing import Literal

Reason = Literal["signature", "stale", "org", "not_configured", "malformed", "too_large"]

UNAVAILABLE = "the inbox is unavailable, retry later"
"""The message of a 503: the events could not be stored (reason `unavailable`; the CRM retries)."""


class WebhookError(Exception):
    """A request we refuse; `status` is 400, 401 or 413, `reason` labels the rejection metric."""

    def __init__(self, status: int, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def malformed(message: str) -> WebhookError:
    """400: the body (or a header it depends on) cannot be read as the documented format."""
    return WebhookError(400, "malformed", message)


def unauthorized(reason: Reason, message: str) -> WebhookError:
    """401: not proven to come from the CRM (signature, stale timestamp, organisation)."""
    return WebhookError(401, reason, message)


def not_configured(what: str, setting: str) -> WebhookError:
    """401: the secret or id to check requests against is not set, so nothing is accepted."""
    return WebhookError(
        401, "not_configured", f"{what} is not configured ({setting}): every request is refused"
    )


def too_large(limit: int) -> WebhookError:
    """413: the body is larger than `limit` bytes."""
    return WebhookError(413, "too_large", f"body larger than {limit} bytes")
