"""`icp-sync demo`: the whole job against the built-in CRM sandboxes, in one command.

Starts both sandboxes on loopback and, on a fresh embedded SQLite store, with one rubric:
HubSpot — creates the writeback properties, syncs, scores and writes back, shows the tiers and
top accounts with their reasons, and reads a few companies back through the API; Salesforce —
the same for accounts and leads (leads lacking company data scored on their account), then a
new inbound lead arrives, the next incremental sync scores it, and the org's assignment rule
routes it to a queue by the tier written; then everything stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import RubricOption, console, resolve_rubric
from app.errors import IcpSyncError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.rubric import Rubric
    from app.scoring import CompiledRubric
    from app.store.tables import Account, Score
    from connectors.base import SchemaChange
    from connectors.sandbox.server import RunningSandbox

DEMO_DATABASE = Path("icp-sync-demo.db")


def register(cli: typer.Typer) -> None:
    cli.command("demo")(demo)


def demo(
    companies: Annotated[int, typer.Option(help="Companies the sandbox generates.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox's data.")] = 7,
    rubric_file: RubricOption = None,
) -> None:
    """Run the full job against the built-in HubSpot and Salesforce sandboxes (no CRM account
    needed): one rubric scores HubSpot companies and Salesforce accounts and leads, and a new
    Salesforce lead is routed to a queue by its tier."""
    from app.scoring import compile_rubric
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head
    from connectors.sandbox.server import start_sandbox

    rubric = resolve_rubric(rubric_file)
    compiled = compile_rubric(rubric)
    DEMO_DATABASE.unlink(missing_ok=True)
    url = f"sqlite:///{DEMO_DATABASE}"
    upgrade_to_head(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with start_sandbox(
        seed=seed, companies=companies, salesforce_port=0, salesforce_icp_fields=False
    ) as sandbox:
        _hubspot_part(sandbox, rubric, compiled, sessions)
        _salesforce_part(sandbox, rubric, compiled, sessions)
    engine.dispose()
    console().print(f"sandbox stopped; the demo's store is {DEMO_DATABASE}")


def _hubspot_part(
    sandbox: RunningSandbox,
    rubric: Rubric,
    compiled: CompiledRubric,
    sessions: sessionmaker[Session],
) -> None:
    from app.crm import hubspot_connector
    from app.sync.orchestrator import run_sync

    out = console()
    out.rule("HubSpot")
    out.print(f"HubSpot sandbox on {sandbox.hubspot_url}")
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        _print_setup(connector.ensure_schema(), "property definitions")
        report = run_sync(connector, sessions, compiled)
        out.print(
            f"sync: pulled {report.pulled['accounts']} companies and {report.pulled['deals']} "
            f"deals, scored {report.rescore.scored}, wrote {report.written} "
            f"({report.failed} failed) in {report.api_calls} API calls, {report.seconds:.1f} s"
        )
        rows = _scored(sessions, "hubspot")
        _print_tiers(rubric, {"companies": [score for _, score in rows]})
        _print_top(rows[:5])
        landed = connector.fetch_accounts([account.crm_id for account, _ in rows[:3]])
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
    org = sandbox.salesforce
    if org is None or sandbox.salesforce_url is None:
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
        _print_setup(connector.ensure_schema(), "custom fields")
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

        lead = org.create("Lead", dict(INBOUND_LEAD), auto_assign=True)
        queue_names = {queue_id: name for name, queue_id in org.queues.items()}
        out.print(
            f"new inbound lead {lead['Id']} ({INBOUND_LEAD['Company']}), owner: "
            f"{_owner(lead['OwnerId'], queue_names)}"
        )
        routed = run_sync(connector, sessions, compiled)
    landed = org.get("Lead", lead["Id"])
    out.print(
        f"incremental sync: scored {routed.rescore.scored}, wrote {routed.written} in "
        f"{routed.api_calls} API calls; the lead is [bold]{landed['ICP_Tier__c']}[/bold] "
        f"(score {landed['ICP_Fit_Score__c']:.0f}) and Salesforce's assignment rule routed it "
        f"to [bold]{_owner(landed['OwnerId'], queue_names)}[/bold]"
    )


INBOUND_LEAD = {
    "FirstName": "Nia",
    "LastName": "Okoro",
    "Title": "VP Revenue Operations",
    "Company": "Brightwave Software",
    "Email": "nia.okoro@brightwave-software.example",
    "Website": "https://brightwave-software.example",
    "Industry": "Technology",
    "NumberOfEmployees": 800,
    "AnnualRevenue": 120_000_000,
    "Country": "United States",
}


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
