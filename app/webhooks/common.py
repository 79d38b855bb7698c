"""What the three parsers share: the parsed `Delivery`, JSON loading, and checks that turn a
value we could not store (or would store wrongly) into a 400 naming its key path.

The inbox columns bound what a delivery may carry: ids fit `webhook_events` (event id ≤ 128,
record id ≤ 64 characters), and a JSON payload must be storable as PostgreSQL `jsonb`, which
refuses NUL characters, lone surrogates, NaN and infinities. Refusing those here with a 400 is
what keeps a hostile or broken delivery from becoming a database error, a 503 and endless CRM
retries.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from app.inbox.events import IncomingEvent
from app.webhooks.errors import malformed

MAX_EVENTS = 100  # per request: HubSpot's batch size, Salesforce's Outbound Message maximum
EVENT_ID_MAX_CHARS = 128  # webhook_events.event_id
OBJECT_ID_MAX_CHARS = 64  # webhook_events.object_id
MAX_JSON_DEPTH = 32  # a CRM event is a flat object; anything deeper is junk
_SHOWN_CHARS = 40
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A verified request's events, in body order, and how many were skipped as not ours."""

    events: tuple[IncomingEvent, ...]
    ignored: int = 0


def describe(value: Any) -> str:
    """`value` as a message shows it: `'x'`, `12`, `null`, `an object`…; long text is cut."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        shown = repr(value)
        return shown if len(shown) <= _SHOWN_CHARS else f"{shown[:_SHOWN_CHARS]}…"
    if isinstance(value, str):
        return repr(value) if len(value) <= _SHOWN_CHARS else f"{value[:_SHOWN_CHARS]!r}…"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def key(path: str, name: str) -> str:
    """`path.name`, or `path["name"]` (JSON-escaped, cut) for a name that is not identifier-like,
    so that a hostile key cannot put control characters or markup in a message or a log line."""
    if _PLAIN_KEY.fullmatch(name):
        return f"{path}.{name}" if path else name
    shown = name if len(name) <= _SHOWN_CHARS else f"{name[:_SHOWN_CHARS]}…"
    return f"{path}[{json.dumps(shown)}]"


def fail(path: str, problem: str) -> NoReturn:
    raise malformed(f"{path}: {problem}" if path else problem)


def load_json(body: bytes) -> Any:
    """`body` parsed as JSON, or a 400 naming the problem (with its line and column).

    What will be stored must still pass `check_storable`."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise malformed(f"body: not UTF-8 text (byte {error.start})") from None
    if not text.strip():
        raise malformed("body: empty, expected JSON")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise malformed(
            f"body: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise malformed(f"body: nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as error:  # an integer with thousands of digits, NaN/Infinity
        raise malformed(f"body: not valid JSON: {str(error)[:120]}") from None
    return document


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def check_storable(value: Any, path: str, depth: int = 0) -> None:
    """Refuse what PostgreSQL `jsonb` cannot hold in a payload, naming where it is."""
    if depth > MAX_JSON_DEPTH:
        fail(path, f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            fail(path, "contains a NUL character or an unpaired surrogate")
    elif isinstance(value, float):
        if not math.isfinite(value):
            fail(path, f"expected a finite number, got {describe(value)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, dict):
        for name, item in value.items():
            if _UNSTORABLE.search(name):
                fail(
                    path, f"key {describe(name)} contains a NUL character or an unpaired surrogate"
                )
            check_storable(item, key(path, name), depth + 1)


def check_count(count: int, path: str) -> None:
    if count > MAX_EVENTS:
        fail(path, f"{count} events, at most {MAX_EVENTS} per request")


def require(mapping: dict[str, Any], name: str, path: str) -> Any:
    if name not in mapping:
        fail(key(path, name), "required but missing")
    return mapping[name]


def require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(path, f"expected an object, got {describe(value)}")
    return value


def require_int(value: Any, path: str) -> int:
    """A JSON integer (`true` is not one, nor is `1.5` or `"1"`). `7.0` is one, as in JSON
    Schema (which the OpenAPI schema follows): it is read as 7."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"expected a number, got {describe(value)}")
    return value


def require_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        fail(path, f"expected a string, got {describe(value)}")
    return value


def require_id(value: str, path: str, max_chars: int) -> str:
    """An identifier fit for an inbox column: 1..`max_chars` characters, no control characters,
    no surrounding spaces."""
    if not value or value != value.strip():
        fail(path, f"expected an id, got {describe(value)}")
    if len(value) > max_chars:
        fail(path, f"longer than {max_chars} characters")
    if _CONTROL.search(value):
        fail(path, f"contains a control character: {describe(value)}")
    return value
