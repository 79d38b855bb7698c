"""SOQL built safely: names are checked, values are quoted, never pasted.

* Field and object names come only from our constants or the org's describe, and must match
  `IDENTIFIER` (letters, digits, underscores; `Ns__Name__c` custom names included); anything
  else raises `ValueError` before a query is built.
* Strings go through `quote`, which escapes what SOQL's string literal needs (backslash, both
  quotes, `\\n \\r \\t \\b \\f`); the result is one literal equal to the input, whatever the
  input. No LIKE is built here, so `%` and `_` need no escaping.
* Datetimes are written `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC (`datetime_literal`).
* Record ids are kept only when they are well-formed 15- or 18-character Salesforce ids (an
  18-character id must carry its right checksum): `record_ids` drops anything else before it
  can reach a query, which is how an id from a webhook payload like `001' OR Name != '` is
  neutralised. Ids come out in their 18-character form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from connectors.text import format_datetime

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_ESCAPED = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")


def identifier(name: str) -> str:
    """`name` if it is a plain Salesforce API name (field or object); ValueError otherwise."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name) or "___" in name:
        raise ValueError(f"not a Salesforce field or object name: {name!r}")
    return name


def quote(value: str) -> str:
    """`value` as one SOQL string literal."""
    return "'" + _ESCAPED.sub(lambda match: _ESCAPES[match.group()], value) + "'"


def datetime_literal(moment: datetime) -> str:
    """An aware datetime as a SOQL datetime literal in UTC, to the millisecond."""
    return format_datetime(moment)


def checksum_suffix(id15: str) -> str:
    """The 3 characters that make a 15-character (case-sensitive) id an 18-character one."""
    suffix = ""
    for group in range(3):
        bits = 0
        for position, char in enumerate(id15[group * 5 : group * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _CHECKSUM_CHARS[bits]
    return suffix


def record_id(value: object) -> str | None:
    """The 18-character form of a well-formed 15- or 18-character id; None for anything else
    (wrong length or characters, a bad checksum, not a string)."""
    if not isinstance(value, str) or not _RECORD_ID.fullmatch(value) or not value.isascii():
        return None
    suffix = checksum_suffix(value[:15])
    if len(value) == 18 and value[15:].upper() != suffix:
        return None
    return value[:15] + suffix


def record_ids(values: Iterable[object], *, prefix: str | None = None) -> tuple[str, ...]:
    """The well-formed ids among `values` (18-character, deduplicated, in order), only those
    with this key prefix (`001` Account, `00Q` Lead) when given."""
    kept: dict[str, None] = {}
    for value in values:
        found = record_id(value)
        if found is not None and (prefix is None or found.startswith(prefix)):
            kept[found] = None
    return tuple(kept)


def in_list(ids: Sequence[str]) -> str:
    """`('id1', 'id2')` for `Id IN …`; every id is checked again, so nothing else gets in."""
    checked = [record_id(value) for value in ids]
    if not checked or any(value is None for value in checked):
        raise ValueError("an IN list takes one or more well-formed Salesforce ids")
    return "(" + ", ".join(quote(value) for value in checked if value is not None) + ")"


def select(
    fields: Sequence[str],
    object_name: str,
    *,
    where: str | None = None,
    order_by: Sequence[str] = (),
    descending: bool = False,
    limit: int | None = None,
) -> str:
    """`SELECT f1, f2 FROM Obj [WHERE …] [ORDER BY a, b [DESC]] [LIMIT n]`. `where` must itself
    be built from this module's pieces; names are checked here."""
    if not fields:
        raise ValueError("a SOQL query selects at least one field")
    names = ", ".join(identifier(f) for f in fields)
    text = f"SELECT {names} FROM {identifier(object_name)}"  # noqa: S608 - names checked
    if where:
        text += f" WHERE {where}"
    if order_by:
        text += f" ORDER BY {', '.join(identifier(f) for f in order_by)}"
        text += " DESC" if descending else ""
    if limit is not None:
        text += f" LIMIT {int(limit)}"
    return text
