"""One record: its facts, its score criterion by criterion, its history, its deals and its
page in the CRM."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.ui.dashboard import ViewerDep, dashboard_of
from app.ui.pages.accounts import ALL_ACCOUNTS, bad_request
from app.ui.read.account import account_view
from app.ui.read.account_filter import BadParameter
from app.ui.templating import message_page, render

router = APIRouter(prefix="/ui", include_in_schema=False)
MAX_ID = 2**63 - 1


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(request: Request, account_id: str, _viewer: ViewerDep) -> HTMLResponse:
    if not (account_id.isdecimal() and len(account_id) <= 19 and int(account_id) <= MAX_ID):
        return bad_request(request, BadParameter("id", account_id, "a record id (a number)"))
    dashboard = dashboard_of(request)
    with dashboard.session_factory() as session:
        view = account_view(session, int(account_id), dashboard.rubrics.get())
        if view is None:
            message = f"No record has the id {account_id}."
            return message_page(request, 404, "No such record", message, ALL_ACCOUNTS)
        a = view.account
        link = dashboard.crm_links.link(session, a.source, a.object_type, a.crm_id)
        context: dict[str, object] = {
            "view": view,
            "a": a,
            "crm_link": link,
            "title": a.name or f"Record #{a.id}",
        }
        return render(request, "account.html", context)
