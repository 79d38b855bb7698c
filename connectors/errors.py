"""The connector error tree, in one place, and the one table that picks a class for a response.

```
ConnectorError                 anything a CRM call can fail with; never carries a token or a body
├── RetryableError             worth another attempt later (`retry_after`: seconds, when known)
│   ├── RateLimitedError       429 on a rolling window (HubSpot `TEN_SECONDLY_ROLLING`, search 5/s)
│   └── NetworkError           no usable response: refused, reset, timed out
├── QuotaExhaustedError        429 on the DAILY quota: retrying before the reset only burns calls
├── AuthError                  401 / 403: a bad token or missing scopes; never retried
│   └── MissingScopesError     403 MISSING_SCOPES: names the scopes to add to the private app
└── RejectedError              400 / 404 / 409 / 413 / 414 / 422…: the request itself is wrong;
                               carries `category`, `code`, `property_name`, `property_value`
```

`error_class(status, category=..., policy=...)` is the status table; `error_from_response` builds
an instance from a status, the response headers and a HubSpot error body. Messages are built from
the few fields HubSpot documents (`message`, `category`, `errors[].code/context`), cut to a sane
length, and passed through `redact` so a token echoed by a server can never leak into a log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

MAX_MESSAGE = 500
DAILY_POLICY = "DAILY"
LOCKED_MIN_WAIT = 2.0
"""HubSpot asks for at least 2 s after a 423 Locked (heavy writes on the record)."""

Redact = Callable[[str], str]


def _no_redaction(text: str) -> str:
    return text


class ConnectorError(Exception):
    """Base of every error a connector raises for a failed CRM call."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.category = category
        self.correlation_id = correlation_id


class RetryableError(ConnectorError):
    """Transient: 423, 429, 5xx, timeouts, dropped connections. `retry_after` is the wait the
    server asked for (seconds), or None to let the retry policy choose."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(RetryableError):
    """429 on a rolling window. `window_remaining`/`window_ms` mirror the
    `X-HubSpot-RateLimit-Remaining` / `-Interval-Milliseconds` headers when sent."""

    def __init__(
        self,
        message: str,
        *,
        policy: str | None = None,
        window_remaining: int | None = None,
        window_ms: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.policy = policy
        self.window_remaining = window_remaining
        self.window_ms = window_ms


class NetworkError(RetryableError):
    """No usable HTTP response: connection refused or reset, read or connect timeout
    (`timed_out`: the client gave up waiting, as opposed to a connection that failed)."""

    def __init__(self, message: str, *, timed_out: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timed_out = timed_out


class QuotaExhaustedError(ConnectorError):
    """429 with `policyName: DAILY`: the account's daily quota is spent until midnight (account
    time zone). Not retried: the caller should stop and come back after the reset."""


class AuthError(ConnectorError):
    """401 (token invalid, expired or revoked) or 403 (missing scopes). Never retried."""


class MissingScopesError(AuthError):
    """403 `MISSING_SCOPES`: the private app lacks a scope the call needs. `scopes` are those
    HubSpot names (`errors[].context.requiredGranularScopes`: any one of them grants the
    call); the message says to add them to the private app."""

    def __init__(self, message: str, *, scopes: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scopes = scopes


@dataclass(frozen=True, slots=True)
class PropertyProblem:
    """One property value HubSpot refused: `name` and `code` as HubSpot gives them, `value` when
    its message quotes it (`tier_9 was not one of the allowed options: […]`)."""

    name: str | None
    code: str | None
    message: str | None
    value: str | None = None


class RejectedError(ConnectorError):
    """The CRM refused the request as such (validation, unknown object, duplicate…).
    `problems` lists each property value HubSpot named (a batch may have several);
    `code`, `property_name` and `property_value` are those of the first."""

    def __init__(
        self,
        message: str,
        *,
        problems: tuple[PropertyProblem, ...] = (),
        code: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.problems = problems
        first = problems[0] if problems else None
        self.code = code or (first.code if first else None)
        self.property_name = first.name if first else None
        self.property_value = first.value if first else None


def error_class(
    status: int, *, category: str | None = None, policy: str | None = None
) -> type[ConnectorError]:
    """The status table: which error a response status (and HubSpot category/policy) means."""
    if status in (401, 403) or category in ("INVALID_AUTHENTICATION", "MISSING_SCOPES"):
        return AuthError
    if status == 429:
        return QuotaExhaustedError if policy == DAILY_POLICY else RateLimitedError
    if status in (408, 423, 477) or 500 <= status <= 599:
        return RetryableError
    if 400 <= status <= 499:
        return RejectedError
    return ConnectorError  # 0 (SSL failure inside the client), 1xx/3xx: nothing sensible to do


def error_from_response(
    status: int,
    headers: Mapping[str, str] | None,
    body: bytes | str | None,
    *,
    operation: str,
    now: datetime | None = None,
    redact: Redact = _no_redaction,
) -> ConnectorError:
    """The error for a failed response. `operation` names the call ("companies.batch_update") so
    a message says what failed without a URL; `now` is only needed to read an HTTP-date
    `Retry-After`."""
    payload = _json_object(body)
    category = _text(payload.get("category")) or _text(payload.get("errorType"))
    policy = _text(payload.get("policyName"))
    correlation_id = _text(payload.get("correlationId"))
    cls = error_class(status, category=category, policy=policy)
    problems = property_problems(payload)
    detail = _text(payload.get("message")) or _reason(status)
    label = f"HTTP {status} {category}" if category else f"HTTP {status}"
    message = redact(_shorten(f"{operation}: {label}: {detail}"))
    common: dict[str, Any] = {
        "status": status,
        "category": category,
        "correlation_id": correlation_id,
    }
    lower = {key.lower(): value for key, value in (headers or {}).items()}
    retry_after = parse_retry_after(lower.get("retry-after"), now=now)
    if cls is RateLimitedError:
        return RateLimitedError(
            message,
            retry_after=retry_after,
            policy=policy,
            window_remaining=int_header(lower.get("x-hubspot-ratelimit-remaining")),
            window_ms=int_header(lower.get("x-hubspot-ratelimit-interval-milliseconds")),
            **common,
        )
    if cls is RetryableError:
        if status == 423:
            retry_after = max(retry_after or 0.0, LOCKED_MIN_WAIT)
        return RetryableError(message, retry_after=retry_after, **common)
    if cls is RejectedError:
        return RejectedError(message, problems=problems, **common)
    if category == "MISSING_SCOPES":
        scopes = required_scopes(payload)
        return MissingScopesError(
            redact(_shorten(missing_scopes_message(operation, scopes))), scopes=scopes, **common
        )
    return cls(message, **common)


def missing_scopes_message(operation: str, scopes: tuple[str, ...]) -> str:
    """One line naming what to add to the private app (never the token)."""
    if not scopes:
        needed = "a scope it has not been granted"
    elif len(scopes) == 1:
        needed = f"the scope {scopes[0]}"
    else:
        needed = f"one of the scopes {', '.join(scopes)}"
    return (
        f"{operation}: HubSpot refused the call (403 MISSING_SCOPES): the private app needs "
        f"{needed}; add it to the app's scopes (HubSpot: Settings > Integrations > Private "
        "Apps > the app > Scopes), then run again"
    )


def required_scopes(payload: Mapping[str, Any]) -> tuple[str, ...]:
    """The scope names a `MISSING_SCOPES` body lists, in `context` or in `errors[].context`
    (`requiredGranularScopes`, older `requiredScopes`), without duplicates."""
    contexts = [payload.get("context")]
    details = payload.get("errors")
    if isinstance(details, list):
        contexts += [d.get("context") for d in details if isinstance(d, Mapping)]
    found: list[str] = []
    for context in contexts:
        if not isinstance(context, Mapping):
            continue
        for key in ("requiredGranularScopes", "requiredScopes"):
            names = context.get(key)
            if isinstance(names, list):
                found += [name for name in names if isinstance(name, str) and name]
    return tuple(dict.fromkeys(found))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds, or an HTTP-date measured from `now`.
    None when absent or unreadable; never negative."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(seconds, 0.0)


def property_problems(payload: Mapping[str, Any]) -> tuple[PropertyProblem, ...]:
    """Every refused property value an error body names: its `errors[]`, else the JSON list
    HubSpot embeds in the message ("Property values were not valid: [{…}]"), else the body."""
    details = payload.get("errors")
    found = (
        [problem_of(d) for d in details if isinstance(d, Mapping)]
        if isinstance(details, list)
        else []
    )
    if not found:
        found = [problem_of(d) for d in _embedded_list(_text(payload.get("message")))]
    found = [p for p in found if p.name or p.code]
    if not found:
        single = problem_of(payload)
        if single.name or (single.code and single.code != _text(payload.get("category"))):
            found = [single]
    return tuple(found)


def problem_of(detail: Mapping[str, Any]) -> PropertyProblem:
    """One HubSpot error detail (StandardError, `errors[]` item or embedded validation)."""
    code = _text(detail.get("code")) or _text(detail.get("error"))
    message = _text(detail.get("message"))
    context = detail.get("context")
    name = None
    if isinstance(context, Mapping):
        names = context.get("propertyName") or context.get("propertyNames")
        if isinstance(names, list) and names:
            name = _text(names[0])
    name = name or _text(detail.get("name")) or _text(detail.get("propertyName"))
    name = name or _name_in_message(message)
    return PropertyProblem(name, code, message, _value_in_message(message))


_QUOTED_PROPERTY = re.compile(r'[Pp]roperty \\?"([A-Za-z][A-Za-z0-9_]*)\\?"')
_REFUSED_VALUE = re.compile(
    r'^\s*"?(?P<value>.*?)"? (?:was|is) not (?:one of the allowed options|a valid\b)', re.DOTALL
)


def _name_in_message(message: str | None) -> str | None:
    found = _QUOTED_PROPERTY.search(message) if message else None
    return found.group(1) if found else None


def _value_in_message(message: str | None) -> str | None:
    found = _REFUSED_VALUE.match(message) if message else None
    return found.group("value") if found else None


def _embedded_list(message: str | None) -> list[Mapping[str, Any]]:
    if not message or "[" not in message:
        return []
    try:
        parsed = json.loads(message[message.index("[") :])
    except ValueError:
        return []
    return (
        [item for item in parsed if isinstance(item, Mapping)] if isinstance(parsed, list) else []
    )


def _json_object(body: bytes | str | None) -> Mapping[str, Any]:
    if body is None:
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def int_header(value: str | None) -> int | None:
    """A header's integer value; None when absent or not an integer."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unexpected response"
