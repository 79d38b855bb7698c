"""Salesforce record ids, as the sandbox org makes and reads them.

An id is 15 case-sensitive characters (a 3-character key prefix naming the object, then the
record's number) or the same 15 followed by a 3-character suffix that encodes where the upper-case
letters are, so that the 18-character form survives case-insensitive tools (Salesforce's
published algorithm: per 5-character chunk, bit `i` set when character `i` is `A`-`Z`, the
5 bits picking one of `A`-`Z0`-`5`).
"""

from __future__ import annotations

#: Key prefixes of the objects the sandbox makes ids for.
PREFIXES: dict[str, str] = {
    "Account": "001",
    "Lead": "00Q",
    "Opportunity": "006",
    "User": "005",
    "Group": "00G",
    "AssignmentRule": "01Q",
    "CustomField": "00N",
    "Organization": "00D",
    "PermissionSet": "0PS",
    "FieldPermissions": "01k",
    "PermissionSetAssignment": "0Pa",
}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def checksum_suffix(id15: str) -> str:
    """The 3 characters that make a 15-character id an 18-character one."""
    suffix = ""
    for start in (0, 5, 10):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix += _SUFFIX_CHARS[bits]
    return suffix


def make_id(prefix: str, number: int) -> str:
    """An 18-character id: key prefix, `5e`, the number in base 62 padded to 10, the suffix."""
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
        if number == 0:
            break
    id15 = prefix + "5e" + digits.rjust(10, "0")
    return id15 + checksum_suffix(id15)


def normalize_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None if it is not one."""
    if len(value) == 15 and value.isalnum():
        return value + checksum_suffix(value)
    if len(value) == 18 and value.isalnum() and checksum_suffix(value[:15]) == value[15:].upper():
        return value[:15] + checksum_suffix(value[:15])
    return None
