"""The accounts list (filters, sorting, pages) and its CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from app.ui.dashboard import ViewerDep, dashboard_of
from app.ui.read import accounts
from app.ui.read.account_filter import KINDS, SOURCES, AccountFilter, BadParameter
from app.ui.templating import SECURITY_HEADERS, message_page, render
from app.validation.plan_csv import safe_text

router = APIRouter(prefix="/ui", include_in_schema=False)

CSV_COLUMNS = (
    "id",
    "source",
    "kind",
    "crm_id",
    "name",
    "domain",
    "tier",
    "score",
    "disqualified",
    "flags",
    "rubric_version",
    "scored_at",
)
COLUMNS = (("name", "Name"), ("score", "Score"), ("tier", "Tier"), ("updated", "Updated in CRM"))


ALL_ACCOUNTS = ("/ui/accounts", "Back to all accounts")


def bad_request(request: Request, error: BadParameter) -> HTMLResponse:
    return message_page(request, 400, "Bad request", str(error), ALL_ACCOUNTS)


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, _viewer: ViewerDep) -> HTMLResponse:
    try:
        found = AccountFilter.parse(request.query_params)
    except BadParameter as error:
        return bad_request(request, error)
    dashboard = dashboard_of(request)
    flags = dashboard.rubrics.get().flags
    with dashboard.session_factory() as session:
        page = accounts.page_of(session, found)
        tiers = accounts.tier_choices(session)
    context = {
        "filter": found,
        "page": page,
        "sources": SOURCES,
        "kinds": KINDS,
        "tiers": _with(tiers, found.tier),
        "flags": _with(flags, found.flag),
        "columns": COLUMNS,
        "browsable": accounts.BROWSABLE,
    }
    return render(request, "accounts.html", context)


def _with(choices: list[str], chosen: str | None) -> list[str]:
    """The choices, with the one asked for even if no stored record has it."""
    return choices if chosen is None or chosen in choices else [*choices, chosen]


@router.get("/accounts.csv", response_model=None)
def accounts_csv(request: Request, _viewer: ViewerDep) -> Response:
    try:
        found = AccountFilter.parse(request.query_params)
    except BadParameter as error:
        return bad_request(request, error)
    factory = dashboard_of(request).session_factory

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        with factory() as session:
            for number, row in enumerate(accounts.every_row(session, found), start=1):
                writer.writerow(
                    [
                        row.id,
                        row.source,
                        row.kind,
                        safe_text(row.crm_id),
                        safe_text(row.name or ""),
                        safe_text(row.domain or ""),
                        safe_text(row.tier or ""),
                        "" if row.score is None else row.score,
                        "" if row.disqualified is None else str(row.disqualified).lower(),
                        safe_text(";".join(row.flags)),
                        safe_text(row.rubric_version or ""),
                        row.scored_at.isoformat() if row.scored_at else "",
                    ]
                )
                if number % accounts.CSV_CHUNK == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    headers = SECURITY_HEADERS | {"Content-Disposition": 'attachment; filename="accounts.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)
