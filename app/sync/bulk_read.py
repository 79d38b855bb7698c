"""The reads of the bulk rescoring mode (app.sync.bulk): a keyset page of one CRM's live records
as plain rows of just the columns the rubrics read, with their current score's digest and
version and their writeback state's values hash; and the donors the page's leads fall back on.

No ORM objects: a rubric roll-out reads the whole store, and building an `Account` (its JSON
decoded) per record was a third of the per-record path's time. Of the raw CRM properties only
the keys a rubric reads are extracted, by the database; a canonical column's property fallback
only where the column is empty, which is the only time the scorer reads it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Text, and_, case, cast, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.rubric.model import SEMANTIC_PREFIX
from app.scoring import CompiledRubric
from app.store.repo import DealCounts, deal_counts
from app.store.tables import Account, Score, WritebackState
from app.sync.facts import COMPANY, CONTACT, DEAL_FIELDS, DONOR, LEAD, PROSPECTS

COLUMNS = ("name", "domain", "industry", "employees", "annual_revenue", "country", "state",
           "email", "title")  # fmt: skip
"""The scalar canonical columns: a key among these falls back on its property only when empty."""
TECHNOLOGIES = "technologies"
"""A list, never empty as a value (None reads as []): it never falls back on a property."""
ALWAYS = ("name", "domain")
"""Read whatever the rubric reads: a prospect's reason line names its donor by them."""
FIXED = 4
"""The columns every row starts with: id, object type, CRM id, company CRM id."""


class AccountRow(NamedTuple):
    """An account as `app.sync.facts.account_facts` reads it (`AccountColumns`): the columns no
    rubric reads are None, the properties hold only the keys one reads."""

    id: int
    source: str
    object_type: str
    crm_id: str
    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    country: str | None = None
    state: str | None = None
    technologies: list[str] = []  # noqa: RUF012 (never mutated)
    properties: Mapping[str, Any] = {}
    email: str | None = None
    title: str | None = None
    company_crm_id: str | None = None


class Current(NamedTuple):
    """What a page row carries of its current score (None: not scored) and writeback state.
    The score's flags and reasons are its JSON text, read only where its version is the
    champion's (the only case they decide whether a new score changes it)."""

    input_hash: str | None
    score: int | None
    tier: str | None
    rubric_version: str | None
    scored_at: datetime | None
    values_hash: str | None
    flags: str | None = None
    reasons: str | None = None


class PageJob(NamedTuple):
    """A page as read: its live records by id with their current state, the donors its
    prospects fall back on (by `donor_key`), and deal counts by CRM id (when a rubric reads
    deals)."""

    rows: Sequence[AccountRow]
    currents: Sequence[Current]
    donors: Mapping[str, AccountRow]
    counts: Mapping[str, DealCounts]


class PageReader:
    """Reads one CRM's records for these rubrics (the champion first, then its challengers),
    over whichever session it is given (the bulk mode's scoring processes have their own)."""

    def __init__(
        self,
        dialect: str,
        source: str,
        rubrics: Sequence[CompiledRubric],
        types: Iterable[str],
    ) -> None:
        """`dialect`: the store's ("sqlite", "postgresql"); `types`: the object types stored
        for the CRM (what plans to read for)."""
        self._source = source
        keys: set[str] = set()
        for rubric in rubrics:
            for object_type in {*types, *PROSPECTS}:  # a donor's digest reads a prospect's plan
                plan = rubric.plan_for(object_type, source)
                keys |= {key for _, key, _ in (*plan.criteria, *plan.disqualifiers)}
            for spec in rubric.semantic:
                keys |= {key for key, _ in spec.reads(source)}
        keys = {key for key in keys if not key.startswith(SEMANTIC_PREFIX)}
        self._columns = [name for name in COLUMNS if name in keys or name in ALWAYS]
        if TECHNOLOGIES in keys:
            self._columns.append(TECHNOLOGIES)
        self._keys = sorted(k for k in keys if k != TECHNOLOGIES)
        self._extracts = [_extract(key, dialect == "postgresql") for key in self._keys]
        champion = Score.rubric_version == rubrics[0].written_version
        self._contents = [
            case((champion, cast(column, Text))) for column in (Score.flags, Score.reasons)
        ]
        self._deals = any(rubric.fields_read & DEAL_FIELDS for rubric in rubrics)

    def job(self, session: Session, after_id: int, upto_id: int | None, limit: int) -> PageJob:
        """The live records by id above `after_id` (up to `upto_id`; at most `limit`), the
        donors their leads fall back on, and their deal counts when a rubric reads them."""
        page = self._page(session, after_id, upto_id, limit)
        rows = [row for row, _ in page]
        leads = {r.domain for r in rows if r.object_type == LEAD and r.domain}
        contacts = {r.company_crm_id for r in rows if r.object_type == CONTACT and r.company_crm_id}
        donors = self._donors(session, leads, contacts)
        counts: Mapping[str, DealCounts] = {}
        if self._deals and rows:
            crm_ids = [r.crm_id for r in rows] + [d.crm_id for d in donors.values()]
            counts = deal_counts(session, self._source, crm_ids)
        return PageJob(rows, [current for _, current in page], donors, counts)

    def bound(self, session: Session, after_id: int, limit: int) -> int | None:
        """The id of the `limit`-th live record above `after_id` (None: fewer are left): where
        a page of `limit` ends, found on the primary key alone."""
        query = (
            select(Account.id)
            .where(_live(self._source), Account.id > after_id)
            .order_by(Account.id)
            .offset(limit - 1)
            .limit(1)
        )
        return session.connection().execute(query).scalar()

    def _page(
        self, session: Session, after_id: int, upto_id: int | None, limit: int
    ) -> list[tuple[AccountRow, Current]]:
        bounds = [Account.id > after_id] + ([] if upto_id is None else [Account.id <= upto_id])
        query = (
            select(
                *self._selected(),
                Score.input_hash,
                Score.score,
                Score.tier,
                Score.rubric_version,
                Score.scored_at,
                WritebackState.values_hash,
                *self._contents,
            )
            .outerjoin(Score, Score.account_id == Account.id)
            .outerjoin(WritebackState, WritebackState.account_id == Account.id)
            .where(_live(self._source), *bounds)
            .order_by(Account.id)
            .limit(limit)
        )
        width = FIXED + len(self._columns) + len(self._extracts)
        return [
            (self._row(row[:width]), Current(*row[width:]))
            for row in session.connection().execute(query)
        ]

    def _donors(
        self, session: Session, domains: set[str], companies: set[str]
    ) -> dict[str, AccountRow]:
        """`donor_key` → the record a prospect falls back on (as app.sync.rescore.donors_of):
        for a lead's domain the oldest live account there, for a contact's company id that
        live company."""
        donors: dict[str, AccountRow] = {}
        for object_type, column, keys in (
            (DONOR, Account.domain, domains),
            (COMPANY, Account.crm_id, companies),
        ):
            if not keys:
                continue
            query = (
                select(*self._selected())
                .where(_live(self._source), Account.object_type == object_type, column.in_(keys))
                .order_by(Account.id)
            )
            for row in session.connection().execute(query):
                account = self._row(row)
                key = account.domain if object_type == DONOR else account.crm_id
                donors.setdefault(str(key), account)
        return donors

    def _selected(self) -> list[ColumnElement[Any]]:
        return [
            Account.id,
            Account.object_type,
            Account.crm_id,
            Account.company_crm_id,
            *(getattr(Account, name) for name in self._columns),
            *(
                extract
                if key not in COLUMNS
                # a canonical column's property is read only when the column is empty
                else case((getattr(Account, key).is_(None), extract))
                for key, extract in zip(self._keys, self._extracts, strict=True)
            ),
        ]

    def _row(self, row: Sequence[Any]) -> AccountRow:
        fields = dict(zip(self._columns, row[FIXED : FIXED + len(self._columns)], strict=True))
        raw = row[FIXED + len(self._columns) :]
        properties = {
            key: json_value(value)
            for key, value in zip(self._keys, raw, strict=True)
            if value is not None
        }
        if fields.get(TECHNOLOGIES) is None:
            fields.pop(TECHNOLOGIES, None)
        return AccountRow(
            row[0], self._source, row[1], row[2], **fields, properties=properties,
            company_crm_id=row[3],
        )  # fmt: skip


def json_value(text: str) -> Any:
    """A JSON document read from its text by orjson (several times json.loads' speed), or by
    json.loads where orjson refuses it (an integer beyond 64 bits): the same value."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def stored_types(session: Session, source: str) -> list[str]:
    return list(session.scalars(select(Account.object_type).where(_live(source)).distinct()))


def _extract(key: str, postgres: bool) -> ColumnElement[Any]:
    """The property `key` as JSON text (None: absent)."""
    if postgres:
        return cast(
            Account.properties.op("->", return_type=postgresql.JSONB)(literal(key, Text)), Text
        )
    path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return Account.properties.op("->", return_type=Text)(literal(path, Text))


def _live(source: str) -> ColumnElement[bool]:
    return and_(Account.source == source, Account.archived.is_(False), Account.deleted_at.is_(None))
