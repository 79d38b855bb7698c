"""`icp-sync demo`: the whole job against the built-in CRM sandboxes, in one command.

Starts both sandboxes on loopback, with their webhooks pointed at icp-sync's own service
(webhook endpoints and inbox worker) beside them, and, on a fresh embedded SQLite store, with
one rubric: HubSpot — creates the writeback properties, syncs, scores and writes back companies
and their contacts (scored as prospects), shows the tiers and top records with their reasons,
and reads a few companies back through the API;
Salesforce — the same for accounts and leads (leads lacking company data scored on their
account); `icp-sync doctor`'s checks of both CRMs, printed as its table; then a new inbound
lead arrives in each CRM, is scored within seconds through webhook → inbox → worker, the delay
is shown, and each CRM routes it by the tier written: the HubSpot portal's contact workflow sets
the new contact's owner, the org's assignment rule sends the Salesforce lead to a queue; then
everything stops.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.common import RubricOption, console, resolve_rubric, rubric_path
from app.errors import IcpSyncError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.rubric import Rubric
    from app.scoring import CompiledRubric
    from app.settings import Settings
    from app.store.tables import Account, Score
    from connectors.base import SchemaChange
    from crm_sandbox.sandbox import RunningSandbox

DEMO_DATABASE = Path("icp-sync-demo.db")
REALTIME_WAIT_S = 30.0


def register(cli: typer.Typer) -> None:
    cli.command("demo")(demo)


def demo(
    companies: Annotated[int, typer.Option(help="Companies the sandbox generates.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox's data.")] = 7,
    rubric_file: RubricOption = None,
    keep_running: Annotated[
        bool,
        typer.Option(
            "--keep-running",
            help="Leave the sandboxes and the service up after the demo, with the dashboard "
            "on the demo's data, until Ctrl-C.",
        ),
    ] = False,
) -> None:
    """Run the full job against the built-in HubSpot and Salesforce sandboxes (no CRM account
    needed): one rubric scores HubSpot companies and Salesforce accounts and leads; then a new
    inbound lead in each CRM is scored in real time through webhooks, and the Salesforce one
    is routed to a queue by its tier. With `--keep-running`, the dashboard's address and a
    login token are printed and everything stays up."""
    from app.api.app import create_app
    from app.cli.sandbox import require_sandbox
    from app.runtime import Runtime
    from app.scoring import compile_rubric
    from app.settings import settings_from
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head

    require_sandbox("demo")
    from crm_sandbox.core.seed_contacts import DEFAULT_CONTACTS_PER_COMPANY
    from crm_sandbox.sandbox import serve_app, start_sandbox

    rubric = resolve_rubric(rubric_file)
    compiled = compile_rubric(rubric)
    DEMO_DATABASE.unlink(missing_ok=True)
    url = f"sqlite:///{DEMO_DATABASE}"
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    port = _free_port()
    with start_sandbox(
        seed=seed,
        companies=companies,
        contacts_per_company=DEFAULT_CONTACTS_PER_COMPANY,
        salesforce_port=0,
        salesforce_icp_fields=False,
        webhook_target=f"http://127.0.0.1:{port}",
    ) as sandbox:
        settings = settings_from(
            sandbox.service_env(),
            database_url=url,
            sync_interval_minutes=0,
            full_sync_hour=-1,
            admin_token=secrets.token_hex(24) if keep_running else None,
        )
        _, stop_service = serve_app(create_app(settings), port, name="icp-sync-service")
        runtime = Runtime(settings, rubric, engine, sessions, run_schedules=False)
        runtime.start()
        try:
            console().print(f"icp-sync service on http://127.0.0.1:{port}: webhooks, inbox worker")
            _hubspot_part(sandbox, rubric, compiled, sessions)
            _salesforce_part(sandbox, rubric, compiled, sessions)
            _doctor_part(settings, rubric_path(rubric_file))
            _realtime_part(sandbox)
            if keep_running:
                _keep_running(settings, rubric, sessions, port)
        finally:
            runtime.stop()
            stop_service()
    engine.dispose()
    console().print(f"sandbox stopped; the demo's store is {DEMO_DATABASE}")


def _keep_running(
    settings: Settings, rubric: Rubric, sessions: sessionmaker[Session], port: int
) -> None:
    from app.cli.signals import StopOnSignal

    out = console()
    out.rule("Dashboard")
    _store_validation(rubric, sessions)
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    out.print(
        f"dashboard: [bold]http://127.0.0.1:{port}/ui/[/bold]\n"
        f"log in with no user name and this admin token:\n{token}\n"
        "the sandboxes and the service keep running (webhooks, inbox worker); Ctrl-C stops them"
    )
    with StopOnSignal() as stop:
        stop.wait()


def _store_validation(rubric: Rubric, sessions: sessionmaker[Session]) -> None:
    """The demo's deals validated and the run stored, for the dashboard's Validation page."""
    from datetime import UTC, datetime

    from app.validation.runs import CLI, VALIDATE, store_run, validate_document
    from app.validation.validate_report import validate_store

    started = datetime.now(UTC)
    with sessions() as session:
        report, outcomes = validate_store(session, rubric, now=started)
    with sessions.begin() as session:
        store_run(
            session,
            kind=VALIDATE,
            trigger=CLI,
            rubric_version=rubric.version,
            report=validate_document(report, outcomes),
            started_at=started,
            finished_at=datetime.now(UTC),
        )
    console().print(
        f"validation of rubric {rubric.version} on the demo's closed deals stored "
        f"(AUC {report['auc']:.2f})"
        if report.get("auc") is not None
        else "validation stored"
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _realtime_part(sandbox: RunningSandbox) -> None:
    """A new inbound lead in each CRM, scored through webhook → inbox → worker; the delay is
    measured from the lead's creation to its tier written in the CRM."""
    from rich.markup import escape

    out = console()
    out.rule("Real time")
    org = sandbox.salesforce
    for crm in ("hubspot", "salesforce"):
        run = sandbox.simulate_inbound(1.0, 1, crm=crm)
        run.wait(30)
        if not run.leads:
            raise IcpSyncError(f"demo: the {crm} sandbox created no inbound lead")
        lead = run.leads[0]
        deadline = time.monotonic() + REALTIME_WAIT_S
        tier: str | None = None
        while time.monotonic() < deadline:
            if crm == "hubspot":
                tier = sandbox.hubspot.contact(lead.object_id).get("icp_tier") or None
            elif org is not None:
                tier = org.get("Lead", lead.object_id).get("ICP_Tier__c")
            if tier:
                break
            time.sleep(0.01)
        delay = time.monotonic() - lead.created_monotonic
        if not tier:
            out.print(f"{crm}: the new lead's tier did not arrive within {REALTIME_WAIT_S:.0f} s")
            continue
        if crm == "hubspot":
            contact = sandbox.hubspot.contact(lead.object_id)
            company_tier = sandbox.hubspot.company(str(lead.company_id)).get("icp_tier")
            owner = contact.get("hubspot_owner_id")
            out.print(
                f"HubSpot: new contact {lead.object_id} ({escape(contact.get('jobtitle') or '')})"
                f" at new company {escape(lead.company_name)} → webhooks → inbox → worker → "
                f"the contact is [bold]{tier}[/bold] (its company {company_tier}), written back "
                f"[bold]{delay:.2f} s[/bold] after it was created; the portal's workflow "
                f'"contact owner by ICP tier" routed it to '
                + (f"[bold]owner {owner}[/bold]" if owner else "no owner (no rule for its tier)")
            )
        elif org is not None:
            queues = {queue_id: name for name, queue_id in org.queues.items()}
            owner = _owner(org.get("Lead", lead.object_id)["OwnerId"], queues)
            out.print(
                f"Salesforce: new lead {lead.object_id} ({escape(lead.company_name)}) → Outbound "
                f"Message → inbox → worker → [bold]{tier}[/bold] written back "
                f"[bold]{delay:.2f} s[/bold] after it was created; assignment routed it to "
                f"[bold]{owner}[/bold]"
            )


def _hubspot_part(
    sandbox: RunningSandbox,
    rubric: Rubric,
    compiled: CompiledRubric,
    sessions: sessionmaker[Session],
) -> None:
    from rich.markup import escape
    from rich.table import Table

    from app.crm import hubspot_connector
    from app.sync.orchestrator import run_sync

    out = console()
    out.rule("HubSpot")
    out.print(f"HubSpot sandbox on {sandbox.hubspot_url}")
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        _print_setup(connector.ensure_schema(), "property definitions")
        report = run_sync(connector, sessions, compiled)
        out.print(
            f"sync: pulled {report.pulled['accounts']} companies, {report.pulled['contacts']} "
            f"contacts and {report.pulled['deals']} deals, scored {report.rescore.scored}, wrote "
            f"{report.written} ({report.failed} failed) in {report.api_calls} API calls, "
            f"{report.seconds:.1f} s"
        )
        rows = _scored(sessions, "hubspot")
        companies = [(a, s) for a, s in rows if a.object_type == "company"]
        contacts = [(a, s) for a, s in rows if a.object_type == "contact"]
        _print_tiers(
            rubric,
            {"companies": [s for _, s in companies], "contacts": [s for _, s in contacts]},
        )
        _print_top(companies[:5])
        _print_top(contacts[:3], title="Top contacts")
        landed = connector.fetch_accounts([account.crm_id for account, _ in companies[:3]])
    readback = Table(title="Read back through the HubSpot API", title_justify="left")
    for column in ("id", "name", "icp_fit_score", "icp_tier", "icp_scored_at"):
        readback.add_column(column)
    for company in landed:
        props = company.properties
        readback.add_row(
            company.crm_id,
            escape(company.name or ""),
            str(props.get("icp_fit_score")),
            str(props.get("icp_tier")),
            str(props.get("icp_scored_at")),
        )
    out.print(readback)


def _salesforce_part(
    sandbox: RunningSandbox,
    rubric: Rubric,
    compiled: CompiledRubric,
    sessions: sessionmaker[Session],
) -> None:
    from app.crm import salesforce_connector
    from app.sync.orchestrator import run_sync

    out = console()
    if sandbox.salesforce is None or sandbox.salesforce_url is None:
        raise IcpSyncError("demo: the Salesforce sandbox did not start")
    out.rule("Salesforce")
    out.print(f"Salesforce sandbox on {sandbox.salesforce_url} (HTTPS, its own CA)")
    with salesforce_connector(
        sandbox.salesforce_url,
        rubric,
        client_id=str(sandbox.salesforce_client_id),
        client_secret=str(sandbox.salesforce_client_secret),
        ca_bundle=sandbox.salesforce_ca_bundle,
    ) as connector:
        changes = connector.ensure_schema()
        _print_setup([c for c in changes if c.kind == "field"], "custom fields")
        _print_setup([c for c in changes if c.kind == "field permission"], "field grants")
        report = run_sync(connector, sessions, compiled)
        out.print(
            f"sync: pulled {report.pulled['accounts']} accounts, {report.pulled['leads']} leads "
            f"and {report.pulled['deals']} opportunities, scored {report.rescore.scored}, wrote "
            f"{report.written} ({report.failed} failed) in {report.api_calls} API calls, "
            f"{report.seconds:.1f} s"
        )
        rows = _scored(sessions, "salesforce")
        _print_tiers(
            rubric,
            {
                "accounts": [s for a, s in rows if a.object_type == "account"],
                "leads": [s for a, s in rows if a.object_type == "lead"],
            },
        )
        _print_top([(a, s) for a, s in rows if a.object_type == "lead"][:3], title="Top leads")


def _doctor_part(settings: Settings, rubric_file: Path) -> None:
    """`icp-sync doctor`'s checks of both CRMs, now that setup has run."""
    from app.doctor import run_checks
    from app.doctor.report import as_table, summary

    console().rule("Doctor")
    checks = run_checks(settings, rubric_file, ("hubspot", "salesforce"))
    console().print(as_table(checks, title="icp-sync doctor: both sandboxes"))
    console().print(f"doctor: {summary(checks)}")


def _owner(owner_id: str, queue_names: dict[str, str]) -> str:
    name = queue_names.get(owner_id)
    return f"the {name} queue" if name else f"user {owner_id} (no rule matched)"


def _print_setup(changes: list[SchemaChange], what: str) -> None:
    created = sum(1 for change in changes if change.action == "created")
    console().print(f"setup: {created} of {len(changes)} {what} created")


def _scored(sessions: sessionmaker[Session], source: str) -> list[tuple[Account, Score]]:
    from sqlalchemy import select

    from app.store.tables import Account, Score

    with sessions() as session:
        return [
            (account, score)
            for account, score in session.execute(
                select(Account, Score)
                .join(Score, Score.account_id == Account.id)
                .where(Account.source == source)
                .order_by(Score.disqualified, Score.score.desc(), Account.crm_id)
            )
        ]


def _print_tiers(rubric: Rubric, groups: dict[str, list[Score]]) -> None:
    from rich.table import Table

    table = Table(title="Tier distribution", title_justify="left")
    table.add_column("tier")
    for name in groups:
        table.add_column(name, justify="right")
    for tier in [t.name for t in rubric.tiers] + ["disqualified"]:
        table.add_row(
            tier, *(str(sum(1 for s in scores if s.tier == tier)) for scores in groups.values())
        )
    console().print(table)


def _print_top(rows: list[tuple[Account, Score]], title: str = "Top accounts") -> None:
    from rich.markup import escape
    from rich.table import Table

    top = Table(title=title, title_justify="left", show_lines=True)
    for column in ("name", "score", "tier", "reasons"):
        top.add_column(column, justify="right" if column == "score" else "left")
    for account, score in rows:
        top.add_row(
            escape(account.name or account.crm_id),
            str(score.score),
            score.tier,
            escape("\n".join(score.reasons)),
        )
    console().print(top)
