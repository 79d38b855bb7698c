"""What the pages share, built once per process by `create_app`: who may log in and the
store's sessions; `viewer` is every page's dependency."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, cast
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.ui.auth import COOKIE, UiAuth, Viewer
from app.ui.crm_links import CrmLinks
from app.ui.read.rubrics import RubricCatalog
from app.ui.read.tier_history import TierHistory

STATIC = Path(__file__).parent / "static"


@dataclass
class Dashboard:
    auth: UiAuth
    session_factory: sessionmaker[Session]
    rubrics: RubricCatalog
    crm_links: CrmLinks
    tier_history: TierHistory = field(default_factory=TierHistory)


def mount_dashboard(
    app: FastAPI, settings: Settings, session_factory: sessionmaker[Session]
) -> Dashboard:
    """Adds /ui to `app`; a users file that cannot be used raises `ConfigError` here."""
    from app.ui.pages import account, accounts, login, overview, validation

    dashboard = Dashboard(
        UiAuth(settings), session_factory, RubricCatalog(settings), CrmLinks(settings)
    )
    app.state.dashboard = dashboard
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    for module in (login, overview, accounts, account, validation):
        app.include_router(module.router)
    return dashboard


def dashboard_of(request: Request) -> Dashboard:
    return cast(Dashboard, request.app.state.dashboard)


async def require_viewer(request: Request) -> Viewer:
    """The viewer behind the request (a bearer admin token, else the session cookie). Without
    one, a browser asking for a page is sent to the login form; anything else answers 401."""
    auth = dashboard_of(request).auth
    if not auth.enabled:
        raise HTTPException(404, "Not Found")
    viewer = auth.bearer(request.headers.get("authorization")) or auth.from_cookie(
        request.cookies.get(COOKIE)
    )
    if viewer is None:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": f"/ui/login?next={quote(target)}"})
        raise HTTPException(
            401,
            "log in at /ui/login, or send Authorization: Bearer <admin token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(require_viewer)]
