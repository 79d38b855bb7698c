"""Reads and writes of the canonical records. Never commits: the caller owns the transaction,
so a page of records and its cursor checkpoint land together or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.store.insert import insert_ignoring_conflicts
from app.store.tables import Account, Deal, DealAccount, DealContact, SyncState
from connectors.records import CrmAccount, CrmDeal, Cursor


def upsert_accounts(
    session: Session, records: Sequence[CrmAccount], *, fetched_at: datetime
) -> list[Account]:
    """Inserts or updates one row per record (by source, object type and CRM id); returns the
    rows in the order of `records`. A record older than the row (`modified_at` before its
    `crm_updated_at`) leaves the row as it is: an incremental pull reads HubSpot's search,
    which may still hold a version older than one a full pull or a webhook read by id."""
    if not records:
        return []
    source = records[0].source
    crm_ids = {r.crm_id for r in records}

    def stored() -> dict[tuple[str, str], Account]:
        query = select(Account).where(Account.source == source, Account.crm_id.in_(crm_ids))
        return {(a.object_type, a.crm_id): a for a in session.scalars(query)}

    existing = stored()
    missing = sorted({(r.object_type, r.crm_id) for r in records} - set(existing))
    if missing:  # a concurrent writer may create some of them first: both go on with its row
        insert = insert_ignoring_conflicts(session, Account, ["source", "object_type", "crm_id"])
        session.execute(insert.values([
            {"source": source, "object_type": object_type, "crm_id": crm_id,
             "technologies": [], "properties": {}, "fetched_at": fetched_at}
            for object_type, crm_id in missing
        ]))  # fmt: skip
        existing = stored()
    rows = []
    for record in records:
        row = existing[(record.object_type, record.crm_id)]
        rows.append(row)
        if row.crm_updated_at is not None and record.modified_at < row.crm_updated_at:
            continue  # an older version (HubSpot's search trails reads by id): keep the newer
        row.name = record.name
        row.domain = record.domain
        row.industry = record.industry
        row.employees = record.employees
        row.annual_revenue = record.annual_revenue
        row.country = record.country
        row.state = record.state
        row.technologies = list(record.technologies)
        row.properties = dict(record.properties)
        row.email = record.email
        row.title = record.title
        row.company_crm_id = record.company_id
        row.crm_created_at = record.created_at
        row.crm_updated_at = record.modified_at
        row.archived = record.archived
        row.deleted_at = None
        row.fetched_at = fetched_at
    session.flush()
    return rows


def mark_unseen_deleted(
    session: Session,
    source: str,
    object_types: Iterable[str],
    *,
    pulled_since: datetime,
    now: datetime,
) -> int:
    """After a complete full pull: rows of these types the pull did not return no longer exist
    in the CRM (deleted for good). Returns how many were marked."""
    result = session.execute(
        update(Account)
        .where(
            Account.source == source,
            Account.object_type.in_(set(object_types)),
            Account.fetched_at < pulled_since,
            Account.deleted_at.is_(None),
        )
        .values(deleted_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_deleted(
    session: Session, source: str, records: Iterable[tuple[str, str]], *, now: datetime
) -> int:
    """Rows of these (object type, CRM id) that the CRM says are gone: a deletion event, or a
    fetch by id that no longer returns them. Returns how many were newly marked."""
    by_type: dict[str, set[str]] = {}
    for object_type, crm_id in records:
        by_type.setdefault(object_type, set()).add(crm_id)
    marked = 0
    for object_type, ids in sorted(by_type.items()):
        result = session.execute(
            update(Account)
            .where(
                Account.source == source,
                Account.crm_id.in_(ids),
                Account.object_type == object_type,
                Account.deleted_at.is_(None),
            )
            .values(deleted_at=now)
        )
        marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def upsert_deals(session: Session, records: Sequence[CrmDeal], *, fetched_at: datetime) -> set[str]:
    """Inserts or updates deals and replaces their account links; returns the CRM ids of every
    account linked before or after, whose deal-derived facts may have changed."""
    if not records:
        return set()
    source = records[0].source
    crm_ids = {r.crm_id for r in records}

    def stored() -> dict[str, Deal]:
        query = select(Deal).where(Deal.source == source, Deal.crm_id.in_(crm_ids))
        return {d.crm_id: d for d in session.scalars(query)}

    existing = stored()
    missing = sorted(crm_ids - set(existing))
    if missing:  # as for accounts: a concurrent writer may create some of them first
        insert = insert_ignoring_conflicts(session, Deal, ["source", "crm_id"])
        session.execute(insert.values([
            {"source": source, "crm_id": crm_id, "properties": {}, "fetched_at": fetched_at}
            for crm_id in missing
        ]))  # fmt: skip
        existing = stored()
    deal_ids = [d.id for d in existing.values()]
    touched: set[str] = set(
        session.scalars(select(DealAccount.account_crm_id).where(DealAccount.deal_id.in_(deal_ids)))
    )
    session.execute(delete(DealAccount).where(DealAccount.deal_id.in_(deal_ids)))
    rows: list[tuple[Deal, CrmDeal]] = []
    for record in records:
        row = existing[record.crm_id]
        row.name = record.name
        row.stage = record.stage
        row.pipeline = record.pipeline
        row.is_closed = record.is_closed
        row.is_won = record.is_won
        row.amount = record.amount
        row.close_date = record.close_date
        row.crm_created_at = record.created_at
        row.crm_updated_at = record.modified_at
        row.properties = dict(record.properties)
        row.archived = record.archived
        row.fetched_at = fetched_at
        rows.append((row, record))
    session.flush()
    links = {(row.id, account_id) for row, record in rows for account_id in record.account_ids}
    if links:  # a concurrent writer may have linked the same deal since our delete
        insert = insert_ignoring_conflicts(session, DealAccount, ["deal_id", "account_crm_id"])
        session.execute(insert.values([
            {"deal_id": deal_id, "account_crm_id": crm} for deal_id, crm in sorted(links)
        ]))  # fmt: skip
    touched.update(crm for _, crm in links)
    _link_contacts(session, rows)
    session.flush()
    return touched


def _link_contacts(session: Session, rows: Sequence[tuple[Deal, CrmDeal]]) -> None:
    """Replaces these deals' contact links with the ones the CRM sent."""
    session.execute(delete(DealContact).where(DealContact.deal_id.in_([d.id for d, _ in rows])))
    links = {(row.id, contact) for row, record in rows for contact in record.contact_ids}
    if links:
        insert = insert_ignoring_conflicts(session, DealContact, ["deal_id", "contact_crm_id"])
        session.execute(insert.values([
            {"deal_id": deal_id, "contact_crm_id": crm} for deal_id, crm in sorted(links)
        ]))  # fmt: skip


def accounts_by_crm_ids(session: Session, source: str, crm_ids: Iterable[str]) -> list[Account]:
    ids = set(crm_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Account)
            .where(Account.source == source, Account.crm_id.in_(ids))
            .order_by(Account.id)
        )
    )


def accounts_by_domains(
    session: Session, source: str, object_type: str, domains: Iterable[str]
) -> list[Account]:
    """Live (neither archived nor deleted) records of one type with one of these domains,
    oldest row first."""
    return _live_where(session, source, object_type, Account.domain, domains)


def live_accounts(
    session: Session, source: str, object_type: str, crm_ids: Iterable[str]
) -> list[Account]:
    """Live records of one type with these CRM ids, oldest row first."""
    return _live_where(session, source, object_type, Account.crm_id, crm_ids)


def contacts_of(session: Session, source: str, company_crm_ids: Iterable[str]) -> list[Account]:
    """Live contacts whose primary company is one of these, oldest row first."""
    return _live_where(session, source, "contact", Account.company_crm_id, company_crm_ids)


def _live_where(
    session: Session,
    source: str,
    object_type: str,
    column: InstrumentedAttribute[str | None],
    values: Iterable[str],
) -> list[Account]:
    wanted = {v for v in values if v}
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Account)
            .where(
                Account.source == source,
                Account.object_type == object_type,
                column.in_(wanted),
                Account.archived.is_(False),
                Account.deleted_at.is_(None),
            )
            .order_by(Account.id)
        )
    )


@dataclass(frozen=True, slots=True)
class DealCounts:
    open: int = 0
    won: int = 0
    lost: int = 0


def deal_counts(
    session: Session, source: str, account_crm_ids: Iterable[str]
) -> dict[str, DealCounts]:
    """Open, won and lost (not archived) deals per account CRM id."""
    ids = set(account_crm_ids)
    if not ids:
        return {}
    # Two indexed look-ups rather than one join: left to itself, SQLite's planner may scan
    # every deal per call, which makes a large sync quadratic.
    links = session.execute(
        select(DealAccount.account_crm_id, DealAccount.deal_id).where(
            DealAccount.account_crm_id.in_(ids)
        )
    ).all()
    if not links:
        return {}
    deals = {
        deal_id: (is_closed, is_won)
        for deal_id, is_closed, is_won in session.execute(
            select(Deal.id, Deal.is_closed, Deal.is_won).where(
                Deal.id.in_({deal_id for _, deal_id in links}),
                Deal.source == source,
                Deal.archived.is_(False),
            )
        )
    }
    tallies: dict[str, list[int]] = {}
    for crm_id, deal_id in links:
        if deal_id in deals:
            is_closed, is_won = deals[deal_id]
            tally = tallies.setdefault(crm_id, [0, 0, 0])
            tally[0 if not is_closed else 1 if is_won else 2] += 1
    return {crm_id: DealCounts(*tally) for crm_id, tally in tallies.items()}


def load_cursor(session: Session, source: str, object_type: str) -> Cursor | None:
    state = session.get(SyncState, (source, object_type))
    if state is None or state.cursor_updated_at is None or state.cursor_id is None:
        return None
    return Cursor(state.cursor_updated_at, state.cursor_id)


def sync_state(session: Session, source: str, object_type: str) -> SyncState:
    state = session.get(SyncState, (source, object_type))
    if state is None:
        state = SyncState(source=source, object_type=object_type, stats={})
        session.add(state)
    return state


def save_cursor(session: Session, source: str, object_type: str, cursor: Cursor) -> None:
    """Moves the cursor forward only: a page older than the checkpoint never rewinds it."""
    state = sync_state(session, source, object_type)
    current = load_cursor(session, source, object_type)
    if current is None or (cursor.modified_at, cursor.crm_id) > (
        current.modified_at,
        current.crm_id,
    ):
        state.cursor_updated_at = cursor.modified_at
        state.cursor_id = cursor.crm_id
