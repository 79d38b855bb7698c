"""Entry point of the `icp-sync` command: wires the sub-commands, and turns user errors into
a clear message and exit code 1 instead of a traceback."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from app.cli import (
    db,
    demo,
    doctor,
    inbox,
    rubric,
    sandbox,
    scoring,
    serve,
    status,
    sync,
    validate,
)
from app.errors import IcpSyncError
from connectors.errors import ConnectorError

EXIT_USER_ERROR = 1


class _UserErrorsAsMessages(TyperGroup):
    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        try:
            return super().invoke(ctx)
        except (IcpSyncError, ConnectorError) as error:
            # A CRM refusing or failing is reported like bad input: its message names the
            # call and HubSpot's or Salesforce's reason, never a credential.
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"[bold red]error:[/] {escape(str(error))}"
            )
            raise typer.Exit(EXIT_USER_ERROR) from None
        except DBAPIError as error:
            # The driver's own first line ("database is locked", "connection refused"), never
            # the statement or its parameters, which hold CRM data.
            reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
            hint = (
                "; another process is writing to this SQLite store: run again, or use "
                "PostgreSQL for a service and CLI runs side by side"
                if "database is locked" in reason
                else ""
            )
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"[bold red]error:[/] the store failed: {escape(reason)}{hint}"
            )
            raise typer.Exit(EXIT_USER_ERROR) from None


cli = typer.Typer(
    cls=_UserErrorsAsMessages,
    name="icp-sync",
    help="Score CRM accounts against your Ideal Customer Profile and write the result back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cli.add_typer(db.cli, name="db")
cli.add_typer(rubric.cli, name="rubric")
scoring.register(cli)
sync.register(cli)
status.register(cli)
serve.register(cli)
sandbox.register(cli)
demo.register(cli)
inbox.register(cli)
validate.register(cli)
doctor.register(cli)


def run() -> None:
    """Console-script entry point."""
    cli()
