"""`icp-sync serve`: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer

from app.settings import get_settings


def register(cli: typer.Typer) -> None:
    cli.command()(serve)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
) -> None:
    """Run the service (webhooks, health checks); pending migrations are applied on start."""
    import uvicorn  # the web stack is imported only by the command that serves

    from app.api.app import create_app

    uvicorn.run(create_app(get_settings()), host=host, port=port)
