"""`SalesforceConnector`: the `CrmConnector` protocol for Salesforce Accounts, Leads and
Opportunities.

Auth flows in `connectors.salesforce.auth`; re-auth, error mapping, retries and call counting
in `connectors.salesforce.client`; pull and cursor semantics in `connectors.salesforce.pull`;
which fields are selected in `connectors.salesforce.fields`; the writeback and lead routing in
`connectors.salesforce.write`; the custom fields in `connectors.salesforce.schema`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta

from connectors.base import ApiStats, Closing, SchemaChange
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
from connectors.retry import Retrier, RetryPolicy, Sleep
from connectors.salesforce import echo, schema
from connectors.salesforce.auth import choose_grant
from connectors.salesforce.client import (
    DEFAULT_API_VERSION,
    DEFAULT_TIMEOUT,
    ApiUsage,
    SalesforceClient,
    Timeout,
)
from connectors.salesforce.fields import ACCOUNT, LEAD, OPPORTUNITY, FieldCatalog
from connectors.salesforce.mapping import (
    account_to_account,
    lead_to_account,
    opportunity_to_deal,
)
from connectors.salesforce.pull import Puller
from connectors.salesforce.render import render_score
from connectors.salesforce.soql import record_ids
from connectors.salesforce.write import CollectionWriter

DEFAULT_OVERLAP = timedelta(minutes=5)
DEFAULT_TIERS = ("tier_1", "tier_2", "tier_3")
DEFAULT_JWT_AUDIENCE = "https://login.salesforce.com"
KEY_PREFIXES: Mapping[str, str] = {"001": ACCOUNT, "00Q": LEAD}
OPPORTUNITY_PREFIX = "006"


class SalesforceConnector(Closing):
    """Salesforce Accounts (`account`), Leads (`lead`) and Opportunities, through
    `simple-salesforce`.

    `instance_url` is the org's My Domain URL (the token endpoint lives there). Auth: client
    credentials with `client_secret`, else JWT bearer with `username` and `private_key` (PEM
    text; `jwt_audience` is login or test.salesforce.com). `ca_bundle` trusts a private CA
    (the sandbox's). `tiers` and `flags` are the rubric's tier names and disqualifier ids (the
    values of `ICP_Tier__c` and `ICP_Flags__c`); `extra_fields` the Account/Lead fields the
    rubric reads beyond ours. `overlap` re-reads that much before each cursor. `retry` bounds
    retries per call; `timeout` is (connect, read) seconds per request. `assign_new_leads`
    lets a new lead's first write run the org's lead assignment rule.
    """

    source: Source = "salesforce"
    account_types: tuple[AccountType, ...] = ("account", "lead")
    written_properties: frozenset[str] = frozenset(schema.WRITEBACK_FIELDS)

    def __init__(
        self,
        instance_url: str,
        *,
        client_id: str,
        client_secret: str | None = None,
        username: str | None = None,
        private_key: str | None = None,
        ca_bundle: str | None = None,
        tiers: Sequence[str] = DEFAULT_TIERS,
        flags: Sequence[str] = (),
        extra_fields: Sequence[str] = (),
        overlap: timedelta = DEFAULT_OVERLAP,
        retry: RetryPolicy | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep = time.sleep,
        assign_new_leads: bool = True,
        api_version: str = DEFAULT_API_VERSION,
        jwt_audience: str = DEFAULT_JWT_AUDIENCE,
    ) -> None:
        if not instance_url.startswith("https://"):
            raise ValueError(f"instance_url must be an https:// URL, got {instance_url!r}")
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        grant = choose_grant(
            client_id=client_id,
            client_secret=client_secret,
            username=username,
            private_key=private_key,
            audience=jwt_audience,
        )
        self.stats = ApiStats()
        self._client = SalesforceClient(
            instance_url,
            grant,
            retrier=Retrier(policy=retry or RetryPolicy(), stats=self.stats, sleep=sleep),
            timeout=timeout,
            api_version=api_version,
            ca_bundle=ca_bundle,
        )
        self._catalog = FieldCatalog(self._client, extra_fields)
        self._specs = schema.writeback_fields(tiers, flags)
        self._writer = CollectionWriter(self._client, assign_new_leads=assign_new_leads)
        self._accounts = Puller(
            self._client, self._catalog, ACCOUNT, account_to_account, overlap=overlap
        )
        self._leads = Puller(self._client, self._catalog, LEAD, lead_to_account, overlap=overlap)
        self._deals = Puller(
            self._client, self._catalog, OPPORTUNITY, opportunity_to_deal, overlap=overlap
        )

    def __repr__(self) -> str:
        return f"SalesforceConnector({self._client!r})"

    def close(self) -> None:
        self._client.close()

    @property
    def client(self) -> SalesforceClient:
        """The REST client, for checks beyond the connector's protocol (`icp-sync doctor`)."""
        return self._client

    @property
    def api_usage(self) -> ApiUsage | None:
        """The org's API request usage as of the last response (`Sforce-Limit-Info`), for
        summaries; None before the first call."""
        return self._client.api_usage

    # -- CrmConnector ---------------------------------------------------------------------

    def pull_accounts(
        self,
        since: Cursor | None,
        object_type: AccountType | None = None,
        *,
        resume: str | None = None,
    ) -> Iterator[Page[CrmAccount]]:
        """Accounts (default) or Leads: everything live when `since` is None (from `resume`
        on, when given), else those modified at or after `since.modified_at - overlap`,
        deleted and converted ones included as archived; cursor and resume semantics in
        `pull`."""
        if object_type in (None, "account"):
            return self._accounts.pages(since, resume)
        if object_type == "lead":
            return self._leads.pages(since, resume)
        raise ValueError(f"Salesforce has no {object_type!r} records")

    def pull_deals(
        self, since: Cursor | None, *, resume: str | None = None
    ) -> Iterator[Page[CrmDeal]]:
        """Opportunities with their account id, with the same semantics as `pull_accounts`."""
        return self._deals.pages(since, resume)

    def fetch_accounts(
        self, crm_ids: Sequence[str], object_type: AccountType | None = None
    ) -> list[CrmAccount]:
        """Current state of live Accounts (`001…`) and Leads (`00Q…`) by `Id IN (…)`, in the
        order asked, whatever `object_type` says (the id's prefix tells). Any other id, or one
        that is not a well-formed Salesforce id, is left out before a query is built."""
        del object_type
        wanted = record_ids(crm_ids)
        found: dict[str, CrmAccount] = {}
        for prefix, object_name in KEY_PREFIXES.items():
            ids = [i for i in wanted if i.startswith(prefix)]
            puller = self._accounts if object_name == ACCOUNT else self._leads
            for account in puller.by_ids(ids):
                found[account.crm_id] = account
        return [found[i] for i in wanted if i in found]

    def fetch_deals(self, crm_ids: Sequence[str]) -> list[CrmDeal]:
        """Current state of live Opportunities (`006…`) by `Id IN (…)`, in the order asked;
        malformed or other ids are left out before a query is built."""
        wanted = [i for i in record_ids(crm_ids) if i.startswith(OPPORTUNITY_PREFIX)]
        found = {deal.crm_id: deal for deal in self._deals.by_ids(wanted)}
        return [found[i] for i in wanted if i in found]

    def is_own_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        del event_type  # every kind of notification carries the record's last modifier
        return echo.is_own_change(payload, self._client.user_id)

    def ready_in(self, calls: int) -> float:
        """Salesforce counts API calls per day, not per burst: never a wait."""
        del calls
        return 0.0

    def is_unscored_change(self, event_type: str, payload: Mapping[str, object]) -> bool:
        """An Outbound Message or a callout does not say which field changed."""
        del event_type, payload
        return False

    render_score = staticmethod(render_score)
    """A module's function, so the bulk rescoring can hand it to its scoring process."""

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        return self._writer.write(updates)

    def ensure_schema(self) -> list[SchemaChange]:
        """Creates the missing `ICP_*__c` fields on Account and Lead; idempotent."""
        try:
            return schema.ensure_schema(self._client, self._specs)
        finally:
            self._catalog.forget()
