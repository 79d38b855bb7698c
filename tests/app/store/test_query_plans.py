"""Every look-up on a hot path (a sync page, a webhook event, the writeback, the inbox) reads
through an index, on SQLite and PostgreSQL: the SQL the product really sends while it runs is
captured and explained on a seeded, analysed store, and no plan may read a whole big table.
Whole-store passes (validate's reads, a rubric's keyset pages, marking what a full pull did
not return) read everything by nature; theirs must walk in order rather than sort the table.

A store this small (a few thousand rows) is enough for the planners to choose as they do at a
million rows once the statistics say the tables are big; what it costs at a million is
bench/store_lookups.py's."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Select,
    case,
    create_engine,
    false,
    insert,
    literal,
    null,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.inbox import queue
from app.inbox.events import DEAD, DONE, PENDING, PROCESSING
from app.inbox.retention import prune_events
from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.repo import accounts_by_domains, mark_deleted
from app.store.tables import (
    Account,
    Base,
    Deal,
    DealAccount,
    DealContact,
    Money,
    Score,
    ScoreHistory,
    WebhookEvent,
    WritebackState,
)
from app.store.types import JSONDocument, UTCDateTime
from app.sync.pipeline import Changes, UpdatePipeline
from app.sync.rescore import rescore_with_prospects_of
from app.sync.writeback import FAILED, SYNC, WORKER, WRITTEN, claim, due, owed_count
from app.sync.writeback import PENDING as OWED
from app.validation import accounts as validation_accounts
from app.validation import load as validation_load
from app.validation import populations
from app.validation.accounts import ScoredAccounts
from app.validation.discarded import won_deals
from app.validation.driver import driver_rows
from app.validation.load import read_closed_deals
from connectors.hubspot.connector import HubSpotConnector
from connectors.records import CrmAccount, CrmDeal
from tests.support.query_plans import (
    Captured,
    Statement,
    capturing,
    explain,
    full_scans,
    index_columns,
    partial_indexes,
    sorted_whole,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
COMPANIES = 20_000
SF_ACCOUNTS = 1000
SF_LEADS = 1000
CONTACTS = 10_000
"""HubSpot contacts, one at every other company."""
WAITING = 50
OFFLINE = "http://127.0.0.1:9"
"""No CRM listens here: nothing below calls the CRM."""


def _reading_deals() -> CompiledRubric:
    """The default rubric plus a criterion on won deals, so deal look-ups run too."""
    data = copy.deepcopy(load_rubric().model_dump(exclude_none=True))
    data["version"] = "test-with-deals"
    data["layers"]["behavioural"]["criteria"].append(
        {"id": "won_deals", "field": "deals_won", "weight": 10, "reason": "Won deals",
         "otherwise": 0, "bands": [{"min": 1, "points": 100}]}
    )  # fmt: skip
    return compile_rubric(Rubric.model_validate(data))


def _seed(engine: Engine, rubric: CompiledRubric) -> None:
    """Accounts (HubSpot companies, Salesforce accounts and leads at their domains), a deal
    per company, a score, its history and a writeback state per account (nearly all
    written), and an inbox of processed events with a few waiting: then ANALYZE."""
    accounts = [
        {"id": i, "source": "hubspot", "object_type": "company", "crm_id": str(i),
         "name": f"Company {i}", "domain": f"c{i}.example.com", "industry": "COMPUTER_SOFTWARE",
         "employees": 100 + i % 900, "annual_revenue": Decimal(1_000_000 + i),
         "technologies": [], "properties": {}, "crm_updated_at": T0, "fetched_at": T0}
        for i in range(1, COMPANIES + 1)
    ] + [
        {"id": COMPANIES + i, "source": "salesforce",
         "object_type": "account" if i <= SF_ACCOUNTS else "lead",
         "crm_id": f"sf{i:06d}", "name": f"Salesforce {i}",
         "domain": f"s{i % SF_ACCOUNTS}.example.com", "industry": "Technology",
         "employees": 800, "annual_revenue": None, "technologies": [], "properties": {},
         "crm_updated_at": T0, "fetched_at": T0}
        for i in range(1, SF_ACCOUNTS + SF_LEADS + 1)
    ]  # fmt: skip
    contacts = [
        {"id": COMPANIES + SF_ACCOUNTS + SF_LEADS + i, "source": "hubspot",
         "object_type": "contact", "crm_id": str(i), "company_crm_id": str(2 * i),
         "name": f"Person {i}", "domain": f"c{2 * i}.example.com", "title": "VP Sales",
         "technologies": [], "properties": {}, "crm_updated_at": T0, "fetched_at": T0}
        for i in range(1, CONTACTS + 1)
    ]  # fmt: skip
    company = (Account.source == "hubspot") & (Account.object_type == "company")
    with engine.begin() as connection:
        connection.execute(insert(Account), accounts)
        connection.execute(insert(Account), contacts)
        # The rest derived from the accounts in the database: a tenth of the time of sending
        # every row (the module's setup is most of its time).
        copy = partial(_copy, connection)
        copy(Deal, company, id=Account.id, source=Account.source,
             crm_id=literal("d").concat(Account.crm_id), is_closed=Account.id % 3 != 0,
             is_won=Account.id % 3 == 1, amount=literal(Decimal(1000), Money),
             close_date=literal(T0.date(), Date), properties=literal({}, JSONDocument),
             fetched_at=literal(T0, UTCDateTime))  # fmt: skip
        copy(DealAccount, company, deal_id=Account.id, account_crm_id=Account.crm_id)
        # each contact on its company's deal (contact i is at company 2i, whose deal is 2i)
        copy(DealContact, Account.object_type == "contact", contact_crm_id=Account.crm_id,
             deal_id=(Account.id - (COMPANIES + SF_ACCOUNTS + SF_LEADS)) * 2)  # fmt: skip
        scored = {"score": literal(50), "tier": literal("tier_2"), "disqualified": false(),
                  "flags": literal([], JSONDocument), "reasons": literal([], JSONDocument),
                  "rubric_version": literal(rubric.written_version),
                  "scored_at": literal(T0, UTCDateTime)}  # fmt: skip
        copy(Score, true(), account_id=Account.id, criteria=literal({}, JSONDocument),
             input_hash=literal("x"), **scored)  # fmt: skip
        copy(ScoreHistory, true(), account_id=Account.id, **scored)
        owed, failed = Account.id % 1000 == 0, Account.id % 1500 == 0
        copy(WritebackState, true(), account_id=Account.id, values=literal({}, JSONDocument),
             values_hash=literal("h"), attempts=literal(0),
             status=case((owed, OWED), (failed, FAILED), else_=WRITTEN),
             written_at=literal(T0, UTCDateTime), updated_at=literal(T0, UTCDateTime),
             next_attempt_at=case((failed & ~owed, literal(NOW - timedelta(minutes=1),
                                                           UTCDateTime)), else_=null()))  # fmt: skip
        received = literal(T0, UTCDateTime)
        copy(WebhookEvent, company, source=Account.source, event_id=Account.crm_id,
             identity=literal("e").concat(Account.crm_id), event_type=literal("company.change"),
             object_type=Account.object_type, object_id=Account.crm_id,
             payload=literal({}, JSONDocument), status=literal(DONE), attempts=literal(1),
             received_at=received, processed_at=received)  # fmt: skip
        connection.execute(insert(WebhookEvent), [_event(i) for i in range(1, WAITING + 1)])
        if engine.dialect.name == "postgresql":
            for table in ("accounts", "deals", "score_history", "webhook_events"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip
        connection.execute(text("ANALYZE"))


def _copy(connection: Connection, table: Any, where: ColumnElement[bool], **columns: Any) -> None:
    """INSERT INTO table (columns) SELECT their values FROM accounts WHERE `where`."""
    query = select(*(value.label(name) for name, value in columns.items())).where(where)
    connection.execute(insert(table).from_select(list(columns), query))


def _event(i: int) -> dict[str, object]:
    """One of the events waiting (after a company's processed one): mostly pending."""
    status = PENDING if i % 10 else PROCESSING if i % 20 else DEAD
    received = NOW - timedelta(minutes=5) + timedelta(seconds=i)
    return {
        "source": "hubspot", "event_id": f"w{i}", "identity": f"w{i}",
        "event_type": "company.propertyChange", "object_type": "company",
        "object_id": str(1 + i * 7), "payload": {}, "status": status, "attempts": 1,
        "received_at": received, "next_attempt_at": received,
        "claimed_at": received if status == PROCESSING else None, "processed_at": None,
    }  # fmt: skip


def _company(crm_id: str) -> CrmAccount:
    return CrmAccount(
        source="hubspot", object_type="company", crm_id=crm_id, modified_at=NOW,
        name=f"Company {crm_id}", domain=f"c{crm_id}.example.com", industry="COMPUTER_SOFTWARE",
        employees=500, annual_revenue=Decimal("50000000"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Context:
    connector: HubSpotConnector
    rubric: CompiledRubric


HotPath = Callable[[Session, Context], object]


def _webhook_event(session: Session, ctx: Context) -> object:
    """What the worker's pipeline does for one changed company (and a sync page, for many):
    upsert, mark the gone deleted, upsert its deal, rescore (deal counts), drift."""
    pipeline = UpdatePipeline(session, ctx.connector, ctx.rubric, lambda: NOW)
    deal = CrmDeal(source="hubspot", crm_id="d17", modified_at=NOW, is_closed=True,
                   is_won=True, account_ids=("17", "18"))  # fmt: skip
    return pipeline.apply(
        Changes(
            accounts=[_company("17"), _company("new-1")], deals=[deal], gone={("company", "19")}
        )
    )


def _sync_page(session: Session, ctx: Context) -> object:
    pipeline = UpdatePipeline(session, ctx.connector, ctx.rubric, lambda: NOW)
    # 50 records: a real page holds 100, but among 20,000 rows PostgreSQL rightly prefers
    # reading a narrow table whole to 100 probes; at 100,000 rows and more it probes.
    return pipeline.apply(Changes(accounts=[_company(str(i)) for i in range(100, 150)]))


def _lead_fallback(session: Session, ctx: Context) -> object:
    """A Salesforce account and a lead at its domain rescored: the donor and lead look-ups."""
    rows = list(
        session.scalars(
            select(Account).where(
                Account.source == "salesforce",
                Account.crm_id.in_(["sf000007", f"sf{SF_ACCOUNTS + 7:06d}"]),
            )
        )
    )
    for row in rows:
        row.name = f"{row.name} renamed"
    return rescore_with_prospects_of(
        session, rows, rubric=ctx.rubric, render=ctx.connector.render_score, now=NOW
    )


def _contact_fallback(session: Session, ctx: Context) -> object:
    """A HubSpot company and a contact at another company rescored: the donor and contact
    look-ups (a company's contacts, a contact's company)."""
    rows = list(
        session.scalars(
            select(Account).where(
                Account.source == "hubspot",
                ((Account.object_type == "company") & (Account.crm_id == "18"))
                | ((Account.object_type == "contact") & (Account.crm_id == "21")),
            )
        )
    )
    for row in rows:
        row.name = f"{row.name} renamed"
    return rescore_with_prospects_of(
        session, rows, rubric=ctx.rubric, render=ctx.connector.render_score, now=NOW
    )


def _worker_write(session: Session, ctx: Context) -> object:
    """The worker's claim of the writes its records are owed."""
    return claim(session, "hubspot", NOW, 2, writer=f"{WORKER}:1:host", only=[1000, 17])


def _sync_write(session: Session, ctx: Context) -> object:
    """A sync's (or roll-out's) claim of the next batch of everything owed."""
    return claim(session, "hubspot", NOW, 1000, writer=f"{SYNC}:1:host")


def _failed_writes(session: Session, ctx: Context) -> object:
    """The idle worker's look for failed writes due a retry, and the owed count."""
    return due(session, "hubspot", NOW, limit=200), owed_count(session, "hubspot", NOW)


def _inbox_claim(session: Session, ctx: Context) -> object:
    return queue.claim(session, "worker-1", NOW, limit=200)


def _inbox_state(session: Session, ctx: Context) -> object:
    """What `icp-sync inbox` and the depth gauge read, but the count of processed events."""
    return (
        queue.oldest_pending_age(session, NOW),
        queue.depth(session, [PENDING, PROCESSING, DEAD]),
        queue.events(session, status=DEAD),
    )


def _retention(session: Session, ctx: Context) -> object:
    return prune_events(session, T0 + timedelta(seconds=1), limit=1000)


def _deletion(session: Session, ctx: Context) -> object:
    return mark_deleted(
        session, "hubspot", [("company", "23"), ("company", "24")], now=NOW
    ), accounts_by_domains(session, "salesforce", "lead", ["s7.example.com"])


def _discarded(session: Session, ctx: Context) -> object:
    return list(won_deals(session, [("hubspot", str(i)) for i in range(1, 50)]))


def _other_rubric(session: Session, ctx: Context) -> object:
    """A page of the sweep: accounts walked by key, each one's score looked up by key."""
    pipeline = UpdatePipeline(session, ctx.connector, ctx.rubric, lambda: NOW)
    return pipeline.scored_by_other_rubric(COMPANIES // 2, 100)


LOOKUPS: dict[str, HotPath] = {
    "webhook event (pipeline.apply)": _webhook_event,
    "sync page (pipeline.apply)": _sync_page,
    "lead fallback (rescore)": _lead_fallback,
    "contact fallback (rescore)": _contact_fallback,
    "deletion event": _deletion,
    "writeback claim (worker)": _worker_write,
    "writeback claim (sync)": _sync_write,
    "failed writes due": _failed_writes,
    "inbox claim": _inbox_claim,
    "inbox state": _inbox_state,
    "inbox retention": _retention,
    "plan: won deals discarded": _discarded,
    "incremental sync: scored by another rubric": _other_rubric,
}


def _processed_count(session: Session, ctx: Context) -> object:
    """The depth gauge's count of processed events (once a minute): a retention's worth."""
    return queue.depth(session, [DONE])


def _unseen(session: Session, ctx: Context) -> object:
    pipeline = UpdatePipeline(session, ctx.connector, ctx.rubric, lambda: NOW)
    return pipeline.mark_unseen_deleted({"company"}, T0 + timedelta(days=1))


def _validate(session: Session, ctx: Context) -> object:
    return (
        list(ScoredAccounts(session, now=NOW).pages()),
        read_closed_deals(session),
        read_closed_deals(session, population=populations.CONTACTS),
    )


BULK: dict[str, HotPath] = {
    "inbox depth: processed events": _processed_count,
    "full pull: mark unseen deleted": _unseen,
    "validate: accounts and closed deals": _validate,
}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[sessionmaker[Session], Context]]:
    """One seeded store per database for the module (seeding is most of its time): every
    test here reads it and rolls back what it wrote."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'store.db'}"
        server = None
    else:  # a database of its own on the test server, beside the session's
        server = create_engine(request.getfixturevalue("postgres_server_url"))
        name = f"icp_sync_test_plans_{uuid.uuid4().hex[:12]}"
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = server.url.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    engine = make_engine(url)
    rubric = _reading_deals()
    _seed(engine, rubric)
    try:
        with hubspot_connector(OFFLINE, "pat-unused", load_rubric()) as connector:
            yield make_session_factory(engine), Context(connector, rubric)
    finally:
        engine.dispose()
        if server is not None:
            with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.dispose()


@contextmanager
def _driver_queries(captured: Captured) -> Iterator[None]:
    """Also captures what validate reads on the driver's own cursor (app.validation.driver),
    which SQLAlchemy's events do not see."""

    def recording(session: Session, query: Select[Any], **options: Any) -> Any:
        compiled = query.compile(dialect=session.get_bind().dialect)
        parameters: Any = compiled.params
        if compiled.positional:
            parameters = tuple(compiled.params[name] for name in compiled.positiontup or ())
        captured.statements.append(Statement(str(compiled), parameters))
        return driver_rows(session, query, **options)

    with (
        patch.object(validation_accounts, "driver_rows", recording),
        patch.object(validation_load, "driver_rows", recording),
    ):
        yield


def planned(
    sessions: sessionmaker[Session], ctx: Context, path: HotPath
) -> list[tuple[Statement, list[str]]]:
    """The statements `path` sends (rolled back), each with its plan."""
    engine = sessions.kw["bind"]
    with sessions() as session, capturing(engine) as captured, _driver_queries(captured):
        path(session, ctx)
        session.flush()
        statements = captured.planned()
        connection = session.connection()
        plans = [(s, explain(connection, s)) for s in statements]
        session.rollback()
    assert statements, "the path sent no statement to explain"
    return plans


PARTIAL = partial_indexes(Base.metadata)
INDEXES = index_columns(Base.metadata)


@pytest.mark.parametrize("name", list(LOOKUPS))
def test_given_a_seeded_store_when_a_hot_path_looks_up_then_no_plan_reads_a_whole_table(
    store: tuple[sessionmaker[Session], Context], name: str
) -> None:
    sessions, ctx = store

    scans = [
        (s.sql, lines, found)
        for s, lines in planned(sessions, ctx, LOOKUPS[name])
        if (found := full_scans(s, lines, PARTIAL, INDEXES))
    ]

    assert scans == []


@pytest.mark.parametrize("name", list(BULK))
def test_given_a_seeded_store_when_a_bulk_pass_reads_everything_then_it_walks_in_order(
    store: tuple[sessionmaker[Session], Context], name: str
) -> None:
    sessions, ctx = store

    sorts = [
        (s.sql, lines, found)
        for s, lines in planned(sessions, ctx, BULK[name])
        if (found := sorted_whole(s, lines))
    ]

    assert sorts == []
