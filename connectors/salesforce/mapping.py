"""Salesforce records → neutral records. Pure: no I/O, no clock, and never raises on bad data.

Input is one record of a query result as the REST API sends it (`attributes`, then the
selected fields as JSON values; datetimes `2024-05-01T12:00:00.000+0000`, dates
`2024-05-01`). A value that cannot be read leaves its canonical field None; every raw field
stays in `properties` as text (`true`/`false`, numbers as written, parent records flattened to
`Owner.Name`), so a rubric can score any of them.

* Account → `account`: Name, Website (domain), Industry, NumberOfEmployees, AnnualRevenue,
  BillingCountry/State; archived when in the recycle bin (`IsDeleted`).
* Lead → `lead`: Company is its name; the domain is its Website's, else its e-mail's unless
  that is a free-mail domain (a gmail address says nothing about the company); archived when
  deleted or converted (a converted lead is read-only and lives on as Account and Contact).
* Opportunity → deal: IsClosed/IsWon as Salesforce derives them from the stage (stage names
  are per org), its Account as the one account id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.normalise import MAX_EMAIL_LENGTH, company_email_domain, normalise_domain
from connectors.records import CrmAccount, CrmDeal
from connectors.values import (
    EPOCH,
    MAX_ID_LENGTH,
    as_text,
    clean_text,
    crm_id,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    storable,
)

MAX_NESTING = 3
MAX_LABEL_LENGTH = 255  # the store's deal stage column


def account_to_account(record: Mapping[str, Any]) -> CrmAccount:
    """A Salesforce Account as a CrmAccount (object type `account`)."""
    props = raw_properties(record)
    return CrmAccount(
        source="salesforce",
        object_type="account",
        crm_id=_id(record),
        modified_at=modified_at(record),
        name=clean_text(record.get("Name")),
        domain=_domain(record.get("Website")),
        industry=clean_text(record.get("Industry")),
        employees=parse_int(record.get("NumberOfEmployees")),
        annual_revenue=parse_decimal(record.get("AnnualRevenue")),
        country=clean_text(record.get("BillingCountry")),
        state=clean_text(record.get("BillingState")),
        created_at=parse_datetime(record.get("CreatedDate")),
        archived=parse_bool(record.get("IsDeleted")) is True,
        properties=props,
    )


def lead_to_account(record: Mapping[str, Any]) -> CrmAccount:
    """A Salesforce Lead as a CrmAccount (object type `lead`)."""
    props = raw_properties(record)
    email = clean_text(record.get("Email"), max_length=MAX_EMAIL_LENGTH)
    deleted = parse_bool(record.get("IsDeleted")) is True
    converted = parse_bool(record.get("IsConverted")) is True
    return CrmAccount(
        source="salesforce",
        object_type="lead",
        crm_id=_id(record),
        modified_at=modified_at(record),
        name=clean_text(record.get("Company")),
        domain=_domain(record.get("Website")) or company_email_domain(email),
        industry=clean_text(record.get("Industry")),
        employees=parse_int(record.get("NumberOfEmployees")),
        annual_revenue=parse_decimal(record.get("AnnualRevenue")),
        country=clean_text(record.get("Country")),
        state=clean_text(record.get("State")),
        email=email,
        title=clean_text(record.get("Title")),
        created_at=parse_datetime(record.get("CreatedDate")),
        archived=deleted or converted,
        properties=props,
    )


def opportunity_to_deal(record: Mapping[str, Any]) -> CrmDeal:
    """A Salesforce Opportunity as a CrmDeal."""
    is_won = parse_bool(record.get("IsWon")) is True
    account_id = clean_text(record.get("AccountId"), max_length=MAX_ID_LENGTH)
    return CrmDeal(
        source="salesforce",
        crm_id=_id(record),
        modified_at=modified_at(record),
        name=clean_text(record.get("Name")),
        stage=clean_text(record.get("StageName"), max_length=MAX_LABEL_LENGTH),
        is_closed=is_won or parse_bool(record.get("IsClosed")) is True,
        is_won=is_won,
        amount=parse_decimal(record.get("Amount")),
        close_date=parse_date(record.get("CloseDate")),
        created_at=parse_datetime(record.get("CreatedDate")),
        archived=parse_bool(record.get("IsDeleted")) is True,
        account_ids=(account_id,) if account_id else (),
        properties=raw_properties(record),
    )


def raw_properties(record: Mapping[str, Any]) -> dict[str, str | None]:
    """Every field as text (None for null), `attributes` left out; a parent record's fields
    as `Parent.Field`."""
    found: dict[str, str | None] = {}
    for key, value in record.items():
        if value is None or type(value) is str:  # the common case, kept cheap
            found[storable(str(key))] = None if value is None else storable(value)
        elif key != "attributes":
            if isinstance(value, Mapping):
                _flatten(value, f"{key}.", found, 1)
            else:
                found[storable(str(key))] = as_text(value)
    found.pop("attributes", None)
    return found


def modified_at(record: Mapping[str, Any]) -> datetime:
    """`SystemModstamp` (what incremental pulls filter and sort on; it also moves on system
    changes), else `LastModifiedDate`, else `CreatedDate`; EPOCH if none is readable."""
    return (
        parse_datetime(record.get("SystemModstamp"))
        or parse_datetime(record.get("LastModifiedDate"))
        or parse_datetime(record.get("CreatedDate"))
        or EPOCH
    )


def _flatten(
    record: Mapping[Any, Any], prefix: str, into: dict[str, str | None], depth: int
) -> None:
    for key, value in record.items():
        if key == "attributes":
            continue
        name = storable(f"{prefix}{key}")
        if isinstance(value, Mapping) and depth < MAX_NESTING:
            _flatten(value, f"{name}.", into, depth + 1)
        else:
            into[name] = as_text(value)


def _id(record: Mapping[str, Any]) -> str:
    value = record.get("Id")
    return crm_id(value) if isinstance(value, str) else ""


def _domain(value: object) -> str | None:
    text = clean_text(value)
    return normalise_domain(text) if text else None
