"""Overview: the tiers now and over time, the rubric in force, the last syncs, the inbox and
the CRM writes owed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.ui.charts import bar_chart, line_chart
from app.ui.dashboard import ViewerDep, dashboard_of
from app.ui.read import overview
from app.ui.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
HISTORY_DAYS = 90


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, _viewer: ViewerDep) -> HTMLResponse:
    dashboard = dashboard_of(request)
    now = datetime.now(UTC)
    with dashboard.session_factory() as session:
        tiers = overview.tier_counts(session)
        history = dashboard.tier_history.series(session, now.date(), HISTORY_DAYS)
        context = {
            "tiers": tiers,
            "kind_names": overview.KINDS,
            "rubric": overview.rubric_in_force(session),
            "syncs": overview.last_syncs(session),
            "inbox": overview.inbox_depth(session),
            "writes": overview.writes_owed(session),
            "history": history,
        }
    context["tier_chart"] = bar_chart(
        "tiers-now",
        "Records per tier now",
        [(tier, tiers.total(tier)) for tier in tiers.tiers],
    )
    ordered = {t: history.counts[t] for t in tiers.tiers if t in history.counts}
    ordered |= {t: c for t, c in history.counts.items() if t not in ordered}
    context["history_chart"] = line_chart(
        "tiers-over-time",
        f"Records per tier at the end of each of the last {HISTORY_DAYS} days",
        history.days,
        ordered,
    )
    last = len(history.days) - 1
    context["history_tiers"] = list(ordered)
    context["history_rows"] = [
        (day, [values[index] for values in ordered.values()])
        for index, day in enumerate(history.days)
        if (last - index) % 7 == 0
    ]
    return render(request, "overview.html", context)
