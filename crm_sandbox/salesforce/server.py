"""Serving the Salesforce sandbox over HTTPS on loopback, with a CA made at start (trustme).

    with start_salesforce_sandbox(seed=7, companies=200) as org:
        token = requests.post(org.token_url, data={"grant_type": "client_credentials",
            "client_id": org.client_id, "client_secret": org.client_secret},
            verify=org.ca_bundle).json()["access_token"]
        session = requests.Session(); session.trust_env = False; session.verify = org.ca_bundle
        sf = simple_salesforce.Salesforce(session_id=token, instance_url=org.url, session=session)

simple-salesforce rebuilds every URL as `https://`, so the sandbox must speak TLS: a fresh CA
and a server certificate for `127.0.0.1` and `localhost` are generated per start, and the CA's
PEM is written to `ca_bundle` (a temporary file removed by `stop()`). Set
`session.trust_env = False` (or `REQUESTS_CA_BUNDLE`): the environment variable overrides
`session.verify` otherwise.

With `webhook_target` the org sends Outbound Messages (`outbound_messages`) to that URL for
every Lead, Account and Opportunity created or updated; `org.outbound_messages` sends them.

The org's connected app takes JWT bearer too: its key pair is made at start,
`jwt_private_key_path` is the PEM key to sign with (as `jwt_username`, the integration user) and
`jwt_certificate_path` the certificate the app verifies with (both removed by `stop()`).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from crm_sandbox.core.faults import FaultInjector, FaultPlan
from crm_sandbox.salesforce.state import SalesforceState
from crm_sandbox.serving import LOOPBACK, SandboxError, ServerThread, bind_loopback

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from crm_sandbox.core.delivery import RetryPolicy
    from crm_sandbox.salesforce.auth import SalesforceAuth
    from crm_sandbox.salesforce.limits import ApiUsage
    from crm_sandbox.salesforce.outbound_messages import OutboundMessages
    from crm_sandbox.salesforce.permissions import UserPermissions

#: How icp-sync signs in to the org: the connected app's secret, or a JWT signed with its key.
SalesforceAuthFlow = Literal["client_credentials", "jwt"]


@dataclass
class RunningSalesforce:
    """A started Salesforce sandbox. `salesforce` is the org state: inspect or mutate it."""

    url: str  # the instance URL, https://127.0.0.1:<port>
    ca_bundle: str  # path of the PEM file of the CA that signed the server certificate
    client_id: str
    client_secret: str
    salesforce: SalesforceState
    app: Starlette
    #: The PEM private key whose certificate the connected app holds (JWT bearer signs with it).
    jwt_private_key_path: str = ""
    #: The connected app's certificate (PEM): the public key assertions are verified with.
    jwt_certificate_path: str = ""
    #: The username JWT bearer signs in as: the integration user, approved for the app.
    jwt_username: str = ""
    #: The Outbound Message notifier, when started with a `webhook_target`.
    outbound_messages: OutboundMessages | None = field(default=None, repr=False)
    _server: ServerThread | None = field(default=None, repr=False)
    _tempdir: str | None = field(default=None, repr=False)

    @property
    def org_id(self) -> str:
        """The org's 18-character id (`OrganizationId` of its Outbound Messages)."""
        return self.salesforce.org_id

    @property
    def token_url(self) -> str:
        return f"{self.url}/services/oauth2/token"

    @property
    def auth(self) -> SalesforceAuth:
        """Issued tokens: `expire_all()` forces a re-auth; `token_ttl_s` sets new lifetimes."""
        auth: SalesforceAuth = self.app.state.auth
        return auth

    @property
    def usage(self) -> ApiUsage:
        """The daily API counter: set `used` / `daily_limit` to test REQUEST_LIMIT_EXCEEDED."""
        usage: ApiUsage = self.app.state.usage
        return usage

    @property
    def faults(self) -> FaultInjector:
        """Faults on the data API (`crm_sandbox.core.faults`): `fail_next(2, status=503)`,
        `set_plan(FaultPlan(...))`, `injected()`."""
        faults: FaultInjector = self.app.state.faults
        return faults

    def stop(self) -> None:
        if self.outbound_messages is not None:
            self.outbound_messages.stop()
            self.outbound_messages = None
        if self._server is not None:
            _abort_connections(self._server)
            self._server.stop()
            self._server = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> RunningSalesforce:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _abort_connections(server: ServerThread) -> None:
    """Aborts the server's open connections. A client that hangs up without a TLS
    close_notify (urllib3 does) leaves asyncio's side waiting 30 s for one, which would stall
    uvicorn's graceful shutdown and leak the transport; nothing is in flight when we stop."""
    state: Any = getattr(server.server, "server_state", None)
    connections: Any = getattr(state, "connections", ())
    for _ in range(3):
        try:
            protocols = list(connections)
        except RuntimeError:  # changed size while copied: the server thread is busy
            continue
        for protocol in protocols:
            transport, loop = getattr(protocol, "transport", None), getattr(protocol, "loop", None)
            if transport is not None and loop is not None:
                loop.call_soon_threadsafe(transport.abort)
        return


def start_salesforce_sandbox(
    *,
    seed: int = 7,
    companies: int = 200,
    deals_per_company: float = 2.0,
    port: int = 0,
    client_id: str | None = None,
    client_secret: str | None = None,
    token_ttl_s: float = 7200.0,
    daily_limit: int = 15_000,
    page_size: int = 2000,
    as_of: datetime | date | None = None,
    leads_per_company: float = 0.5,
    with_icp_fields: bool = True,
    webhook_target: str | None = None,
    webhook_retry: RetryPolicy | None = None,
    faults: FaultPlan | None = None,
    active_lead_rule: bool = True,
    field_security: bool = True,
    user_permissions: UserPermissions | None = None,
) -> RunningSalesforce:
    """Seeds an org and serves it over HTTPS on 127.0.0.1 until `stop()`.

    `port=0` picks a free port; `token_ttl_s` is the session lifetime; `page_size` the
    largest query page (Salesforce's is 2,000; a `batchSize` asks for less). `leads_per_company`:
    how many Leads to seed per company (see `SalesforceState.seeded`); `with_icp_fields=False`
    starts an org where icp-sync's setup has not run (no `ICP_*__c` fields; with them, the
    integration user has field access to them, as setup leaves it). `field_security=False`
    relaxes field-level security; `user_permissions` is the integration user's profile
    (`crm_sandbox.salesforce.permissions`; default: may create fields and grant itself access).
    `webhook_target`: the full endpoint URL of the org's Outbound Messages (None: none sent);
    `webhook_retry` their back-off (default `SALESFORCE_RETRY`). `faults`: random faults on the
    data API from the start (`crm_sandbox.core.faults`; the token endpoint is spared).
    `active_lead_rule=False` starts the org with its lead assignment rule inactive (new leads
    keep their owner, as in an org where nobody activated one).
    Raises `SandboxError` if the port is taken or an argument is out of range.
    """
    import trustme

    from crm_sandbox.salesforce.app import create_salesforce_app
    from crm_sandbox.salesforce.auth import SalesforceAuth
    from crm_sandbox.salesforce.connected_app import ConnectedApp
    from crm_sandbox.salesforce.users import INTEGRATION_USERNAME, approved_users

    if companies < 0:
        raise SandboxError(f"companies must be at least 0, got {companies}")
    if not 0 <= deals_per_company <= 50:
        raise SandboxError(f"deals per company must be within 0-50, got {deals_per_company}")
    if not 1 <= page_size <= 2000:
        raise SandboxError(f"page size must be within 1-2000, got {page_size}")
    if not 0 <= leads_per_company <= 50:
        raise SandboxError(f"leads per company must be within 0-50, got {leads_per_company}")
    if webhook_target is not None:
        from crm_sandbox.core.delivery import check_target_url

        try:
            check_target_url(webhook_target)
        except ValueError as error:
            raise SandboxError(str(error)) from None
    sock = bind_loopback(LOOPBACK, port)
    tempdir = tempfile.mkdtemp(prefix="sf-sandbox-")
    try:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_path = str(Path(tempdir) / "ca.pem")
        cert_path = str(Path(tempdir) / "server.pem")
        ca.cert_pem.write_to_path(ca_path)
        cert.private_key_and_cert_chain_pem.write_to_path(cert_path)
        state = SalesforceState.seeded(
            seed,
            companies,
            deals_per_company,
            as_of=as_of,
            with_icp_fields=with_icp_fields,
            leads_per_company=leads_per_company,
            active_lead_rule=active_lead_rule,
            field_security=field_security,
            user_permissions=user_permissions,
        )
        url = f"https://{LOOPBACK}:{sock.getsockname()[1]}"
        auth = SalesforceAuth(
            client_id=client_id or f"3MVG9sandbox{uuid.uuid4().hex}",
            client_secret=client_secret or uuid.uuid4().hex,
            token_ttl_s=token_ttl_s,
            instance_url=url,
            connected_app=ConnectedApp.create(tempdir, approved_users()),
        )
        app = create_salesforce_app(
            state, auth=auth, daily_limit=daily_limit, page_size=page_size, fault_plan=faults
        )
        server = ServerThread(app, sock, name="salesforce-sandbox", ssl_certfile=cert_path)
    except BaseException:
        sock.close()
        shutil.rmtree(tempdir, ignore_errors=True)
        raise
    try:
        server.start()
    except BaseException:
        shutil.rmtree(tempdir, ignore_errors=True)
        raise
    running = RunningSalesforce(
        url=url,
        ca_bundle=ca_path,
        client_id=auth.client_id,
        client_secret=auth.client_secret,
        salesforce=state,
        app=app,
        jwt_private_key_path=auth.connected_app.private_key_path if auth.connected_app else "",
        jwt_certificate_path=auth.connected_app.certificate_path if auth.connected_app else "",
        jwt_username=INTEGRATION_USERNAME,
        _server=server,
        _tempdir=tempdir,
    )
    if webhook_target is not None:
        from crm_sandbox.core.delivery import SALESFORCE_RETRY
        from crm_sandbox.salesforce.outbound_messages import OutboundMessages

        running.outbound_messages = OutboundMessages(
            state, webhook_target, instance_url=url, retry=webhook_retry or SALESFORCE_RETRY
        ).start()
    return running
