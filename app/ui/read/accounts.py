"""The accounts list: live records (not archived, not deleted) with their current score,
narrowed by an `AccountFilter`, one page at a time or all of them for the CSV export.

Records not scored yet are listed too (no tier, no score) unless a filter on the score, tier
or flags, or sorting by score or tier, leaves them out. "Changed since" a day means the
record's score history has a row on or after it: its score, tier or flags changed (or it was
first scored) that day or later. "Updated" sorts by when the CRM last changed the record (its
own modified time), not by when it was scored. Sorting ties are broken by id, so paging never
repeats or skips a record. The search ignores case: for ASCII letters only on SQLite (its
`lower()`), for all on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    exists,
    func,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.rubric.model import DISQUALIFIED_TIER
from app.store.tables import Account, Score, ScoreHistory
from app.ui.read.account_filter import PAGE_SIZE, AccountFilter

CSV_CHUNK = 1_000
BROWSABLE = 10_000
"""Matches that can be paged through, as HubSpot's own search stops at 10,000: a page costs
its offset (page 1,000 of 100,000 accounts took 340 ms on PostgreSQL), and past this a list
is better narrowed, sorted the other way, or exported (the CSV has every match)."""
FEW_CHANGES = 25_000
"""Up to this many history rows since the "changed since" day, the records are found from
those rows (an index range on score_history.scored_at: ~30 ms at 8,000 rows of 200,000);
beyond, each record is probed (a page stops at 50; counting them all costs ~200 ms at 100,000
accounts on SQLite either way)."""
TIER_CHOICES_LIMIT = 50


@dataclass(frozen=True)
class AccountRow:
    id: int
    source: str
    kind: str
    crm_id: str
    name: str | None
    domain: str | None
    crm_updated_at: datetime | None
    tier: str | None
    score: int | None
    disqualified: bool | None
    flags: list[str]
    rubric_version: str | None
    scored_at: datetime | None


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int
    pages: int
    last_page: int
    """The last page that can be shown: `pages`, or fewer when more than `BROWSABLE` match."""


_COLUMNS = (
    Account.id,
    Account.source,
    Account.object_type,
    Account.crm_id,
    Account.name,
    Account.domain,
    Account.crm_updated_at,
    Score.tier,
    Score.score,
    Score.disqualified,
    Score.flags,
    Score.rubric_version,
    Score.scored_at,
)


def _live() -> tuple[ColumnElement[bool], ...]:
    return (Account.archived.is_(False), Account.deleted_at.is_(None))


def _has_flag(dialect: str, flag: str) -> ColumnElement[bool]:
    """`flag` is in the score's JSON list of flags: JSONB containment on PostgreSQL, a
    `json_each` look-up on SQLite (where the list is JSON text). A record with a flag is in
    the disqualified tier (app.scoring.scorer), so only that tier's records, found by the tier's
    index, are looked into: a few thousand of 100,000 rather than all of them."""
    if dialect == "postgresql":
        holds = type_coerce(Score.flags, postgresql.JSONB).contains([flag])
    else:
        element = func.json_each(Score.flags).table_valued("value")
        holds = exists(select(1).select_from(element).where(column("value") == flag))
    return and_(Score.tier == DISQUALIFIED_TIER, holds)


def _changed_since(session: Session, day: date) -> ColumnElement[bool]:
    """A record with a history row on or after `day`. When few rows are that recent, the
    records are looked up by those rows' ids; when many are (after a roll-out every record
    has one), each record listed is probed instead (the page walks its sort index and stops
    at 50, where an id list would be built in full first)."""
    since = datetime.combine(day, time(), UTC)
    recent = select(ScoreHistory.account_id).where(ScoreHistory.scored_at >= since)
    few = select(func.count()).select_from(recent.limit(FEW_CHANGES + 1).subquery())
    if (session.scalar(few) or 0) <= FEW_CHANGES:
        return Account.id.in_(recent)
    return exists().where(ScoreHistory.account_id == Account.id, ScoreHistory.scored_at >= since)


def _conditions(found: AccountFilter, session: Session) -> list[ColumnElement[bool]]:
    dialect = session.get_bind().dialect.name
    conditions = list(_live())
    if found.q is not None:
        needle = found.q.lower()
        conditions.append(
            or_(
                func.lower(Account.name).contains(needle, autoescape=True),
                Account.domain.contains(needle, autoescape=True),
            )
        )
    if found.source is not None:
        conditions.append(Account.source == found.source)
    if found.kind is not None:
        conditions.append(Account.object_type == found.kind)
    if found.tier is not None:
        conditions.append(Score.tier == found.tier)
    if found.flag is not None:
        conditions.append(_has_flag(dialect, found.flag))
    if found.min_score is not None:
        conditions.append(Score.score >= found.min_score)
    if found.max_score is not None:
        conditions.append(Score.score <= found.max_score)
    if found.changed_since is not None:
        conditions.append(_changed_since(session, found.changed_since))
    return conditions


def _needs_score(found: AccountFilter) -> bool:
    return any(
        v is not None for v in (found.tier, found.flag, found.min_score, found.max_score)
    ) or found.sort in ("score", "tier")


def _select(found: AccountFilter, session: Session, *columns: Any) -> Select[Any]:
    statement = select(*columns).select_from(Account)
    if _needs_score(found):
        statement = statement.join(Score, Score.account_id == Account.id)
    else:
        statement = statement.outerjoin(Score, Score.account_id == Account.id)
    return statement.where(*_conditions(found, session))


def _ordered(statement: Select[Any], found: AccountFilter) -> Select[Any]:
    """Each database puts NULLs where its indexes have them (SQLite first when ascending,
    PostgreSQL last), so that a page walks an index rather than sorting every record."""
    key, tie = {
        "name": (Account.name, Account.id),
        "score": (Score.score, Score.account_id),
        "tier": (Score.tier, Score.account_id),
        "updated": (Account.crm_updated_at, Account.id),
    }[found.sort]
    if found.dir == "desc":
        return statement.order_by(key.desc(), tie.desc())
    return statement.order_by(key.asc(), tie.asc())


def _row(values: Any) -> AccountRow:
    (id_, source, kind, crm_id, name, domain, updated, tier, score, disqualified, flags,
     version, scored_at) = values  # fmt: skip
    return AccountRow(id_, source, kind, crm_id, name, domain, updated, tier, score,
                      disqualified, list(flags or []), version, scored_at)  # fmt: skip


def count(session: Session, found: AccountFilter) -> int:
    statement = _select(found, session, func.count())
    return int(session.scalar(statement) or 0)


def page_of(session: Session, found: AccountFilter) -> AccountPage:
    """The filter's page; past the last page that can be shown, that one."""
    total = count(session, found)
    pages = max(1, -(-total // PAGE_SIZE))
    last_page = min(pages, BROWSABLE // PAGE_SIZE)
    page = min(found.page, last_page)
    statement = _ordered(_select(found, session, *_COLUMNS), found)
    rows = session.execute(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return AccountPage([_row(r) for r in rows], total, page, pages, last_page)


def every_row(session: Session, found: AccountFilter) -> Iterator[AccountRow]:
    """All the filter's rows in its order, read `CSV_CHUNK` at a time (a server-side cursor on
    PostgreSQL): memory stays flat however many match."""
    statement = _ordered(_select(found, session, *_COLUMNS), found)
    result = session.execute(statement.execution_options(yield_per=CSV_CHUNK))
    for values in result:
        yield _row(values)


_DISTINCT_TIERS = text(
    "WITH RECURSIVE t(tier) AS (SELECT min(tier) FROM scores UNION ALL "
    "SELECT (SELECT min(tier) FROM scores WHERE tier > t.tier) FROM t WHERE t.tier IS NOT NULL) "
    "SELECT tier FROM t WHERE tier IS NOT NULL LIMIT :limit"
)


def tier_choices(session: Session) -> list[str]:
    """The tiers the stored scores have, for the filter's select: one index look-up per tier
    (a recursive "loose index scan"; DISTINCT would read every score on PostgreSQL)."""
    return list(session.scalars(_DISTINCT_TIERS, {"limit": TIER_CHOICES_LIMIT}))
