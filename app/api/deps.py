"""What route handlers receive: the per-app resources built by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.api.inbox_writer import InboxWriter
from app.settings import Settings


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    head_revision: str
    inbox_writer: InboxWriter


def resources_of(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


async def get_resources(request: Request) -> Resources:
    """The dependency. A coroutine on purpose: FastAPI runs a plain function dependency in a
    worker thread: a thread hop per request for an attribute read."""
    return resources_of(request)


ResourcesDep = Annotated[Resources, Depends(get_resources)]
