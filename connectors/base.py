"""The one protocol through which the service drives any CRM (HubSpot, Salesforce)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from connectors.records import (
    AccountType,
    CrmAccount,
    CrmDeal,
    Cursor,
    Page,
    PropertyUpdate,
    Source,
    WriteOutcome,
)


@dataclass(frozen=True, slots=True)
class AccountScore:
    """A score as the service hands it to a connector to render as CRM property values."""

    score: int
    tier: str
    disqualified: bool
    flags: tuple[str, ...]
    reasons: tuple[str, ...]
    rubric_version: str
    scored_at: datetime


@dataclass(slots=True)
class ApiStats:
    """Counters a connector keeps for the sync summary and the metrics."""

    calls: int = 0
    rate_limited: int = 0
    retries: int = 0
    retry_causes: Counter[str] = field(default_factory=Counter)
    """Retries by what failed: `HTTP 503`, `HTTP 429`, `timeout`, `connection lost`."""
    reauthentications: int = 0
    """Expired sessions replaced by a new token (Salesforce)."""


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One definition `setup` created or updated (or found already right)."""

    kind: str
    name: str
    action: str  # "created" | "updated" | "unchanged"


class Closing:
    """`with connector:` closes its HTTP connections on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class CrmConnector(Protocol):
    source: Source
    stats: ApiStats
    account_types: tuple[AccountType, ...]
    """The account-like objects this CRM has, each pulled as its own stream with its own
    cursor, in this order (HubSpot: companies, then contacts; Salesforce: accounts, then
    leads), so a prospect can fall back on the company already stored for it."""
    written_properties: frozenset[str]
    """The properties the writeback owns."""

    def is_own_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        """Whether a change notification is our own write coming back (an echo, dropped
        without a fetch), told apart from a person's or another tool's edit by what the CRM
        says about who made the change."""
        ...

    def is_unscored_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        """Whether a change notification names a property no score reads (a workflow setting
        the owner, a note's timestamp): dropped without a fetch. False when the CRM's
        notification does not say which property changed."""
        ...

    def ready_in(self, calls: int) -> float:
        """Seconds until `calls` API calls could go without waiting for the CRM's rate limit
        (0: now). The inbox worker holds a CRM's events back that long, so they gather into
        fewer, larger batches instead of queueing call by call inside small ones."""
        ...

    def pull_accounts(
        self,
        since: Cursor | None,
        object_type: AccountType | None = None,
        *,
        resume: str | None = None,
    ) -> Iterator[Page[CrmAccount]]:
        """Records of `object_type` (default: the first of `account_types`) modified at or
        after `since` (minus a small overlap), oldest first, archived, deleted or converted
        ones included with `archived=True`. `since=None` is a full pull that does not rely on
        search, so no search-result cap can hide a record. `resume` (with `since=None`): a
        page's `resume` token from a full pull that was cut short; the pull goes on after that
        page, and its last page's cursor covers the whole pull, every run of it."""
        ...

    def pull_deals(
        self, since: Cursor | None, *, resume: str | None = None
    ) -> Iterator[Page[CrmDeal]]:
        """Deals (with their account ids), with the same cursor and resume semantics as
        accounts."""
        ...

    def fetch_accounts(
        self, crm_ids: Sequence[str], object_type: AccountType | None = None
    ) -> list[CrmAccount]:
        """The current state of these records of `object_type` (default: the first of
        `account_types`; Salesforce tells its types apart by id and takes any); ids the CRM
        does not know, or that are not well-formed ids, are left out."""
        ...

    def fetch_deals(self, crm_ids: Sequence[str]) -> list[CrmDeal]:
        """The current state of these deals with their account ids; unknown ids left out."""
        ...

    def render_score(self, score: AccountScore) -> Mapping[str, str]:
        """The CRM property values that carry this score (names as the CRM knows them)."""
        ...

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        """Writes in batches of the CRM's maximum; one outcome per update, in order."""
        ...

    def ensure_schema(self) -> list[SchemaChange]:
        """Creates the property group and properties the writeback needs; idempotent."""
        ...

    def close(self) -> None:
        """Releases the HTTP connections."""
        ...
