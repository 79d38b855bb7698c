"""The pages' Jinja2 environment (autoescaped; an undefined name is an error, not an empty
string) and the filters that format figures the same way on every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def number(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d")


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("app.ui", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(number=number, percent=percent, when=when, day=day)
    return environment


ENVIRONMENT = _environment()


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    viewer = getattr(request.state, "viewer", None)
    page = ENVIRONMENT.get_template(template).render(
        viewer=viewer, path=request.url.path, **context
    )
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


def message_page(
    request: Request, status_code: int, title: str, message: str, back: tuple[str, str]
) -> HTMLResponse:
    """A page saying what went wrong (a bad parameter, a missing record), with a way back:
    `back` is (address, link text)."""
    context = {"title": title, "message": message, "back": back[0], "back_label": back[1]}
    return render(request, "message.html", context, status_code=status_code)
