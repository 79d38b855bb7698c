"""`icp-sync db …`: the database schema."""

from __future__ import annotations

import json
from typing import Annotated

import typer

# The settings, Alembic and SQLAlchemy are imported inside the commands: `icp-sync --help`
# stays fast.

cli = typer.Typer(help="Manage the database schema (ICP_SYNC_DATABASE_URL).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON object.")]


@cli.command()
def upgrade(as_json: JsonOption = False) -> None:
    """Apply pending migrations, bringing the database to the newest schema (once, however many
    processes run it together). Run it before starting the new version's replicas."""
    from app.settings import display_database_url, get_settings
    from app.store.migrate import current_revision, schema_status, upgrade_to_head

    url = get_settings().database_url
    before = schema_status(url)
    upgrade_to_head(url)
    after = current_revision(url)
    shown = display_database_url(url)
    if as_json:
        typer.echo(json.dumps({"database": shown, "from": before.revision, "to": after}))
    elif before.revision == after:
        typer.echo(f"{shown}: already at {after} ({before.describe()})")
    else:
        typer.echo(f"{shown}: upgraded {before.revision or '<empty>'} -> {after}")


@cli.command()
def current(as_json: JsonOption = False) -> None:
    """Show the revision the database is at, and whether this version runs on it: at head, a
    newer revision compatible with it, behind (`db upgrade`), or newer and incompatible.
    Changes nothing (a SQLite file that does not exist is not created)."""
    from app.settings import display_database_url, get_settings
    from app.store.migrate import schema_status

    url = get_settings().database_url
    status = schema_status(url)
    report = {
        "database": display_database_url(url),
        "revision": status.revision,
        "head": status.head,
        "at_head": status.state == "current",
        "state": status.state,
    }
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"{report['database']}: {status.revision or '<empty>'} ({status.describe()})")
