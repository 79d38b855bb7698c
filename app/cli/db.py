"""`icp-sync db …`: the database schema."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.settings import display_database_url, get_settings

# Alembic and SQLAlchemy are imported inside the commands: `icp-sync --help` stays fast.

cli = typer.Typer(help="Manage the database schema (ICP_SYNC_DATABASE_URL).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON object.")]


@cli.command()
def upgrade(as_json: JsonOption = False) -> None:
    """Apply pending migrations, bringing the database to the newest schema."""
    from app.store.migrate import current_revision, upgrade_to_head

    url = get_settings().database_url
    before = current_revision(url)
    upgrade_to_head(url)
    after = current_revision(url)
    shown = display_database_url(url)
    if as_json:
        typer.echo(json.dumps({"database": shown, "from": before, "to": after}))
    elif before == after:
        typer.echo(f"{shown}: already at {after}")
    else:
        typer.echo(f"{shown}: upgraded {before or '<empty>'} -> {after}")


@cli.command()
def current(as_json: JsonOption = False) -> None:
    """Show the revision the database is at and whether it is the newest."""
    from app.store.migrate import current_revision, head_revision

    url = get_settings().database_url
    revision, head = current_revision(url), head_revision()
    report = {
        "database": display_database_url(url),
        "revision": revision,
        "head": head,
        "at_head": revision == head,
    }
    if as_json:
        typer.echo(json.dumps(report))
        return
    state = "at head" if revision == head else f"head is {head}: run `icp-sync db upgrade`"
    typer.echo(f"{report['database']}: {revision or '<empty>'} ({state})")
