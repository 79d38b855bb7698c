"""Entry point of the `icp-sync` command: wires the sub-commands, and turns user errors into
a clear message and exit code 1 instead of a traceback; with `--json`, also into a JSON error
object on stdout (usage errors too), so a script reading stdout always gets JSON."""

from __future__ import annotations

from typing import Any

import typer
from typer._click.exceptions import UsageError  # typer vendors click; not re-exported
from typer.core import TyperGroup

from app.cli import (
    db,
    demo,
    doctor,
    inbox,
    plan,
    promote,
    rescore,
    rubric,
    sandbox,
    scoring,
    serve,
    status,
    sync,
    ui_password,
    validate,
)
from app.cli.common import (
    error_document,
    print_json,
    report_error,
    user_error_message,
    user_error_types,
)

EXIT_USER_ERROR = 1
_JSON_ASKED = "icp_sync.json_asked"


def asks_for_json(args: list[str]) -> bool:
    """Whether the command line has `--json` (an option, not an argument after `--`)."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options


class _UserErrorsAsMessages(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Seen here, on the whole command line, because a usage error stops the sub-command
        # before its own `--json` is parsed.
        ctx.meta[_JSON_ASKED] = asks_for_json(args)
        return super().parse_args(ctx, args)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            # `icp-sync` with a sub-command leaves this `--help` out; typer validates an
            # option's value through pydantic unless it is a bool already, and importing
            # pydantic for it is most of `icp-sync score --help`'s start.
            option.default = False
        return option

    def invoke(self, ctx: Any) -> Any:  # typer vendors click; its Context type is private
        as_json = bool(ctx.meta.get(_JSON_ASKED))
        try:
            return super().invoke(ctx)
        except UsageError as error:  # click still prints the usage on stderr and exits 2
            if as_json:
                print_json(error_document(error.format_message(), error.exit_code))
            raise
        except user_error_types() as error:  # evaluated only once a command has raised
            # A CRM refusing or failing is reported like bad input: its message names the
            # call and HubSpot's or Salesforce's reason, never a credential.
            report_error(user_error_message(error), EXIT_USER_ERROR, as_json=as_json)
            raise typer.Exit(EXIT_USER_ERROR) from None


cli = typer.Typer(
    cls=_UserErrorsAsMessages,
    name="icp-sync",
    help="Score CRM accounts against your Ideal Customer Profile and write the result back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # click's plain help and usage errors (for every sub-command too): typer's rich panels
    # cost each `--help` importing and rendering rich, longer than the rest of the start.
    rich_markup_mode=None,
    # As wide as the terminal up to 120 columns (click stops at 80), so that the listing of
    # commands shows more of each one's first sentence.
    context_settings={"max_content_width": 120},
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
plan.register(cli)
doctor.register(cli)
promote.register(cli)
rescore.register(cli)
ui_password.register(cli)


def run() -> None:
    """Console-script entry point."""
    cli()
