"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from app.api.deps import Resources
from app.api.inbox_writer import InboxWriter
from app.api.middleware import RequestIdMiddleware
from app.api.routes import admin, health, metrics, sync_freshness, webhooks
from app.settings import Settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import head_revision, upgrade_to_head
from app.ui.dashboard import mount_dashboard

if TYPE_CHECKING:
    from app.election import Background


def create_app(
    settings: Settings, *, runtime: Callable[[Resources], Background] | None = None
) -> FastAPI:
    """The service for `settings`; migrations are applied when it starts (lifespan), then
    `runtime` (the inbox worker and scheduled syncs, built from the app's resources) is
    started, and stopped on shutdown. Without it the app only receives and answers.

    A database URL or a dashboard users file that cannot be used raises `ConfigError` here,
    before anything is served.
    """
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    resources = Resources(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        head_revision=head_revision(),
        inbox_writer=InboxWriter(session_factory),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            # Blocking on purpose: nothing should be served before the schema is current.
            upgrade_to_head(settings.database_url)
            background = runtime(resources) if runtime is not None else None
            if background is not None:
                background.start()
            try:
                yield
            finally:
                if background is not None:
                    background.stop()
        finally:
            resources.inbox_writer.stop()
            engine.dispose()

    app = FastAPI(title="icp-sync", lifespan=lifespan)
    app.state.resources = resources
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(sync_freshness.router)
    app.include_router(webhooks.router)
    app.include_router(metrics.router)
    app.include_router(admin.router)
    mount_dashboard(app, settings, session_factory)
    return app
