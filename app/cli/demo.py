"""`icp-sync demo`: the whole job against the built-in HubSpot sandbox, in one command.

Starts the sandbox on loopback, creates the writeback properties, syncs, scores and writes back
on a fresh embedded SQLite store, shows the tiers and the top accounts with their reasons,
reads a few companies back through the HubSpot API to show the properties landed, and stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import RubricOption, console, resolve_rubric

DEMO_DATABASE = Path("icp-sync-demo.db")


def register(cli: typer.Typer) -> None:
    cli.command("demo")(demo)


def demo(
    companies: Annotated[int, typer.Option(help="Companies the sandbox generates.")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sandbox's data.")] = 7,
    rubric_file: RubricOption = None,
) -> None:
    """Run the full job against the built-in HubSpot sandbox (no CRM account needed)."""
    from sqlalchemy import select

    from app.crm import hubspot_connector
    from app.scoring import compile_rubric
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head
    from app.store.tables import Account, Score
    from app.sync.orchestrator import run_sync
    from connectors.sandbox.server import start_sandbox

    out = console()
    rubric = resolve_rubric(rubric_file)
    DEMO_DATABASE.unlink(missing_ok=True)
    url = f"sqlite:///{DEMO_DATABASE}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with start_sandbox(seed=seed, companies=companies) as sandbox:
        out.print(f"HubSpot sandbox on {sandbox.hubspot_url} with {companies} companies")
        connector = hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric)
        changes = connector.ensure_schema()
        created = sum(1 for change in changes if change.action == "created")
        out.print(f"setup: {created} of {len(changes)} property definitions created")
        report = run_sync(connector, make_session_factory(engine), compile_rubric(rubric))
        out.print(
            f"sync: pulled {report.pulled['accounts']} companies and {report.pulled['deals']} "
            f"deals, scored {report.rescore.scored}, wrote {report.written} "
            f"({report.failed} failed) in {report.api_calls} API calls, {report.seconds:.1f} s"
        )
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(Account, Score)
                .join(Score, Score.account_id == Account.id)
                .order_by(Score.disqualified, Score.score.desc(), Account.crm_id)
            ).all()
        tiers: dict[str, int] = {}
        for _, score in rows:
            tiers[score.tier] = tiers.get(score.tier, 0) + 1
        distribution = Table(title="Tier distribution", title_justify="left")
        distribution.add_column("tier")
        distribution.add_column("companies", justify="right")
        for tier in [t.name for t in rubric.tiers] + ["disqualified"]:
            distribution.add_row(tier, str(tiers.get(tier, 0)))
        out.print(distribution)
        top = Table(title="Top accounts", title_justify="left", show_lines=True)
        for column in ("company", "score", "tier", "reasons"):
            top.add_column(column, justify="right" if column == "score" else "left")
        for account, score in rows[:5]:
            top.add_row(
                escape(account.name or account.crm_id),
                str(score.score),
                score.tier,
                escape("\n".join(score.reasons)),
            )
        out.print(top)
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
    engine.dispose()
    out.print(f"sandbox stopped; the demo's store is {DEMO_DATABASE}")
