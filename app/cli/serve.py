"""`icp-sync serve`: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import RubricOption, resolve_rubric
from app.settings import get_settings


def register(cli: typer.Typer) -> None:
    cli.command()(serve)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
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

    from app.api.app import create_app
    from app.api.deps import Resources
    from app.log_setup import configure_logging
    from app.runtime import Runtime

    settings = get_settings()
    configure_logging(settings.log_format)
    rubric = resolve_rubric(rubric_file)

    def runtime(resources: Resources) -> Runtime:
        return Runtime(
            settings,
            rubric,
            resources.engine,
            resources.session_factory,
            run_worker=worker,
            run_schedules=schedules,
        )

    uvicorn.run(create_app(settings, runtime=runtime), host=host, port=port, log_config=None)
