"""`icp-sync doctor`: checks a live CRM (and the store and rubric) and says how to fix each
failure; exit code 1 when a check fails."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import JsonOption, RubricOption, console, print_json

EXIT_FAILED = 1


def register(cli: typer.Typer) -> None:
    cli.command("doctor")(doctor)


def doctor(
    source: Annotated[
        str,
        typer.Option(
            "--source", help="The CRM to check: hubspot, salesforce, or all (those configured)."
        ),
    ] = "all",
    rubric_file: RubricOption = None,
    json_output: JsonOption = False,
) -> None:
    """Check the CRM connection, scopes and permissions, the ICP properties or fields, the
    fields the rubric reads, API calls left today, webhook settings, the store and the rubric;
    print how to fix each failure. Exit code 1 when a check fails."""
    from app.crm import ALL, SOURCES, configured_sources, resolve_sources
    from app.doctor import run_checks
    from app.doctor.model import Check, failed
    from app.doctor.report import as_json, as_table, summary
    from app.errors import ConfigError
    from app.rubric import DEFAULT_RUBRIC_PATH
    from app.settings import get_settings

    if source not in (*SOURCES, ALL):
        raise ConfigError(
            f"--source: unknown CRM {source!r}; expected one of {', '.join((*SOURCES, ALL))}"
        )
    try:
        settings = get_settings()
    except ConfigError as error:
        checks = [
            Check(
                "settings",
                "local",
                "fail",
                str(error),
                "fix the ICP_SYNC_* variables named (environment or .env)",
            )
        ]
    else:
        sources = (
            configured_sources(settings) if source == ALL else resolve_sources(source, settings)
        )
        path = rubric_file or settings.rubric or DEFAULT_RUBRIC_PATH
        checks = run_checks(settings, path, sources)
    if json_output:
        print_json(as_json(checks))
    else:
        console().print(as_table(checks))
        console().print(summary(checks))
    if failed(checks):
        raise typer.Exit(EXIT_FAILED)
