"""`icp-sync sandbox`: a simulated HubSpot and Salesforce on loopback, seeded with the same
deterministic data.

`--webhook-target URL` makes both CRMs notify a receiver of every change, as the real ones do:
HubSpot POSTs signed event arrays to `URL/webhooks/hubspot` (v3 signature with the app secret,
printed as ICP_SYNC_HUBSPOT_APP_SECRET), Salesforce POSTs Outbound Messages to
`URL/webhooks/salesforce/outbound-message` (OrganizationId printed as ICP_SYNC_SALESFORCE_ORG_ID).
`--inbound-leads-per-second RATE` makes new leads arrive in both CRMs, RATE each: a new company
with a contact in HubSpot, a new Lead in Salesforce.

The Salesforce org starts as a fresh one does: without the `ICP_*__c` fields, which
`icp-sync setup salesforce` creates (granting its user field access to them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli.signals import StopOnSignal
from app.errors import IcpSyncError


def register(cli: typer.Typer) -> None:
    cli.command("sandbox")(sandbox)


def sandbox(
    hubspot_port: Annotated[
        int, typer.Option(help="Port of the HubSpot API on 127.0.0.1 (0 picks a free one).")
    ] = 8101,
    salesforce_port: Annotated[
        int,
        typer.Option(help="Port of the Salesforce API (HTTPS) on 127.0.0.1 (0 picks a free one)."),
    ] = 8102,
    seed: Annotated[
        int, typer.Option(help="Seed of the generated data (same seed, same data).")
    ] = 7,
    companies: Annotated[int, typer.Option(min=0, help="Companies to generate.")] = 200,
    deals_per_company: Annotated[
        float, typer.Option(min=0, max=50, help="Average deals per company.")
    ] = 2.0,
    contacts_per_company: Annotated[
        float,
        typer.Option(
            min=0,
            max=50,
            help="Average HubSpot contacts per company (the companies and deals do not change "
            "with it).",
        ),
    ] = 1.5,  # crm_sandbox.core.seed_contacts.DEFAULT_CONTACTS_PER_COMPANY (an optional extra)
    rate_limit: Annotated[
        int,
        typer.Option(
            min=0,
            help="HubSpot burst limit: requests per rolling 10 s per token (a Professional-tier "
            "private app's: 190; daily 625,000). 0: no burst limit.",
        ),
    ] = 190,
    hubspot_scopes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated scopes the HubSpot token carries, e.g. "
            "crm.objects.companies.read,crm.objects.deals.read (calls outside them get 403 "
            "MISSING_SCOPES). Default: all icp-sync needs.",
        ),
    ] = None,
    hubspot_token: Annotated[
        str | None,
        typer.Option(help="Bearer token to accept. Default: a random pat-sandbox-… one."),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            help="Write the ICP_SYNC_* settings into this file (other lines are kept) "
            "instead of printing them."
        ),
    ] = None,
    webhook_target: Annotated[
        str | None,
        typer.Option(
            help="Base URL of a webhook receiver: HubSpot posts to URL/webhooks/hubspot, "
            "Salesforce to URL/webhooks/salesforce/outbound-message. Default: no webhooks."
        ),
    ] = None,
    hubspot_app_secret: Annotated[
        str | None,
        typer.Option(help="Secret HubSpot webhooks are signed with. Default: a random one."),
    ] = None,
    inbound_leads_per_second: Annotated[
        float,
        typer.Option(
            min=0,
            help="New inbound leads per second in each CRM (HubSpot: a company and a contact; "
            "Salesforce: a Lead). 0: none.",
        ),
    ] = 0.0,
    fault_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            help="Share of API requests to fault (0-1): latency, 5xx, 429 bursts, dropped "
            "connections, hangs past the client timeout, expired Salesforce sessions. 0: none.",
        ),
    ] = 0.0,
    fault_kinds: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated fault kinds to inject, of: latency, server_error, rate_limit, "
            "rate_limit_bare, dropped, timeout, expired_session. Default: all."
        ),
    ] = None,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault sequence.")] = 0,
    search_lag: Annotated[
        float,
        typer.Option(
            min=0,
            max=3600,
            help="Seconds a HubSpot change takes to show up in search, as HubSpot's index "
            "lags (0: at once).",
        ),
    ] = 3.0,
) -> None:
    """Serve simulated HubSpot and Salesforce APIs until Ctrl-C, and print the settings that
    point icp-sync at them (the Salesforce CA bundle lives as long as the sandbox)."""
    require_sandbox("sandbox")
    from crm_sandbox import SandboxError, start_sandbox
    from crm_sandbox.core.faults import FaultPlan
    from crm_sandbox.hubspot.notifications import HUBSPOT_WEBHOOK_PATH
    from crm_sandbox.salesforce.outbound_messages import SALESFORCE_WEBHOOK_PATH

    try:
        faults = FaultPlan.parse(fault_rate, fault_kinds, fault_seed) if fault_rate > 0 else None
    except ValueError as error:
        raise IcpSyncError(f"sandbox: --fault-kinds: {error}") from None
    with StopOnSignal() as stop:  # from the start: a SIGTERM during startup stops cleanly
        try:
            running = start_sandbox(
                seed=seed,
                companies=companies,
                deals_per_company=deals_per_company,
                contacts_per_company=contacts_per_company,
                hubspot_port=hubspot_port,
                hubspot_token=hubspot_token,
                rate_limit=rate_limit or None,
                hubspot_scopes=None if hubspot_scopes is None else hubspot_scopes.split(","),
                salesforce_port=salesforce_port,
                salesforce_icp_fields=False,  # a fresh org: `icp-sync setup salesforce` makes them
                webhook_target=webhook_target,
                hubspot_app_secret=hubspot_app_secret,
                faults=faults,
                search_lag_s=search_lag,
            )
        except SandboxError as error:
            hint = "; choose another with --hubspot-port/--salesforce-port (0 picks a free one)"
            in_use = "in use" in str(error)
            raise IcpSyncError(f"sandbox: {error}{hint if in_use else ''}") from None
        with running:
            settings = running.service_env()
            if env_file is not None:
                _write_env_file(env_file, settings)
                _note(f"wrote {', '.join(settings)} to {env_file}")
            else:
                for key, value in settings.items():
                    typer.echo(f"{key}={value}")
            state = running.hubspot
            _note(
                f"HubSpot sandbox on {running.hubspot_url}: {state.count('companies')} "
                f"companies, {state.count('deals')} deals, {state.count('contacts')} contacts "
                f"(seed {seed})."
            )
            limiter, scopes = running.hubspot_limiter, running.hubspot_private_app.scopes
            burst = "no burst limit" if limiter.burst is None else f"{limiter.burst} per 10 s"
            _note(
                f"HubSpot limits: {burst}, {limiter.daily or 'no'} a day; the token's scopes: "
                f"{', '.join(sorted(scopes)) or 'none'}."
            )
            if running.salesforce is not None:
                org = running.salesforce
                counts = ", ".join(
                    f"{len(org.snapshot(name))} {label}"
                    for name, label in (
                        ("Account", "accounts"),
                        ("Lead", "leads"),
                        ("Opportunity", "opportunities"),
                    )
                )
                _note(
                    f"Salesforce sandbox on {running.salesforce_url}: {counts}; no ICP_*__c "
                    "fields yet, as in a fresh org (`icp-sync setup salesforce` makes them)."
                )
                jwt_org = running.salesforce_sandbox
                if jwt_org is not None:
                    _note(
                        "Salesforce JWT bearer: the connected app's key is "
                        f"{jwt_org.jwt_private_key_path} "
                        f"(certificate {jwt_org.jwt_certificate_path}); to use it, unset "
                        "ICP_SYNC_SALESFORCE_CLIENT_SECRET and set "
                        f"ICP_SYNC_SALESFORCE_USERNAME={jwt_org.jwt_username} "
                        f"ICP_SYNC_SALESFORCE_PRIVATE_KEY={jwt_org.jwt_private_key_path}"
                    )
            if running.webhook_target is not None:
                target = running.webhook_target
                _note(
                    f"Webhooks to {target}{HUBSPOT_WEBHOOK_PATH} (HubSpot) and "
                    f"{target}{SALESFORCE_WEBHOOK_PATH} (Salesforce)."
                )
            if inbound_leads_per_second > 0:
                running.simulate_inbound(inbound_leads_per_second, None, "hubspot")
                if running.salesforce is not None:
                    running.simulate_inbound(inbound_leads_per_second, None, "salesforce")
                _note(f"Inbound leads: {inbound_leads_per_second:g} per second in each CRM.")
            if faults is not None:
                _note(
                    f"Faults: {faults.rate:.0%} of API requests "
                    f"({', '.join(faults.kinds)}; seed {faults.seed})."
                )
            _note(
                f"Control: POST {running.control_url}/reset, /seed; GET or POST "
                f"{running.control_url}/faults, /workflows/contact-owner-by-tier."
            )
            _note("Ctrl-C to stop.")
            stop.wait()
    _note("sandbox stopped")


def require_sandbox(command: str) -> None:
    """A one-line message, not a traceback, where the sandbox package is left out (the
    production image ships only the service)."""
    try:
        import crm_sandbox  # noqa: F401 - only whether it is there
    except ModuleNotFoundError as error:
        if error.name != "crm_sandbox":
            raise
        raise IcpSyncError(
            f"{command}: the CRM sandbox is not installed here (the production image leaves it "
            "out); run it from a source checkout or an install of the icp-sync package"
        ) from None
    try:
        import trustme  # noqa: F401 - the sandbox extra's one dependency
    except ModuleNotFoundError as error:
        if error.name != "trustme":
            raise
        raise IcpSyncError(
            f"{command}: the CRM sandbox needs its extra dependencies: "
            "pip install 'icp-sync[sandbox]' (or `make install` in a source checkout)"
        ) from None


def _note(message: str) -> None:
    """Progress goes to stderr, so stdout carries only the settings."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _write_env_file(path: Path, settings: dict[str, str]) -> None:
    """Replaces our keys in the file (a `.env`), keeping every other line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as error:
        raise IcpSyncError(f"--env-file: cannot read {path}: {error}") from None
    kept = [line for line in lines if _env_key(line) not in settings]
    kept.extend(f"{key}={value}" for key, value in settings.items())
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(kept) + "\n")
    except OSError as error:
        raise IcpSyncError(f"--env-file: cannot write {path}: {error.strerror}") from None


def _env_key(line: str) -> str:
    text = line.strip()
    if text.startswith("export "):
        text = text[len("export ") :]
    return text.split("=", 1)[0].strip()
