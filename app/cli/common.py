"""What the CLI commands share: rubric resolution, `--as-of`, JSON output, and how a user
error is reported.

The modules `app.cli.main` registers load only this, typer and the standard library at import:
`icp-sync --help` imports them all, so rich, pydantic, the settings, SQLAlchemy and the CRM
clients are imported inside the commands that use them (tests/app/cli/test_cli_imports.py).
Modules only a command imports (`compare`, `rubrics`, `progress`) need not."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.errors import IcpSyncError

if TYPE_CHECKING:
    from rich.console import Console

    from app.rubric import Rubric


def user_error_types() -> tuple[type[Exception], ...]:
    """What a user can act on: bad input or settings, a CRM refusing or failing, the store
    failing. Anything else escaping a command is a bug and keeps its traceback.

    The connector and SQLAlchemy classes are taken only once their module was imported: an
    error of a class never imported cannot have been raised, and importing SQLAlchemy only to
    learn that would slow every command's start, `--help` included."""
    types: list[type[Exception]] = [IcpSyncError]
    if "connectors.errors" in sys.modules:
        from connectors.errors import ConnectorError

        types.append(ConnectorError)
    if "sqlalchemy.exc" in sys.modules:
        from sqlalchemy.exc import DBAPIError

        types.append(DBAPIError)
    return tuple(types)


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
RubricOption = Annotated[
    Path | None,
    typer.Option(
        "--rubric",
        help="Rubric YAML file. Default: ICP_SYNC_RUBRIC, else the shipped default rubric.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Score as of this ISO-8601 date or time (UTC if no offset); default: now. "
        "Recency criteria count days up to it.",
    ),
]


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def user_error_message(error: Exception) -> str:
    """The one-line reason shown for a user error: never a credential (connector and settings
    errors are built without them), never a SQL statement or its parameters (they hold CRM
    data), only the database driver's first line."""
    if "sqlalchemy.exc" not in sys.modules:  # then no store error was raised
        return str(error)
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return str(error)
    reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
    hint = (
        "; another process is writing to this SQLite store: run again, or use "
        "PostgreSQL for a service and CLI runs side by side"
        if "database is locked" in reason
        else ""
    )
    return f"the store failed: {reason}{hint}"


def error_document(message: str, exit_code: int, **context: str) -> dict[str, Any]:
    """A failure as `--json` prints it: what failed (`context`, such as the CRM), why, and the
    exit code it leads to."""
    return {**context, "error": message, "exit_code": exit_code}


def print_error(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(message)}"
    )


def report_error(message: str, exit_code: int, *, as_json: bool) -> None:
    """`error: message` on stderr; with `--json` also its `error_document` on stdout, so a
    script reading stdout gets JSON whatever the outcome."""
    if as_json:
        print_json(error_document(message, exit_code))
    print_error(message)


def rubric_path(option: Path | None) -> Path:
    """`--rubric`, else the rubric directory's champion, else ICP_SYNC_RUBRIC, else the
    shipped default (app.rubric.registry). The settings are read only if anything is
    configured: `score` on a file does without pydantic-settings otherwise."""
    if option is not None:
        return option
    from app.rubric import DEFAULT_RUBRIC_PATH
    from app.settings_sources import anything_configured

    if not anything_configured():  # the default settings, known without reading them
        return DEFAULT_RUBRIC_PATH
    from app.settings import get_settings

    settings = get_settings()
    if settings.rubric_dir is not None:
        from app.cli.rubrics import resolve_rubrics

        return resolve_rubrics(None, settings).champion.path
    return settings.rubric or DEFAULT_RUBRIC_PATH


def resolve_rubric(option: Path | None) -> Rubric:
    from app.rubric import load_rubric

    return load_rubric(rubric_path(option))


def as_of(option: str | None) -> datetime:
    if option is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(option)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise IcpSyncError(
            f"--as-of: expected an ISO-8601 date or time such as 2026-11-23, got {option!r}"
        ) from None
