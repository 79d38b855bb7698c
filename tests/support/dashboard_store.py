"""A store that looks like months of icp-sync running on two CRMs, built fast (bulk inserts):
for the dashboard's browser tests (10,000 accounts) and its page bench (100,000).

    seed = seed_dashboard_store(sessions, accounts=10_000, now=NOW)

Into an empty, migrated store: HubSpot companies and contacts, Salesforce accounts and leads
(`tests.support.dashboard_records`: the CRM sandbox's seed through the connectors' mappings)
and their deals, won, lost and open. Scored by the product's own code (scores, score history,
the writeback's desired state) over the 90 days before `now`: first under an earlier rubric
(the default with other tier thresholds and a smaller `too_small`) by the bulk mode
(app.sync.bulk), a page at a time from 90 to 61 days before; then the default rubric rolled
out 30 days before (the bulk mode again); then, on each of the last 28 days, the companies and
Salesforce accounts that grew that day (one in twelve in all) rescored as a sync would (the
per-record path, app.sync.rescore). Then the operational state (tests.support.dashboard_operations): each CRM's sync
state and health, the webhook inbox, and the writeback's outcomes. Counts of what is there
are read back from the store into a `DashboardSeed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import Engine, and_, case, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import DEFAULT_RUBRIC_PATH, load_rubric
from app.rubric.loader import parse_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.engine import make_session_factory
from app.store.statistics import analyse
from app.store.tables import (
    Account,
    Deal,
    DealAccount,
    Score,
    ScoreHistory,
    WebhookEvent,
    WritebackState,
)
from app.sync.bulk import BulkRescore
from app.sync.rescore import Renderer, rescore_with_prospects_of
from connectors.hubspot.render import render_score as hubspot_values
from connectors.salesforce.render import render_score as salesforce_values
from tests.support.dashboard_operations import (
    LAST_SYNC,
    record_inbox,
    record_sync_runs,
    record_writeback_outcomes,
)
from tests.support.dashboard_records import CrmRecords, hubspot_records, salesforce_records
from tests.support.store_rows import account_row, deal_row

RENDERERS: dict[str, Renderer] = {"hubspot": hubspot_values, "salesforce": salesforce_values}
EARLIER_VERSION = "2026.09-default"
CHUNK = 5_000
MIN_PAGE = 50
ROLLOUT_PAGE = 2_000
GREW_EVERY = 12
"""One company or Salesforce account in this many grows in the last `GROWTH_DAYS` days."""
GROWTH_DAYS = 28
SYNC_LAG = timedelta(minutes=5)
EMPLOYEES_PROPERTY = {"hubspot": "numberofemployees", "salesforce": "NumberOfEmployees"}


@dataclass(frozen=True, slots=True)
class DashboardSeed:
    """What the store holds, counted back from it."""

    now: datetime
    accounts: dict[tuple[str, str], int]
    """(source, object type) → account rows: hubspot company and contact, salesforce account
    and lead."""
    live_accounts: int
    """Accounts neither archived nor deleted: each has a score."""
    deals: dict[str, int]
    """"won", "lost", "open" → deals of both CRMs, archived ones included."""
    history_rows: int
    rubric_versions: tuple[str, str]
    """The written versions (app.scoring.compiled.written_version): earlier, current."""
    retiered: int
    """Live accounts whose tier under the current rubric is not their first (earlier) one."""
    webhook_events: dict[str, int]
    """Inbox status (pending, done, dead) → events."""
    writeback: dict[str, int]
    """Writeback status (pending, written, failed) → accounts."""

    @property
    def total_accounts(self) -> int:
        return sum(self.accounts.values())


def seed_dashboard_store(
    store: sessionmaker[Session] | Engine, *, accounts: int, now: datetime, seed: int = 7
) -> DashboardSeed:
    """Fills an empty, migrated store with `accounts` accounts (45 % HubSpot companies, 10 %
    contacts, 35 % Salesforce accounts, 10 % leads) and all that goes with them, as of `now`."""
    if accounts < 10:
        raise ValueError(f"accounts: at least 10, got {accounts}")
    if now.tzinfo is None:
        raise ValueError(f"now: a time zone is needed, got {now.isoformat()}")
    sessions = make_session_factory(store) if isinstance(store, Engine) else store
    companies, sf_accounts = accounts * 45 // 100, accounts * 35 // 100
    people = accounts - companies - sf_accounts
    as_of = now - timedelta(days=1)
    crms = [
        hubspot_records(seed, companies, people // 2, as_of),
        salesforce_records(seed + 1, sf_accounts, people - people // 2, as_of),
    ]
    with sessions() as session:
        for records in crms:
            _insert(session, records, now - LAST_SYNC)
        session.commit()
    earlier, current = _earlier_rubric(), compile_rubric(load_rubric())
    first = now - timedelta(days=90)
    _rescore_all(sessions, earlier, lambda i, n: first + timedelta(days=29) * i / n, pages=60)
    rollout = now - timedelta(days=30)
    _rescore_all(sessions, current, lambda i, n: rollout + timedelta(seconds=3 * i), pages=None)
    _grow(sessions, current, now)
    with sessions() as session:
        record_sync_runs(session, now)
        record_inbox(session, now, events=max(20, accounts // 25))
        record_writeback_outcomes(session, now)
        session.commit()
    analyse(sessions.kw["bind"])  # as months of `serve` leave it (app.store.statistics)
    with sessions() as session:
        return _counted(session, now, (earlier.written_version, current.written_version))


def _insert(session: Session, records: CrmRecords, fetched_at: datetime) -> None:
    connection = session.connection()
    rows = [account_row(None, record, fetched_at) for record in records.accounts]
    for chunk in _chunks(rows):
        connection.execute(insert(Account), chunk)
    deals = [{k: v for k, v in deal_row(0, r, fetched_at)[0].items() if k != "id"}
             for r in records.deals]  # fmt: skip
    for chunk in _chunks(deals):
        connection.execute(insert(Deal), chunk)
    source = records.deals[0].source if records.deals else None
    ids = dict(connection.execute(select(Deal.crm_id, Deal.id).where(Deal.source == source)).all())
    links = [{"deal_id": ids[r.crm_id], "account_crm_id": r.account_ids[0]}
             for r in records.deals if r.account_ids]  # fmt: skip
    for chunk in _chunks(links):
        connection.execute(insert(DealAccount), chunk)


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _earlier_rubric() -> CompiledRubric:
    """The default rubric as it was: other tier thresholds, and only under 5 employees too
    small (so accounts moved tier, some into `disqualified`, when the default rolled out)."""
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"))
    document["version"] = EARLIER_VERSION
    for tier, threshold in zip(document["tiers"], (60, 40, 0), strict=True):
        tier["min_score"] = threshold
    for rule in document["disqualifiers"]:
        if rule["id"] == "too_small":
            rule["less_than"] = 5
    return compile_rubric(parse_rubric(document, "earlier default rubric"))


def _rescore_all(
    sessions: sessionmaker[Session],
    rubric: CompiledRubric,
    clock: Callable[[int, int], datetime],
    *,
    pages: int | None,
) -> None:
    """Each CRM's live records rescored by the product's bulk mode in `pages` pages (of at
    least `MIN_PAGE` records; None: of `ROLLOUT_PAGE`), the i-th of n at `clock(i, n)`."""
    for source, render in RENDERERS.items():
        with sessions() as session:
            count = session.scalar(
                select(func.count()).select_from(Account).where(Account.source == source)
            )
            size = max(MIN_PAGE, -(-(count or 0) // pages)) if pages else ROLLOUT_PAGE
            n = max(1, -(-(count or 0) // size))
            rescorer = BulkRescore(session, source, rubric, render, processes=0)
            after: int | None = 0
            page = 0
            try:
                while after is not None:
                    _, after = rescorer.page(after, size, clock(min(page, n - 1), n))
                    page += 1
            finally:
                rescorer.close()
            session.commit()


def _grow(sessions: sessionmaker[Session], rubric: CompiledRubric, now: datetime) -> None:
    """One company or Salesforce account in `GREW_EVERY` grows by half again, as its CRM says
    on one of the 28 days before `now`, and is rescored that day with the prospects that fall
    back on it, as a sync would (the per-record path, app.sync.rescore)."""
    with sessions() as session:
        for source, render in RENDERERS.items():
            grown = session.scalars(
                select(Account)
                .where(
                    Account.source == source,
                    Account.id % GREW_EVERY == 5,
                    Account.object_type.in_(("company", "account")),
                    Account.employees.is_not(None),
                    Account.archived.is_(False),
                )
                .order_by(Account.id)
            ).all()
            for day in range(GROWTH_DAYS):
                changed_at = now - timedelta(days=GROWTH_DAYS - day, hours=day % 7)
                batch = grown[day::GROWTH_DAYS]
                for account in batch:
                    more = (account.employees or 0) * 3 // 2 + 1
                    account.employees = more
                    account.properties = account.properties | {
                        EMPLOYEES_PROPERTY[source]: str(more)
                    }
                    account.crm_updated_at = account.fetched_at = changed_at
                rescore_with_prospects_of(
                    session, batch, rubric=rubric, render=render, now=changed_at + SYNC_LAG
                )
        session.commit()


def _counted(session: Session, now: datetime, versions: tuple[str, str]) -> DashboardSeed:
    def by(*columns: Any, where: Any = True) -> dict[Any, int]:
        query = select(*columns, func.count()).where(where).group_by(*columns)
        return {
            tuple(row[:-1]) if len(row) > 2 else row[0]: row[-1] for row in session.execute(query)
        }

    outcome = case(
        (and_(Deal.is_closed, Deal.is_won), "won"), (Deal.is_closed, "lost"), else_="open"
    )
    retiered = select(func.count()).select_from(Score).join(
        ScoreHistory,
        and_(ScoreHistory.account_id == Score.account_id, ScoreHistory.tier != Score.tier),
    ).where(ScoreHistory.rubric_version == versions[0])  # fmt: skip

    return DashboardSeed(
        now=now,
        accounts=by(Account.source, Account.object_type),
        live_accounts=session.scalar(
            select(func.count()).where(Account.archived.is_(False), Account.deleted_at.is_(None))
        )
        or 0,
        deals=by(outcome),
        history_rows=session.scalar(select(func.count()).select_from(ScoreHistory)) or 0,
        rubric_versions=versions,
        retiered=session.scalar(retiered) or 0,
        webhook_events=by(WebhookEvent.status),
        writeback=by(WritebackState.status),
    )
