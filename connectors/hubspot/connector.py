"""`HubSpotConnector`: the `CrmConnector` protocol for HubSpot companies, contacts and deals.

Companies and contacts are both scored: a contact is a person at its primary company, scored
as a prospect (person-level criteria read the contact, company-level ones its company).
HubSpot ids are unique per object type only, so every read and write of an account-like
record names its type.

Pull semantics (full vs incremental, overlap, archived records, cursors) are documented in
`connectors.hubspot.pull`; writeback batching and per-record isolation in
`connectors.hubspot.write`; the property definitions in `connectors.hubspot.schema`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta

from connectors.base import ApiStats, Closing, SchemaChange
from connectors.hubspot import echo, schema
from connectors.hubspot.client import DEFAULT_TIMEOUT, HubSpotClient, Json, ObjectType, Timeout
from connectors.hubspot.mapping import (
    COMPANY_SOURCES,
    CONTACT_LAST_MODIFIED,
    CONTACT_SOURCES,
    company_to_account,
    contact_to_account,
    deal_to_deal,
)
from connectors.hubspot.pull import SEARCH_RESULT_CAP, Puller, Stream, search_body_size
from connectors.hubspot.render import render_score
from connectors.hubspot.write import BatchWriter
from connectors.records import (
    AccountType,
    CrmAccount,
    CrmDeal,
    Cursor,
    Page,
    PropertyUpdate,
    RecordT,
    Source,
    WriteOutcome,
)
from connectors.retry import Clock, Retrier, RetryPolicy, Sleep

SCORED_SOURCES = {
    "company.propertyChange": COMPANY_SOURCES,
    "contact.propertyChange": CONTACT_SOURCES,
}
"""Per change notification whose property names can be judged, what the mapping reads."""
MAX_PAGE_SIZE = 100
MAX_SEARCH_BODY = 3_000
DEFAULT_OVERLAP = timedelta(minutes=5)
DEFAULT_TIERS = ("tier_1", "tier_2", "tier_3")

COMPANY_PROPERTIES = (
    "name",
    "domain",
    "website",
    "industry",
    "numberofemployees",
    "annualrevenue",
    "country",
    "state",
    "city",
    "web_technologies",
    "lifecyclestage",
    "type",
    "founded_year",
    "hubspot_owner_id",
    "hs_num_open_deals",
    "num_associated_deals",
    "total_revenue",
    "recent_deal_amount",
    "recent_deal_close_date",
    "notes_last_updated",
    "hs_ideal_customer_profile",
    "hs_is_target_account",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
    # What HubSpot holds, so the writeback can skip no-ops and check a write a killed run left
    # in doubt (`app.sync.writeback`).
    *schema.WRITEBACK_PROPERTIES,
)
CONTACT_PROPERTIES = (
    "email",
    "firstname",
    "lastname",
    "jobtitle",
    "hs_seniority",
    "company",
    "website",
    "industry",
    "country",
    "state",
    "city",
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    "notes_last_updated",
    "notes_last_contacted",
    "num_contacted_notes",
    "associatedcompanyid",
    "createdate",
    CONTACT_LAST_MODIFIED,
    "hs_object_id",
    *schema.WRITEBACK_PROPERTIES,
)
DEAL_PROPERTIES = (
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "dealtype",
    "hs_is_closed",
    "hs_is_closed_won",
    "hs_deal_stage_probability",
    "hubspot_owner_id",
    "createdate",
    "hs_lastmodifieddate",
    "hs_object_id",
)


class HubSpotConnector(Closing):
    """HubSpot companies (as `company` accounts) and deals, through `hubspot-api-client`.

    `tiers` and `flags` are the rubric's tier names and disqualifier ids (the options of
    `icp_tier` and `icp_flags`). `extra_properties` adds company properties to pull, e.g. the
    custom ones a rubric maps. `overlap` re-reads that much before each cursor (search indexing
    lag). `retry` bounds retries per call; `timeout` is (connect, read) seconds per request.
    """

    source: Source = "hubspot"
    written_properties: frozenset[str] = frozenset(schema.WRITEBACK_PROPERTIES)

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        tiers: Sequence[str] = DEFAULT_TIERS,
        flags: Sequence[str] = (),
        page_size: int = MAX_PAGE_SIZE,
        overlap: timedelta = DEFAULT_OVERLAP,
        retry: RetryPolicy | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        extra_properties: Sequence[str] = (),
        sleep: Sleep = time.sleep,
        search_cap: int = SEARCH_RESULT_CAP,
        clock: Clock = time.monotonic,
        contacts: bool = True,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1-{MAX_PAGE_SIZE}, got {page_size}")
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        company_properties = tuple(dict.fromkeys([*COMPANY_PROPERTIES, *extra_properties]))
        # HubSpot leaves out a property a record type does not have, so a contact may be asked
        # for the rubric's extra (company) properties too: those contacts have, it reads.
        contact_properties = tuple(dict.fromkeys([*CONTACT_PROPERTIES, *extra_properties]))
        for properties in (company_properties, contact_properties, DEAL_PROPERTIES):
            size = search_body_size(properties, page_size)
            if size > MAX_SEARCH_BODY:
                raise ValueError(
                    f"{len(properties)} properties make a {size}-character search body; "
                    f"HubSpot refuses more than {MAX_SEARCH_BODY}: pull fewer properties"
                )
        self.account_types: tuple[AccountType, ...] = (
            ("company", "contact") if contacts else ("company",)
        )
        self.stats = ApiStats()
        self._client = HubSpotClient(
            base_url,
            token,
            retrier=Retrier(
                policy=retry or RetryPolicy(), stats=self.stats, sleep=sleep, clock=clock
            ),
            timeout=timeout,
        )
        self._specs = schema.writeback_properties(tiers, flags)
        self._writer = BatchWriter(self._client)
        self._read = frozenset(extra_properties)
        self._properties: dict[AccountType, tuple[str, ...]] = {
            "company": company_properties,
            "contact": contact_properties,
        }
        self._companies: Puller[CrmAccount] = Puller(
            self._client,
            Stream(
                "companies",
                company_properties,
                (),
                from_list=_companies,
                from_search=_companies,
            ),
            page_size=page_size,
            overlap=overlap,
            search_cap=search_cap,
        )
        self._contacts: Puller[CrmAccount] = Puller(
            self._client,
            Stream(
                "contacts",
                contact_properties,
                ("companies",),
                from_list=_contacts,
                from_search=_contacts,
                last_modified=CONTACT_LAST_MODIFIED,
            ),
            page_size=page_size,
            overlap=overlap,
            search_cap=search_cap,
        )
        self._deals: Puller[CrmDeal] = Puller(
            self._client,
            Stream(
                "deals",
                DEAL_PROPERTIES,
                ("companies", "contacts"),
                from_list=_deals_with_associations,
                from_search=self._deals_from_search,
            ),
            page_size=page_size,
            overlap=overlap,
            search_cap=search_cap,
        )

    def __repr__(self) -> str:
        return f"HubSpotConnector({self._client!r})"

    def close(self) -> None:
        self._client.close()

    # -- CrmConnector ---------------------------------------------------------------------

    def pull_accounts(
        self,
        since: Cursor | None,
        object_type: AccountType | None = None,
        *,
        resume: str | None = None,
    ) -> Iterator[Page[CrmAccount]]:
        """Companies (default) or contacts: everything when `since` is None (from `resume`
        on, when given), else those modified at or after `since.modified_at - overlap` plus
        archived ones; cursor and resume semantics in `pull`."""
        if object_type in (None, "company"):
            return self._pull(self._companies, since, resume)
        if object_type == "contact":
            return self._pull(self._contacts, since, resume)
        raise ValueError(f"HubSpot has no {object_type!r} records")

    def pull_deals(
        self, since: Cursor | None, *, resume: str | None = None
    ) -> Iterator[Page[CrmDeal]]:
        """Deals with their company ids, with the same semantics as `pull_accounts`."""
        return self._pull(self._deals, since, resume)

    @staticmethod
    def _pull(
        puller: Puller[RecordT], since: Cursor | None, resume: str | None
    ) -> Iterator[Page[RecordT]]:
        if since is not None and resume is not None:
            raise ValueError("resume goes with a full pull (since=None), not an incremental one")
        return puller.full(resume) if since is None else puller.incremental(since)

    def fetch_accounts(
        self, crm_ids: Sequence[str], object_type: AccountType | None = None
    ) -> list[CrmAccount]:
        """Current state of companies (default) or contacts by batch read (100 ids a call), in
        the order asked; unknown ids are left out. Contacts are read even when they are not
        scored (a new contact's company is found through it)."""
        kind: AccountType = object_type or "company"
        if kind not in ("company", "contact"):
            raise ValueError(f"HubSpot has no {kind!r} records")
        api_type: ObjectType = "contacts" if kind == "contact" else "companies"
        to_accounts = _contacts if kind == "contact" else _companies
        wanted = list(dict.fromkeys(crm_ids))
        found: dict[str, CrmAccount] = {}
        for start in range(0, len(wanted), MAX_PAGE_SIZE):
            chunk = wanted[start : start + MAX_PAGE_SIZE]
            payload = self._client.batch_read(api_type, chunk, self._properties[kind])
            for account in to_accounts(payload.get("results") or []):
                found[account.crm_id] = account
        return [found[i] for i in wanted if i in found]

    def fetch_deals(self, crm_ids: Sequence[str]) -> list[CrmDeal]:
        """Current state of these deals with their company ids (batch read + v4 associations,
        100 a call), in the order asked; unknown ids are left out."""
        wanted = list(dict.fromkeys(crm_ids))
        found: dict[str, CrmDeal] = {}
        for start in range(0, len(wanted), MAX_PAGE_SIZE):
            chunk = wanted[start : start + MAX_PAGE_SIZE]
            payload = self._client.batch_read("deals", chunk, DEAL_PROPERTIES)
            objects = [o for o in payload.get("results") or [] if isinstance(o, dict)]
            for deal in self._deals_from_search(objects):
                found[deal.crm_id] = deal
        return [found[i] for i in wanted if i in found]

    def is_own_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        return echo.is_own_change(event_type, payload, self.written_properties)

    def ready_in(self, calls: int) -> float:
        return self._client.pacer.free_in(calls)

    def is_unscored_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        """A company's or contact's property change of a property neither a canonical field
        nor the rubrics (`extra_properties`) read, nor one the writeback owns (a person's edit
        of a score is drift, fetched and repaired)."""
        read = SCORED_SOURCES.get(event_type)
        name = payload.get("propertyName")
        if read is None or not isinstance(name, str):
            return False
        return name not in read and name not in self._read and name not in self.written_properties

    render_score = staticmethod(render_score)
    """A module's function, so the bulk rescoring can hand it to its scoring process."""

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        return self._writer.write(updates)

    def ensure_schema(self) -> list[SchemaChange]:
        """The properties on companies, and on contacts when they are scored."""
        return schema.ensure_schema(
            self._client, self._specs, contacts="contact" in self.account_types
        )

    # -- mapping with associations ---------------------------------------------------------

    def _deals_from_search(self, objects: Sequence[Json]) -> list[CrmDeal]:
        """Search results carry no associations: two v4 batch reads per page (companies,
        contacts) fill them in."""
        ids = [str(o.get("id")) for o in objects]
        companies = self._client.associated_ids("deals", ids)
        contacts = self._client.associated_ids("deals", ids, "contacts")
        return [
            deal_to_deal(o, companies.get(deal_id, ()), contacts.get(deal_id, ()))
            for o, deal_id in zip(objects, ids, strict=True)
        ]


def _companies(objects: Sequence[Json]) -> list[CrmAccount]:
    return [company_to_account(o) for o in objects if isinstance(o, Mapping)]


def _contacts(objects: Sequence[Json]) -> list[CrmAccount]:
    """Contacts from the list (with their `associations`) or from search and batch reads
    (their primary company in `associatedcompanyid`)."""
    return [contact_to_account(o) for o in objects if isinstance(o, Mapping)]


def _deals_with_associations(objects: Sequence[Json]) -> list[CrmDeal]:
    return [deal_to_deal(o) for o in objects if isinstance(o, Mapping)]
