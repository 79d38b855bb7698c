"""`icp-sync serve`: the HTTP service."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer

from app.cli.common import RubricOption, rubric_path

MAX_WORKERS = 64


def register(cli: typer.Typer) -> None:
    cli.command()(serve)


def _in_range(low: int, high: int) -> Callable[[int], int]:
    """An option check whose message names the value (typer's own range message does not)."""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise typer.BadParameter(f"{value} is out of range: expected {low} to {high}")
        return value

    return check


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(callback=_in_range(1, 65_535), help="TCP port to listen on.")
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            callback=_in_range(1, MAX_WORKERS),
            help="HTTP processes sharing the port; the inbox worker and the schedules run in "
            "one of them.",
        ),
    ] = 1,
    worker: Annotated[
        bool,
        typer.Option("--worker/--no-worker", help="Process the webhook inbox in this process."),
    ] = True,
    schedules: Annotated[
        bool,
        typer.Option(
            "--schedules/--no-schedules",
            help="Run the scheduled syncs (with replicas on PostgreSQL: one at a time).",
        ),
    ] = True,
    rubric_file: RubricOption = None,
) -> None:
    """Run the service: webhook endpoints, the inbox worker, scheduled syncs, /healthz,
    /readyz, /metrics and the OpenAPI docs at /docs; pending migrations are applied on start."""
    import uvicorn  # the web stack is imported only by the command that serves

    from app.api.process import FACTORY, OPTIONS_VARIABLE, ServeOptions, build_app
    from app.cli.rubrics import refuse_rubric_with_directory
    from app.log_setup import configure_logging
    from app.metrics import shared_metrics_folder
    from app.rubric import load_rubric
    from app.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_format)
    refuse_rubric_with_directory(rubric_file, settings)
    path = rubric_path(rubric_file)
    rubric = load_rubric(path)  # a bad rubric fails here, once, not in every process
    options = ServeOptions(host, port, workers, worker, schedules, str(path.resolve()))
    if workers == 1:
        uvicorn.run(build_app(options, settings, rubric), host=host, port=port, log_config=None)
        return
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    with shared_metrics_folder():
        uvicorn.run(FACTORY, factory=True, workers=workers, host=host, port=port, log_config=None)
