"""The login form and logging out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.ui.auth import COOKIE
from app.ui.dashboard import dashboard_of
from app.ui.templating import SECURITY_HEADERS, render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/ui", include_in_schema=False)
HOME = "/ui/"


def _safe_next(target: str) -> str:
    """Only a dashboard path: never another site (`//evil`, `https://…`) after logging in."""
    if target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


@router.get("/login")
def login_form(request: Request, next: str = HOME) -> Response:
    if not dashboard_of(request).auth.enabled:
        raise HTTPException(404, "Not Found")
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login")
def log_in(
    request: Request,
    password: Annotated[str, Form(max_length=1024)],
    username: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2048)] = HOME,
) -> Response:
    auth = dashboard_of(request).auth
    if not auth.enabled:
        raise HTTPException(404, "Not Found")
    address, now = request.client.host if request.client else "", datetime.now(UTC)
    wait = auth.throttle.retry_after(address, now)
    if wait is not None:
        context = {
            "next": _safe_next(next),
            "username": username,
            "error": f"Too many failed logins: try again in {wait // 60 + 1} minutes.",
        }
        refused = render(request, "login.html", context, status_code=429)
        refused.headers["Retry-After"] = str(wait)
        logger.warning("dashboard: login refused from %s: too many failures", address)
        return refused
    viewer = auth.check_login(username, password)
    if viewer is None:
        auth.throttle.failed(address, now)
        logger.warning("dashboard: failed login (user %r) from %s", username[:64], address)
        context = {
            "next": _safe_next(next),
            "error": "Wrong user or password.",
            "username": username,
        }
        return render(request, "login.html", context, status_code=401)
    auth.throttle.succeeded(address)
    logger.info("dashboard: %s logged in from %s", viewer.name, address)
    response = RedirectResponse(_safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE,
        auth.cookie_for(viewer),
        max_age=auth.max_age,
        path="/ui",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def log_out() -> Response:
    response = RedirectResponse("/ui/login", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("")
def root() -> Response:
    return RedirectResponse(HOME, status_code=307)
