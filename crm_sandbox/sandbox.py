"""Serving the sandbox: uvicorn in a background thread on loopback.

    with start_sandbox(seed=7, companies=200) as sandbox:
        client = hubspot.Client.create(
            access_token=sandbox.hubspot_token, host=sandbox.hubspot_url
        )
        sandbox.hubspot.touch_company(company_id, industry="INTERNET")

`hubspot_port=0` picks a free port; `start_sandbox` returns once the server accepts
connections, and `stop()` (or leaving the `with` block) shuts it down.

Notifications: with `webhook_target=BASE` the CRMs notify a receiver of every change, as the
real ones do: HubSpot POSTs signed event arrays to `BASE/webhooks/hubspot`
(`hubspot_notifications`, signed with `hubspot_app_secret`), the Salesforce org (when started)
POSTs Outbound Messages to `BASE/webhooks/salesforce/outbound-message`
(`salesforce_outbound_messages`). Without a target nothing is sent.
`simulate_inbound(rate, count, crm)` makes new leads arrive (`inbound`).

`service_env()` gives the `ICP_SYNC_*` settings that point icp-sync at the sandbox. Another
process drives it through its control URL (`control_url`, on the HubSpot port): reset, reseed
and faults over HTTP (`crm_sandbox.control`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from crm_sandbox.core.faults import FaultInjector, FaultPlan
from crm_sandbox.hubspot.limits import DAILY_LIMIT, RATE_LIMIT
from crm_sandbox.hubspot.search_index import DEFAULT_SEARCH_LAG_S
from crm_sandbox.hubspot.state import HubSpotState
from crm_sandbox.serving import LOOPBACK as LOOPBACK
from crm_sandbox.serving import SandboxError as SandboxError
from crm_sandbox.serving import ServerThread, bind_loopback
from crm_sandbox.serving import serve_app as serve_app

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from crm_sandbox.core.delivery import RetryPolicy
    from crm_sandbox.hubspot.calls import BatchUpdateMissing
    from crm_sandbox.hubspot.limits import RateLimiter
    from crm_sandbox.hubspot.notifications import HubSpotNotifications
    from crm_sandbox.hubspot.responses.token_info import PrivateApp
    from crm_sandbox.inbound import Crm, InboundSimulation
    from crm_sandbox.salesforce.outbound_messages import OutboundMessages
    from crm_sandbox.salesforce.permissions import UserPermissions
    from crm_sandbox.salesforce.server import RunningSalesforce, SalesforceAuthFlow
    from crm_sandbox.salesforce.state import SalesforceState


@dataclass
class RunningSandbox:
    """A started sandbox. `hubspot` is the state: inspect and mutate it directly in tests."""

    hubspot_url: str
    hubspot_token: str
    hubspot: HubSpotState
    hubspot_app: Starlette
    # The Salesforce sandbox (HTTPS), when started with `salesforce_port`; else all None.
    salesforce_url: str | None = None
    salesforce_ca_bundle: str | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: str | None = None
    salesforce: SalesforceState | None = None
    salesforce_sandbox: RunningSalesforce | None = field(default=None, repr=False)
    #: The secret HubSpot webhooks are signed with (the app's client secret).
    hubspot_app_secret: str = field(default="", repr=False)
    #: The Salesforce org's 18-character id, when Salesforce runs.
    salesforce_org_id: str | None = None
    #: The base URL webhooks go to (None: none are sent), and the HubSpot sender.
    webhook_target: str | None = None
    hubspot_notifications: HubSpotNotifications | None = field(default=None, repr=False)
    seed: int = 7
    _servers: list[ServerThread] = field(default_factory=list, repr=False)
    _inbound: list[InboundSimulation] = field(default_factory=list, repr=False)

    @property
    def hubspot_port(self) -> int:
        return int(self.hubspot_url.rsplit(":", 1)[1])

    @property
    def control_url(self) -> str:
        """Where another process resets, reseeds and faults both CRMs (`crm_sandbox.control`):
        `/_sandbox` on the HubSpot port."""
        return f"{self.hubspot_url}/_sandbox"

    @property
    def hubspot_limiter(self) -> RateLimiter:
        """The HubSpot rate limiter: change `burst`, `retry_after`, … or `reset()` it."""
        limiter: RateLimiter = self.hubspot_app.state.limiter
        return limiter

    @property
    def hubspot_private_app(self) -> PrivateApp:
        """The token's private app: `scopes` (replace it to take scopes away at runtime),
        `hub_id`, `app_id`, `user_id`, as `access-token-info` answers them."""
        private_app: PrivateApp = self.hubspot_app.state.private_app
        return private_app

    @property
    def hubspot_faults(self) -> FaultInjector:
        """Faults on the HubSpot API (`crm_sandbox.core.faults`): `fail_next(...)` on cue,
        `set_plan(...)` at random, `injected()`."""
        faults: FaultInjector = self.hubspot_app.state.faults
        return faults

    @property
    def salesforce_outbound_messages(self) -> OutboundMessages | None:
        """The Salesforce Outbound Message sender, when Salesforce runs with a target."""
        org = self.salesforce_sandbox
        return None if org is None else org.outbound_messages

    def service_env(
        self, salesforce_auth: SalesforceAuthFlow = "client_credentials"
    ) -> dict[str, str]:
        """The `ICP_SYNC_*` settings that point icp-sync at this sandbox: HubSpot's URL, token
        and webhook app secret; Salesforce's instance URL, client credentials (or, with
        `salesforce_auth="jwt"`, the JWT bearer flow's username and private key file), CA
        bundle and org id when it runs. The one place that knows which setting takes which
        value."""
        env = {
            "ICP_SYNC_HUBSPOT_BASE_URL": self.hubspot_url,
            "ICP_SYNC_HUBSPOT_TOKEN": self.hubspot_token,
        }
        org = self.salesforce_sandbox
        if org is not None:
            env |= {
                "ICP_SYNC_SALESFORCE_INSTANCE_URL": org.url,
                "ICP_SYNC_SALESFORCE_CLIENT_ID": org.client_id,
                "ICP_SYNC_SALESFORCE_CLIENT_SECRET": org.client_secret,
                "ICP_SYNC_SALESFORCE_CA_BUNDLE": org.ca_bundle,
            }
            if salesforce_auth == "jwt":  # the connector uses JWT bearer when no secret is set
                del env["ICP_SYNC_SALESFORCE_CLIENT_SECRET"]
                env["ICP_SYNC_SALESFORCE_USERNAME"] = org.jwt_username
                env["ICP_SYNC_SALESFORCE_PRIVATE_KEY"] = org.jwt_private_key_path
        env["ICP_SYNC_HUBSPOT_APP_SECRET"] = self.hubspot_app_secret
        if org is not None:
            env["ICP_SYNC_SALESFORCE_ORG_ID"] = org.org_id
        return env

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Random faults from now on, on both CRMs' APIs (None: none). What was injected is
        counted in `faults_injected()`."""
        self.hubspot_faults.set_plan(plan)
        if self.salesforce_sandbox is not None:
            self.salesforce_sandbox.faults.set_plan(plan)

    def faults_injected(self) -> dict[str, dict[str, int]]:
        """Faults injected so far, by CRM and kind."""
        injected = {"hubspot": self.hubspot_faults.injected()}
        if self.salesforce_sandbox is not None:
            injected["salesforce"] = self.salesforce_sandbox.faults.injected()
        return injected

    def wait_notifications_idle(self, timeout: float | None = None) -> bool:
        """Waits until both senders have nothing queued, due or in flight (True) or until
        `timeout` s passed (False). True at once when no webhooks are sent."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for sender in (self.hubspot_notifications, self.salesforce_outbound_messages):
            if sender is None:
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not sender.wait_idle(remaining):
                return False
        return True

    def wait_search_indexed(self, timeout: float | None = 10.0) -> bool:
        """Waits until every HubSpot change so far is searchable (True) or `timeout` s passed
        (False): what a test that creates, then searches, waits for (`search_index`)."""
        return self.hubspot.search_index.wait(self.hubspot.lock, timeout)

    def simulate_inbound(
        self, rate_per_second: float, count: int | None = None, crm: Crm = "hubspot"
    ) -> InboundSimulation:
        """Starts creating `count` new leads (None: until `stop()`) at `rate_per_second` in
        a background thread and returns its handle: `wait(timeout)`, `leads` (ids and creation
        times, monotonic and wall clock), `stop()`. HubSpot: a new company and a contact at it;
        Salesforce: a new Lead (see `crm_sandbox.inbound`)."""
        from crm_sandbox.inbound import (
            InboundSimulation,
            hubspot_lead_maker,
            salesforce_lead_maker,
        )

        number = len(self._inbound) + 1
        seed = self.seed * 1_000 + number * 7 + (0 if crm == "hubspot" else 3)
        if crm == "hubspot":
            make = hubspot_lead_maker(self.hubspot, seed)
        elif crm == "salesforce":
            if self.salesforce is None:
                raise SandboxError("simulate_inbound: the Salesforce sandbox is not running")
            make = salesforce_lead_maker(self.salesforce, seed)
        else:
            raise SandboxError(f"simulate_inbound: crm must be hubspot or salesforce, not {crm!r}")
        try:
            simulation = InboundSimulation(make, rate_per_second, count, name=f"inbound-{crm}")
        except ValueError as error:
            raise SandboxError(f"simulate_inbound: {error}") from None
        self._inbound.append(simulation)
        return simulation.start()

    def stop(self) -> None:
        while self._inbound:
            self._inbound.pop().stop()
        if self.hubspot_notifications is not None:
            self.hubspot_notifications.stop()
            self.hubspot_notifications = None
        if self.salesforce_sandbox is not None:
            self.salesforce_sandbox.stop()
        while self._servers:
            self._servers.pop().stop()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_sandbox(
    *,
    seed: int = 7,
    companies: int = 200,
    deals_per_company: float = 2.0,
    hubspot_port: int = 0,
    hubspot_token: str | None = None,
    rate_limit: int | None = RATE_LIMIT,
    search_rate_limit: int | None = 5,
    daily_limit: int | None = DAILY_LIMIT,
    hubspot_scopes: Iterable[str] | None = None,
    retry_after: bool = True,
    batch_update_missing: BatchUpdateMissing = "errors",
    as_of: datetime | date | None = None,
    salesforce_port: int | None = None,
    leads_per_company: float = 0.5,
    salesforce_icp_fields: bool = True,
    webhook_target: str | None = None,
    hubspot_app_secret: str | None = None,
    webhook_retry: RetryPolicy | None = None,
    faults: FaultPlan | None = None,
    salesforce_active_lead_rule: bool = True,
    salesforce_field_security: bool = True,
    salesforce_user_permissions: UserPermissions | None = None,
    search_lag_s: float = DEFAULT_SEARCH_LAG_S,
    contacts_per_company: float = 0.0,
) -> RunningSandbox:
    """Seeds a HubSpot sandbox and serves it on 127.0.0.1 until `stop()`.

    `rate_limit`: requests per rolling 10 s per token (default 190, a Professional-tier
    private app's; None: no burst limit); `daily_limit`: requests per day (default 625,000;
    None: none); `search_rate_limit`: search requests per second; `hubspot_scopes`: the
    token's scopes (None: icp-sync's, `crm_sandbox.hubspot.scopes.DEFAULT_SCOPES`); `as_of`:
    the seed's "now" (default the start of today, UTC). `salesforce_port`: also serve the
    Salesforce sandbox (same seed) over HTTPS on that port (0 picks a free one; None, the
    default, does not start it), with `leads_per_company` Leads per company (two thirds at a
    company's domain); `salesforce_icp_fields=False` starts the org without the ICP custom
    fields, as before `icp-sync setup salesforce` (with them, the integration user can see and
    edit them, as setup leaves it); `salesforce_field_security=False` relaxes field-level
    security; `salesforce_user_permissions` is the integration user's profile (default: may
    create fields and grant itself field access; see `crm_sandbox.salesforce.permissions`);
    `salesforce_active_lead_rule=False` starts the org with its lead assignment rule inactive.

    `webhook_target`: the base URL of a webhook receiver (None, the default: no webhooks);
    HubSpot sends to `{target}/webhooks/hubspot`, signed with `hubspot_app_secret` (default: a
    random one, on `RunningSandbox.hubspot_app_secret`), Salesforce to
    `{target}/webhooks/salesforce/outbound-message`. `webhook_retry` replaces both CRMs' retry
    back-off (tests make it fast). `faults`: random faults on both CRMs' APIs from the start
    (`crm_sandbox.core.faults`; switch later with `set_faults`). `search_lag_s`: how long a
    HubSpot change takes to reach search (0: at once; `wait_search_indexed` waits for it).
    `contacts_per_company`: HubSpot contacts per company on average (`core.seed_contacts`; the
    companies and deals do not change with it). None by default, so a test of companies counts
    companies; `icp-sync sandbox`, the demo and the benchmarks seed
    `DEFAULT_CONTACTS_PER_COMPANY` (1.5), as a real portal has contacts.
    Raises `SandboxError` if a port is taken.
    """
    from crm_sandbox.core.delivery import check_target_url
    from crm_sandbox.hubspot.app import create_hubspot_app

    if companies < 0:
        raise SandboxError(f"companies must be at least 0, got {companies}")
    if not 0 <= deals_per_company <= 50:
        raise SandboxError(f"deals per company must be within 0-50, got {deals_per_company}")
    if not 0 <= contacts_per_company <= 50:
        raise SandboxError(f"contacts per company must be within 0-50, got {contacts_per_company}")
    if rate_limit is not None and rate_limit < 1:
        raise SandboxError(f"rate limit must be at least 1 request per 10 s, got {rate_limit}")
    from crm_sandbox.hubspot.scopes import parse_scopes

    try:
        scopes = parse_scopes(hubspot_scopes)
    except ValueError as error:
        raise SandboxError(f"hubspot_scopes: {error}") from None
    if webhook_target is not None:
        try:
            check_target_url(webhook_target)
        except ValueError as error:
            raise SandboxError(str(error)) from None
        webhook_target = webhook_target.rstrip("/")
    if not 0 <= search_lag_s <= 3_600:
        raise SandboxError(f"search lag must be within 0-3600 s, got {search_lag_s}")
    if hubspot_app_secret == "":
        raise SandboxError("the HubSpot app secret must not be empty")
    app_secret = hubspot_app_secret or str(uuid.uuid4())
    token = hubspot_token or f"pat-sandbox-{uuid.uuid4()}"
    sock = bind_loopback(LOOPBACK, hubspot_port)
    try:
        from crm_sandbox.control import ControlPlane, Seeding
        from crm_sandbox.core.seed import resolve_as_of

        state = HubSpotState.seeded(seed, companies, deals_per_company, as_of=as_of,
                                    contacts_per_company=contacts_per_company)  # fmt: skip
        state.search_index.lag_s = search_lag_s
        app = create_hubspot_app(
            state,
            token=token,
            rate_limit=rate_limit,
            daily_limit=daily_limit,
            search_rate_limit=search_rate_limit,
            retry_after=retry_after,
            batch_update_missing=batch_update_missing,
            fault_plan=faults,
            scopes=scopes,
        )
        started_with = Seeding(seed, companies, deals_per_company, leads_per_company,
                               resolve_as_of(as_of), salesforce_icp_fields,
                               contacts_per_company)  # fmt: skip
        control = ControlPlane(app, started_with)  # /_sandbox/… beside the HubSpot API
        server = ServerThread(control, sock, name="hubspot-sandbox")
    except BaseException:
        sock.close()
        raise
    server.start()
    port = sock.getsockname()[1]
    running = RunningSandbox(
        hubspot_url=f"http://{LOOPBACK}:{port}",
        hubspot_token=token,
        hubspot=state,
        hubspot_app=app,
        hubspot_app_secret=app_secret,
        webhook_target=webhook_target,
        seed=seed,
        _servers=[server],
    )
    if webhook_target is not None:
        from crm_sandbox.core.delivery import HUBSPOT_RETRY
        from crm_sandbox.hubspot.notifications import HUBSPOT_WEBHOOK_PATH, HubSpotNotifications

        running.hubspot_notifications = HubSpotNotifications(
            state,
            webhook_target + HUBSPOT_WEBHOOK_PATH,
            app_secret=app_secret,
            retry=webhook_retry or HUBSPOT_RETRY,
        ).start()
    if salesforce_port is not None:
        from crm_sandbox.salesforce.outbound_messages import SALESFORCE_WEBHOOK_PATH
        from crm_sandbox.salesforce.server import start_salesforce_sandbox

        try:
            org = start_salesforce_sandbox(
                seed=seed,
                companies=companies,
                deals_per_company=deals_per_company,
                port=salesforce_port,
                as_of=as_of,
                leads_per_company=leads_per_company,
                with_icp_fields=salesforce_icp_fields,
                webhook_target=(
                    None if webhook_target is None else webhook_target + SALESFORCE_WEBHOOK_PATH
                ),
                webhook_retry=webhook_retry,
                faults=faults,
                active_lead_rule=salesforce_active_lead_rule,
                field_security=salesforce_field_security,
                user_permissions=salesforce_user_permissions,
            )
        except BaseException:
            running.stop()
            raise
        running.salesforce_sandbox = org
        running.salesforce_url = org.url
        running.salesforce_ca_bundle = org.ca_bundle
        running.salesforce_client_id = org.client_id
        running.salesforce_client_secret = org.client_secret
        running.salesforce = org.salesforce
        running.salesforce_org_id = org.org_id
    control.attach(running)
    return running
