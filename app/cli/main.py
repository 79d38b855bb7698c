"""Entry point of the `icp-sync` command: wires the sub-commands and turns user errors into
a one-line message and exit code 1 instead of a traceback."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from app.cli import db, rubric, scoring, serve
from app.errors import IcpSyncError

cli = typer.Typer(
    name="icp-sync",
    help="Score CRM accounts against your Ideal Customer Profile and write the result back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cli.add_typer(db.cli, name="db")
cli.add_typer(rubric.cli, name="rubric")
scoring.register(cli)
serve.register(cli)

EXIT_USER_ERROR = 1


def run() -> None:
    """Console-script entry point."""
    try:
        cli()
    except IcpSyncError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(EXIT_USER_ERROR)
    except ValidationError as error:
        # Settings from the environment failed to validate; the input is hidden from the text.
        problems = "; ".join(
            f"ICP_SYNC_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        Console(stderr=True).print(f"error: invalid settings: {problems}", highlight=False)
        sys.exit(EXIT_USER_ERROR)
