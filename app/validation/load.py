"""The closed deals a validation is computed on, each with its account scored by a rubric.

Every closed, live deal of the store (HubSpot deals and Salesforce Opportunities alike) becomes
one `Outcome` per linked live account: won or lost, its close date, and that account's score,
tier, per-criterion points and disqualifiers under the rubric given — computed here, in
memory, so `plan` can score the same accounts with a challenger rubric and nothing is written.
The account's own deal counts are left out of its facts: a rubric reading `deals_won` would
otherwise be graded on the very outcome it predicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric, score
from app.store.repo import DealCounts
from app.store.tables import Account, Deal, DealAccount
from app.sync.facts import account_facts
from app.validation.stats import Outcome


def closed_deals(
    session: Session, *, since: date | None = None, source: str | None = None
) -> Iterator[tuple[Deal, Account]]:
    """(deal, account) for every closed, live deal and each live account it is linked to."""
    query = (
        select(Deal, Account)
        .join(DealAccount, DealAccount.deal_id == Deal.id)
        .join(
            Account,
            and_(Account.source == Deal.source, Account.crm_id == DealAccount.account_crm_id),
        )
        .where(
            Deal.is_closed.is_(True),
            Deal.archived.is_(False),
            Account.archived.is_(False),
            Account.deleted_at.is_(None),
        )
        .order_by(Deal.id, Account.id)
    )
    if source is not None:
        query = query.where(Deal.source == source)
    for deal, account in session.execute(query):
        closed_on = close_date(deal)
        if since is None or closed_on >= since:
            yield deal, account


def close_date(deal: Deal) -> date:
    """The deal's close date, else the day it was last modified (a CRM may leave it empty)."""
    if deal.close_date is not None:
        return deal.close_date
    moment = deal.crm_updated_at or deal.fetched_at
    return moment.astimezone(UTC).date()


def outcomes(
    session: Session,
    rubric: CompiledRubric,
    *,
    now: datetime,
    since: date | None = None,
    source: str | None = None,
) -> list[Outcome]:
    scored: dict[int, Outcome] = {}
    found: list[Outcome] = []
    for deal, account in closed_deals(session, since=since, source=source):
        template = scored.get(account.id)
        if template is None:
            result = score(account_facts(account, DealCounts()), rubric, now)
            template = Outcome(
                account_id=account.crm_id,
                score=result.score,
                tier=result.tier,
                won=False,
                closed_on=now.date(),
                criteria={c.id: c.points for c in result.criteria if c.points is not None},
                flags=tuple(result.flags),
            )
            scored[account.id] = template
        found.append(
            Outcome(
                account_id=template.account_id,
                score=template.score,
                tier=template.tier,
                won=deal.is_won,
                closed_on=close_date(deal),
                criteria=template.criteria,
                flags=template.flags,
            )
        )
    return found
