"""The closed deals a validation is computed on, each with its account scored by a rubric.

Every closed, live deal of the store (HubSpot deals and Salesforce Opportunities alike) becomes
one `Outcome` per linked live account: won or lost, its close date, and that account's score,
tier, per-criterion points and disqualifiers under the rubric given — computed here, in
memory, so `plan` can score the same accounts with a challenger rubric and nothing is written.
The account's own deal counts are left out of its facts: a rubric reading `deals_won` would
otherwise be graded on the very outcome it predicts.

Half a million deals are read as plain driver tuples (no result processing per row: the
close date is parsed once per distinct day), each account is scored once per rubric
(`app.validation.accounts`), and an account's outcomes share its criteria and flags: the
statistics take them as columns (`outcome_columns`), one record per account, not an object
per deal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from itertools import repeat
from operator import attrgetter, eq, itemgetter
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric, ScoreResult
from app.store.tables import Account, Deal, DealAccount
from app.validation.accounts import ClosedDeal, DealColumns, Progress, ScoredAccounts
from app.validation.columns import OutcomeColumns
from app.validation.driver import driver_rows
from app.validation.records import Outcome

Template = tuple[str, int, str, dict[str, float], tuple[str, ...]]
"""An account's part of its outcomes: CRM id, score, tier, criteria points, flags."""


def closed_deals(*, source: str | None = None) -> Select[int, int, bool, date | None]:
    """(deal id, account id, won, close date) for every closed, live deal and each live
    account it is linked to, by deal then account."""
    return (
        select(Deal.id, Account.id, Deal.is_won, Deal.close_date)
        .join(DealAccount, DealAccount.deal_id == Deal.id)
        .join(
            Account,
            and_(Account.source == Deal.source, Account.crm_id == DealAccount.account_crm_id),
        )
        .where(*_live(source))
        .order_by(Deal.id, Account.id)
    )


def _live(source: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Deal.is_closed.is_(True),
        Deal.archived.is_(False),
        Account.archived.is_(False),
        Account.deleted_at.is_(None),
    ]
    if source is not None:
        conditions.append(Deal.source == source)
    return conditions


def read_closed_deals(
    session: Session, *, source: str | None = None, progress: Progress | None = None
) -> list[ClosedDeal]:
    """(account id, won, close date) per closed live deal and linked live account, in the
    order of `closed_deals`. A deal without a close date closed on the day it was last
    modified, else fetched (a CRM may leave it empty), in UTC."""
    fallbacks: dict[int, date] | None = None
    days: dict[Any, date] = {}
    found: list[ClosedDeal] = []
    for chunk in driver_rows(session, closed_deals(source=source)):
        deal_ids, account_ids, wons, raw_days = zip(*chunk, strict=True)
        new = set(raw_days).difference(days)
        for raw_day in new - {None}:
            days[raw_day] = _as_date(raw_day)
        dated: Iterable[date] = map(days.__getitem__, raw_days)
        if None in new:
            if fallbacks is None:
                fallbacks = _fallback_days(session, source)
            dated = [
                fallbacks[deal_id] if raw_day is None else days[raw_day]
                for deal_id, raw_day in zip(deal_ids, raw_days, strict=True)
            ]
        found.extend(zip(account_ids, map(eq, wons, repeat(1)), dated, strict=True))
        if progress is not None:
            progress(len(chunk))
    return found


def _as_date(raw: date | str) -> date:
    """A Date column as the driver returns it: a `date` (psycopg) or ISO text (SQLite)."""
    return raw if isinstance(raw, date) else date.fromisoformat(raw)


def _fallback_days(session: Session, source: str | None) -> dict[int, date]:
    query = (
        select(Deal.id, Deal.crm_updated_at, Deal.fetched_at)
        .join(DealAccount, DealAccount.deal_id == Deal.id)
        .join(
            Account,
            and_(Account.source == Deal.source, Account.crm_id == DealAccount.account_crm_id),
        )
        .where(Deal.close_date.is_(None), *_live(source))
    )
    return {
        deal_id: (updated or fetched).astimezone(UTC).date()
        for deal_id, updated, fetched in session.execute(query)
    }


def outcomes(
    session: Session,
    rubric: CompiledRubric,
    *,
    now: datetime,
    since: date | None = None,
    source: str | None = None,
    accounts: ScoredAccounts | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """One `Outcome` per closed deal and linked account: `outcome_columns` as objects."""
    return outcome_columns(
        session, rubric, now=now, since=since, source=source, accounts=accounts, progress=progress
    ).outcomes()


def outcome_columns(
    session: Session,
    rubric: CompiledRubric,
    *,
    now: datetime,
    since: date | None = None,
    source: str | None = None,
    accounts: ScoredAccounts | None = None,
    progress: Progress | None = None,
) -> OutcomeColumns:
    """The outcomes as columns, one record per account (what `validate` and `plan` judge).
    `accounts`: the accounts and deals read, and scores, to share with the command's other
    calls (as `plan` does); its `now` is the one scored with. `progress`: called with the
    deals read, chunk by chunk."""
    if accounts is None:
        accounts = ScoredAccounts(session, now=now, source=source, progress=progress)
    if accounts.closed_deals is None:
        accounts.closed_deals = read_closed_deals(
            session, source=source, progress=progress or accounts.progress
        )
    found = accounts.deal_columns.get(since)
    if found is None:
        found = accounts.deal_columns[since] = _deal_columns(
            accounts.closed_deals, since, accounts.rows()
        )
    records, deal_record, won, day = found
    profiles = _Profiles()
    templates = [_template(accounts, rubric, i, profiles) for i in records]
    return OutcomeColumns(
        account_id=[t[0] for t in templates],
        score=[t[1] for t in templates],
        tier=[t[2] for t in templates],
        criteria=[t[3] for t in templates],
        flags=[t[4] for t in templates],
        deal_record=deal_record,
        won=won,
        closed_on=day,
    )


def _deal_columns(
    deals: list[ClosedDeal], since: date | None, live: Mapping[int, object]
) -> DealColumns:
    """The account ids of the records, in the order of their first deal, then per deal its
    record, won and close day (an ordinal), for the deals closed since `since` of live
    accounts."""
    n = len(deals)
    account = np.fromiter(map(itemgetter(0), deals), np.int64, n)
    won = np.fromiter(map(itemgetter(1), deals), np.bool_, n)
    day = np.fromiter(map(date.toordinal, map(itemgetter(2), deals)), np.int64, n)
    if since is not None:
        kept = day >= since.toordinal()
        account, won, day = account[kept], won[kept], day[kept]
    ids, first, inverse = np.unique(account, return_index=True, return_inverse=True)
    # archived or deleted by a sync between the two reads: their deals are left out
    alive = np.fromiter((i in live for i in ids.tolist()), np.bool_, len(ids))
    if not alive.all():
        kept = alive[inverse.reshape(-1)]
        account, won, day = account[kept], won[kept], day[kept]
        ids, first, inverse = np.unique(account, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(ids), np.int64)
    rank[order] = np.arange(len(ids), dtype=np.int64)
    return ids[order].tolist(), rank[inverse.reshape(-1)], won, day


class _Profiles:
    """One criteria mapping per distinct set of criterion points: accounts scoring alike share
    one mapping, which the statistics group by identity (a few hundred profiles, not one per
    account)."""

    def __init__(self) -> None:
        self._known: dict[tuple[tuple[str, ...], tuple[float | None, ...]], dict[str, float]] = {}

    def criteria(self, result: ScoreResult) -> dict[str, float]:
        key = (tuple(map(_ID, result.criteria)), tuple(map(_POINTS, result.criteria)))
        known = self._known.get(key)
        if known is None:
            points = {c.id: c.points for c in result.criteria if c.points is not None}
            known = self._known[key] = points
        return known


_ID, _POINTS = attrgetter("id"), attrgetter("points")


def _template(
    accounts: ScoredAccounts, rubric: CompiledRubric, account_id: int, profiles: _Profiles
) -> Template:
    result = accounts.own(rubric, account_id)
    return (
        accounts.rows()[account_id].crm_id,
        result.score,
        result.tier,
        profiles.criteria(result),
        result.flags,
    )
