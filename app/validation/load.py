"""The closed deals a validation is computed on, each with its account scored by a rubric.

Every closed, live deal of the store (HubSpot deals and Salesforce Opportunities alike) becomes
one `Outcome` per linked live account: won or lost, its close date, and that account's score,
tier, per-criterion points and disqualifiers under the rubric given — computed here, in
memory, so `plan` can score the same accounts with a challenger rubric and nothing is written.
The account's own deal counts are left out of its facts: a rubric reading `deals_won` would
otherwise be graded on the very outcome it predicts.

Deals are read as plain driver tuples (no result processing per row: the close date is
parsed once per distinct day) into three arrays, accounts a page at a time
(`app.validation.accounts`), each scored once per rubric and kept as a few numbers
(`app.validation.record_scores`), and an account's outcomes share its criteria and flags:
the statistics take them as columns (`outcome_columns`), one record per account, not an
object per deal.

HubSpot contacts are a population of their own (`app.validation.populations`): their deals
come through `deal_contacts`, each is scored with its company's data borrowed as a sync
borrows it, and `population_columns` scores both populations in one pass over the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from itertools import repeat
from operator import eq
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from app.scoring import CompiledRubric
from app.store.tables import Account, Deal, DealAccount, DealContact
from app.sync.facts import CONTACT
from app.validation.accounts import Bools, ClosedDeals, Ints, Progress, ScoredAccounts
from app.validation.columns import OutcomeColumns
from app.validation.driver import driver_rows
from app.validation.populations import ACCOUNTS, CONTACTS, POPULATIONS
from app.validation.record_scores import (
    Candidates,
    RecordScores,
    candidates_of,
    outcome_columns_of,
    positions,
)
from app.validation.records import Outcome


def closed_deals(
    *, source: str | None = None, population: str = ACCOUNTS
) -> Select[int, int, bool, date | None]:
    """(deal id, record id, won, close date) for every closed, live deal and each live record
    of `population` it is linked to, by deal then record: an account through `deal_accounts`,
    a contact through `deal_contacts` (ids are unique per object type only: neither is joined
    through the other's links)."""
    query = select(Deal.id, Account.id, Deal.is_won, Deal.close_date)
    return _linked(query, population).where(*_live(source)).order_by(Deal.id, Account.id)


S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def _linked(query: S, population: str) -> S:
    """`query` from `Deal` joined to the records of `population` through its links."""
    if population == CONTACTS:
        return query.join(DealContact, DealContact.deal_id == Deal.id).join(
            Account,
            and_(
                Account.source == Deal.source,
                Account.crm_id == DealContact.contact_crm_id,
                Account.object_type == CONTACT,
            ),
        )
    return query.join(DealAccount, DealAccount.deal_id == Deal.id).join(
        Account,
        and_(
            Account.source == Deal.source,
            Account.crm_id == DealAccount.account_crm_id,
            Account.object_type != CONTACT,
        ),
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
    session: Session,
    *,
    source: str | None = None,
    progress: Progress | None = None,
    population: str = ACCOUNTS,
) -> ClosedDeals:
    """(record id, won, close day) per closed live deal and linked live record of
    `population`, in the order of `closed_deals`, as arrays. A deal without a close date
    closed on the day it was last modified, else fetched (a CRM may leave it empty), in UTC."""
    fallbacks: dict[int, date] | None = None
    days: dict[Any, int] = {}
    accounts: list[Ints] = []
    wons: list[Bools] = []
    ordinals: list[Ints] = []
    for chunk in driver_rows(session, closed_deals(source=source, population=population)):
        deal_ids, account_ids, won, raw_days = zip(*chunk, strict=True)
        new = set(raw_days).difference(days)
        for raw_day in new - {None}:
            days[raw_day] = _as_date(raw_day).toordinal()
        dated: Iterable[int] = map(days.__getitem__, raw_days)
        if None in new:
            if fallbacks is None:
                fallbacks = _fallback_days(session, source, population)
            dated = [
                fallbacks[deal_id].toordinal() if raw_day is None else days[raw_day]
                for deal_id, raw_day in zip(deal_ids, raw_days, strict=True)
            ]
        n = len(chunk)
        accounts.append(np.fromiter(account_ids, np.int64, n))
        wons.append(np.fromiter(map(eq, won, repeat(1)), np.bool_, n))
        ordinals.append(np.fromiter(dated, np.int64, n))
        if progress is not None:
            progress(n)
    if not accounts:
        return np.zeros(0, np.int64), np.zeros(0, np.bool_), np.zeros(0, np.int64)
    return np.concatenate(accounts), np.concatenate(wons), np.concatenate(ordinals)


def _as_date(raw: date | str) -> date:
    """A Date column as the driver returns it: a `date` (psycopg) or ISO text (SQLite)."""
    return raw if isinstance(raw, date) else date.fromisoformat(raw)


def _fallback_days(session: Session, source: str | None, population: str) -> dict[int, date]:
    query = _linked(select(Deal.id, Deal.crm_updated_at, Deal.fetched_at), population).where(
        Deal.close_date.is_(None), *_live(source)
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
    population: str = ACCOUNTS,
) -> OutcomeColumns:
    """The outcomes of one population (`population_columns`) as columns, one record per
    account (or contact): what `validate` and `plan` judge."""
    return population_columns(
        session,
        rubric,
        now=now,
        since=since,
        source=source,
        accounts=accounts,
        progress=progress,
        populations=(population,),
    )[population]


def population_columns(
    session: Session,
    rubric: CompiledRubric,
    *,
    now: datetime,
    since: date | None = None,
    source: str | None = None,
    accounts: ScoredAccounts | None = None,
    progress: Progress | None = None,
    populations: Sequence[str] = POPULATIONS,
) -> dict[str, OutcomeColumns]:
    """Per population, its outcomes as columns, one record per account (or contact), the
    records scored in one pass over the store. `accounts`: the deals read, and scores, to
    share with the command's other calls (as `plan` does); its `now` is the one scored with.
    `progress`: called with the deals read, chunk by chunk, then the records."""
    if accounts is None:
        accounts = ScoredAccounts(session, now=now, source=source, progress=progress)
    found = {name: candidates(session, accounts, since, name) for name in populations}
    scores: dict[str, RecordScores] = {}
    missing: dict[str, RecordScores] = {}
    for name in populations:
        population = accounts.population(name)
        # kept by `compare` for this call: used once, then let go
        kept = population.record_scores.pop((rubric.fingerprint, since), None)
        if kept is not None:
            scores[name] = kept
        else:
            missing[name] = RecordScores(len(found[name].ids), by_company=population.by_company)
    if missing:
        wanted = [found[name].ids for name in missing]
        only = wanted[0] if len(wanted) == 1 else np.unique(np.concatenate(wanted))
        for rows in accounts.pages(only=only):
            hits = {name: positions(found[name], rows) for name in missing}
            hit_rows = [rows[i] for hit in hits.values() for i, _ in hit]
            donors = accounts.donors(hit_rows)
            semantics = accounts.semantics(rubric, hit_rows, donors)
            for name, hit in hits.items():
                for i, at in hit:
                    own = accounts.own(rubric, rows[i], donors, semantics)
                    missing[name].add(at, rows[i], own)
        scores.update(missing)
    return {name: outcome_columns_of(found[name], scores[name]) for name in populations}


def candidates(
    session: Session, accounts: ScoredAccounts, since: date | None, population: str = ACCOUNTS
) -> Candidates:
    """The records of `population` with closed deals (since `since`), read once per
    `accounts`."""
    kept = accounts.population(population)
    if kept.closed_deals is None:
        kept.closed_deals = read_closed_deals(
            session, source=accounts.source, progress=accounts.progress, population=population
        )
    found = kept.candidates.get(since)
    if found is None:
        found = kept.candidates[since] = candidates_of(kept.closed_deals, since)
    return found
