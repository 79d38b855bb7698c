"""`icp-sync ui-password NAME`: a line for the dashboard's users file (ICP_SYNC_UI_USERS_FILE)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.errors import IcpSyncError

MIN_PASSWORD_LENGTH = 12


def register(cli: typer.Typer) -> None:
    cli.command("ui-password")(ui_password)


def ui_password(
    name: Annotated[str, typer.Argument(help="The user's name, as typed at the login form.")],
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the password from standard input (scripts).")
    ] = False,
) -> None:
    """Print `NAME:HASH` (an argon2id hash of a password asked twice, never echoed) to add to
    the users file; the password itself is stored nowhere."""
    from app.ui.users import check_name, hash_password

    check_name(name)
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise IcpSyncError(f"password: too short, use at least {MIN_PASSWORD_LENGTH} characters")
    typer.echo(f"{name}:{hash_password(password)}")
