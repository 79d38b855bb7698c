"""What is particular to HubSpot contacts, a full object type of the sandbox (`contacts`,
`contact`, `0-1`) served by the same list, get, search, batch and property routes as companies
and deals:

- `email` is unique (case-insensitive) among live contacts: creating a contact, or changing one's
  `email`, to an address another live contact has → 409 `CONFLICT` "Contact already exists.
  Existing ID: …" (batch create and update refuse the whole batch); an archived contact's
  address is free again. `GET …/contacts/{email}?idProperty=email` reads by it.
- Derived, read-only values: `hs_email_domain` (the part after `@`, lower case) and
  `associatedcompanyid` (the primary company: a contact's first associated company).
- Inline `associations` on create: companies with type ids 279 (unlabeled) or 1 (primary), deals
  with 4; v4 type ids contact→company 1/279, company→contact 2/280, contact→deal 4,
  deal→contact 3 (`association_types`).
- Nothing is required on create (HubSpot creates contacts without an e-mail too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crm_sandbox.hubspot.errors import HubSpotApiError, validation_error
from crm_sandbox.hubspot.records import ObjectType, StoredRecord

#: Inline association type ids a contact create accepts, and the object type each links to.
CONTACT_INLINE_TYPES: dict[int, ObjectType] = {1: "companies", 279: "companies", 4: "deals"}


def email_key(email: str | None) -> str:
    return (email or "").strip().lower()


def email_domain(email: str) -> str:
    _, at, domain = email.strip().rpartition("@")
    return domain.lower() if at else ""


def derive_contact(record: StoredRecord) -> None:
    """`hs_email_domain` from `email` (`associatedcompanyid` follows the associations)."""
    domain = email_domain(record.properties.get("email", ""))
    if domain:
        record.properties["hs_email_domain"] = domain
    else:
        record.properties.pop("hs_email_domain", None)


def check_email_free(
    emails: Mapping[str, str], values: Mapping[str, str], own_id: str | None = None
) -> None:
    """409 if `values` give an e-mail address another live contact has."""
    key = email_key(values.get("email"))
    existing = emails.get(key) if key else None
    if existing is not None and existing != own_id:
        raise HubSpotApiError(409, f"Contact already exists. Existing ID: {existing}", "CONFLICT")


def check_batch_emails(emails: Mapping[str, str], inputs: Sequence[Mapping[str, str]]) -> None:
    """409 for the whole batch if any input's e-mail is taken or given twice in it."""
    seen: dict[str, int] = {}
    for position, values in enumerate(inputs):
        check_email_free(emails, values)
        key = email_key(values.get("email"))
        if key and key in seen:
            raise HubSpotApiError(
                409,
                f"Contact already exists: inputs[{seen[key]}] and inputs[{position}] both have "
                f"email {values.get('email')!r}",
                "CONFLICT",
            )
        if key:
            seen[key] = position


def index_email(emails: dict[str, str], record: StoredRecord, old_email: str | None) -> None:
    """Keeps the e-mail index right after a contact's `email` or archived state changed."""
    old_key, new_key = email_key(old_email), email_key(record.properties.get("email"))
    if old_key and emails.get(old_key) == record.id:
        del emails[old_key]
    if new_key and not record.archived:
        emails.setdefault(new_key, record.id)


def inline_targets(raw: Any, where: str) -> list[tuple[ObjectType, str]]:
    """The (object type, id) pairs of a contact create's inline `associations`."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation_error(f"{where}.associations: expected a list")
    targets: list[tuple[ObjectType, str]] = []
    for position, association in enumerate(raw):
        at = f"{where}.associations[{position}]"
        if not isinstance(association, dict):
            raise validation_error(f"{at}: expected {{'to': {{'id': ...}}, 'types': [...]}}")
        target = association.get("to")
        other = str(target.get("id", "")) if isinstance(target, dict) else ""
        types = association.get("types")
        if not isinstance(types, list) or not types:
            raise validation_error(f"{at}.types: at least one association type is required")
        kinds: set[ObjectType] = set()
        for spec in types:
            type_id = spec.get("associationTypeId") if isinstance(spec, dict) else None
            category = spec.get("associationCategory") if isinstance(spec, dict) else None
            kind = CONTACT_INLINE_TYPES.get(type_id) if isinstance(type_id, int) else None
            if category != "HUBSPOT_DEFINED" or kind is None:
                raise validation_error(
                    f"{at}.types: a contact associates with companies (HUBSPOT_DEFINED 279 or "
                    f"1) or deals (4), got {spec!r}"
                )
            kinds.add(kind)
        if len(kinds) > 1:
            raise validation_error(f"{at}.types: mixes company and deal association types")
        pair = (kinds.pop(), other)
        if pair not in targets:
            targets.append(pair)
    return targets
