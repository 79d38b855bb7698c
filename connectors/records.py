"""Neutral records that cross the boundary between a CRM connector and the service.

A connector maps its CRM's objects to these and back; the service never sees a CRM payload.
Every raw property pulled is kept in `properties`, so a rubric can score any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Literal, TypeVar

Source = Literal["hubspot", "salesforce"]
AccountType = Literal["company", "contact", "account", "lead"]
RawProperties = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where an incremental pull stands: the last-modified time of the last record handled,
    with its id as the tie-break among records modified in the same instant."""

    modified_at: datetime
    crm_id: str


@dataclass(frozen=True, slots=True)
class CrmAccount:
    """A HubSpot company or contact, Salesforce Account or Salesforce Lead."""

    source: Source
    object_type: AccountType
    crm_id: str
    modified_at: datetime
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    country: str | None = None
    state: str | None = None
    technologies: tuple[str, ...] = ()
    email: str | None = None
    title: str | None = None
    created_at: datetime | None = None
    archived: bool = False
    properties: RawProperties = field(default_factory=dict)
    company_id: str | None = None
    """A HubSpot contact's primary company, whose company-level facts it borrows."""


@dataclass(frozen=True, slots=True)
class CrmDeal:
    """A HubSpot deal or Salesforce Opportunity, with the ids of the accounts it belongs to."""

    source: Source
    crm_id: str
    modified_at: datetime
    name: str | None = None
    stage: str | None = None
    pipeline: str | None = None
    is_closed: bool = False
    is_won: bool = False
    amount: Decimal | None = None
    close_date: date | None = None
    created_at: datetime | None = None
    archived: bool = False
    account_ids: tuple[str, ...] = ()
    properties: RawProperties = field(default_factory=dict)
    contact_ids: tuple[str, ...] = ()
    """The HubSpot contacts the deal is associated with (validation counts them)."""


RecordT = TypeVar("RecordT", CrmAccount, CrmDeal)


@dataclass(frozen=True, slots=True)
class Page(Generic[RecordT]):
    """One page of a pull. `cursor` is where the next incremental pull starts once this page
    is stored (a full pull's last page carries the cursor for the whole pull; None when the
    pull has no such point). `resume`, on every page of a full pull but its last, is where the
    same full pull goes on after this page if it is cut short: an opaque token for the
    connector that wrote it (`pull_accounts(None, resume=…)`)."""

    records: tuple[RecordT, ...]
    cursor: Cursor | None
    resume: str | None = None


@dataclass(frozen=True, slots=True)
class PropertyUpdate:
    """Values to write on one CRM record: CRM property name → value as the CRM's API takes it."""

    object_type: AccountType
    crm_id: str
    values: Mapping[str, str]
    new_record: bool = False
    """The first write to a record created since the last complete full sync: a connector may
    ask the CRM to run its assignment rules for it (Salesforce leads), and for no other."""


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What happened to one PropertyUpdate; `error` names the property and value when the CRM
    refused it (never a secret)."""

    crm_id: str
    written: bool
    error: str | None = None
    retryable: bool = False
