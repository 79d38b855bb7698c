"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.deps import Resources
from app.api.routes import health
from app.settings import Settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import head_revision, upgrade_to_head


def create_app(settings: Settings) -> FastAPI:
    """The service for `settings`; migrations are applied when it starts (lifespan).

    A database URL that cannot be used raises `ConfigError` here, before anything is served.
    """
    engine = make_engine(settings.database_url)
    resources = Resources(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        head_revision=head_revision(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            # Blocking on purpose: nothing should be served before the schema is current.
            upgrade_to_head(settings.database_url)
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="icp-sync", lifespan=lifespan)
    app.state.resources = resources
    app.include_router(health.router)
    return app
