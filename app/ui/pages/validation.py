"""Validation: the latest stored `validate` run, and the latest `plan` of each challenger of
the rubric directory against the champion (app.validation.runs), shown before a promotion.
The figures are the HTML report's own sections (app.validation.report), so the page, the
report file and `--json` never disagree."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.api.deps import resources_of
from app.errors import IcpSyncError
from app.rubric.registry import choose, recorded_champion, rubric_files
from app.settings import Settings
from app.ui.dashboard import ViewerDep, dashboard_of
from app.ui.templating import message_page, render
from app.validation import runs
from app.validation.report import plan_sections, validation_sections
from app.validation.runs import HISTOGRAM

router = APIRouter(prefix="/ui", include_in_schema=False)
RECENT_RUNS = 15


@router.get("/validation", response_class=HTMLResponse)
def validation_page(request: Request, _viewer: ViewerDep) -> HTMLResponse:
    dashboard = dashboard_of(request)
    with dashboard.session_factory() as session:
        latest = runs.latest_run(session, runs.VALIDATE)
        plans = runs.latest_plans(session)
        recent = runs.list_runs(session, RECENT_RUNS)
        challengers, directory_error = _challengers(resources_of(request).settings, session)
    sections = None
    if latest is not None:
        report = latest.report
        sections = Markup("".join(validation_sections(report, _histogram(report))))  # noqa: S704
    context = {
        "latest": latest,
        "sections": sections,
        "plans": plans,
        "unplanned": [name for name in challengers if name not in plans],
        "directory_error": directory_error,
        "recent": recent,
    }
    return render(request, "validation.html", context)


@router.get("/validation/plans/{name}", response_class=HTMLResponse)
def plan_page(request: Request, name: str, _viewer: ViewerDep) -> HTMLResponse:
    with dashboard_of(request).session_factory() as session:
        plan = runs.latest_run(session, runs.PLAN, challenger_name=name)
    if plan is None:
        message = f"No plan of a challenger named {name!r} is stored."
        back = ("/ui/validation", "Back to validation")
        return message_page(request, 404, "No such plan", message, back)
    report = plan.report
    charted = report["validation"]["challenger"]
    html = "".join(plan_sections(report, charted, _histogram(report)))
    return render(request, "plan.html", {"plan": plan, "sections": Markup(html)})  # noqa: S704


def _challengers(settings: Settings, session: Session) -> tuple[list[str], str | None]:
    """The rubric directory's challengers now (none without a directory), or why the
    directory cannot be read."""
    if settings.rubric_dir is None:
        return [], None
    try:
        files = rubric_files(settings.rubric_dir)
        chosen = choose(files, recorded_champion(session), settings.rubric)
    except IcpSyncError as error:
        return [], str(error)
    return sorted(f.name for f in chosen.challengers), None


def _histogram(report: dict[str, Any]) -> list[tuple[int, int, int]]:
    return [(int(start), int(won), int(lost)) for start, won, lost in report.get(HISTOGRAM, [])]
