"""Per-event cost from 10,000 to 1,000,000 stored accounts (issue 18, point 1): does what the
inbox worker does for one webhook event stay flat as the store grows?

    .venv/bin/python bench/store_lookups.py [--sizes 10000 100000 1000000]
        [--stores sqlite postgresql] [--events 2000] [--warmup 200]
        [--cache-dir /tmp/icp-plans-bench] [--keep] [--json]

Stores come from bench/store_seed.py (HubSpot companies and half as many closed deals, with
their open ones), then are completed as a finished sync and a week of webhooks leave them
(once, in SQL): every account scored, its history row, its write landed (`written`), and one
processed inbox event per company. SQLite files are cached under `--cache-dir`
(`s<n>.db`); PostgreSQL databases are `icp_bench_plans_<n>` on `--postgres`, dropped at the
end unless `--keep`. The store is migrated to the head of the code imported (so run it with
PYTHONPATH pointing at another checkout, e.g. main, for a before/after on stores not yet
migrated: run that first) and analysed.

One event, as the worker handles it (app.inbox.worker), without the CRM: a webhook for one
existing company is stored (`enqueue`, not timed), then timed: the inbox claim, the
pipeline's `apply` of the company as the CRM returns it (upsert, rescore, desired write,
drift), the writeback's claim of what it is owed and the outcome recorded as written (the CRM
write itself is left out), the events marked done, and the commits. The connector is the
real HubSpot connector (its `render_score`) pointed at a port where nothing listens: nothing
calls the CRM. Reported per
store and size, after `--warmup` events: median and p95 of the event and of `apply` alone,
and the seconds spent in SQL statements per event (`sql_ms`: the event less Python and commits),
the median time of each kind of statement sent (the look-ups), and the ratio of the
largest size's medians to the smallest's (the goal: at most 1.5).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, insert, literal, select, text, update
from sqlalchemy.orm import Session
from store_seed import seed_store

from app.crm import hubspot_connector
from app.inbox import queue
from app.inbox.events import DEAD, DONE, PENDING, PROCESSING, IncomingEvent
from app.inbox.receive import enqueue
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.repo import accounts_by_crm_ids, deal_counts
from app.store.statistics import analyse
from app.store.tables import Account, Score, ScoreHistory, WebhookEvent, WritebackState
from app.store.types import JSONDocument, UTCDateTime
from app.sync.pipeline import Changes, UpdatePipeline
from app.sync.writeback import SYNC, WORKER, claim, due, record_outcomes, writer_id
from connectors.records import CrmAccount, WriteOutcome

OFFLINE = "http://127.0.0.1:9"
SYNCED_AT = datetime(2026, 11, 24, tzinfo=UTC)


def store_url(kind: str, size: int, cache: Path, postgres: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{cache / f's{size}.db'}"
    return f"{postgres}/icp_bench_plans_{size}"


def ensure_store(kind: str, size: int, cache: Path, postgres: str) -> str:
    """The seeded store of `size` accounts (seeded now if missing), completed and analysed."""
    url = store_url(kind, size, cache, postgres)
    if kind == "sqlite":
        cache.mkdir(parents=True, exist_ok=True)
        if not (cache / f"s{size}.db").exists():
            seed_store(url, size, size // 2)
    else:
        admin = make_engine(f"{postgres}/test")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": f"icp_bench_plans_{size}"},
            )
            if not exists:
                connection.execute(text(f"CREATE DATABASE icp_bench_plans_{size}"))
        admin.dispose()
        if not exists:
            seed_store(url, size, size // 2)
    upgrade_to_head(url)
    engine = make_engine(url)
    _complete(engine)
    analyse(engine)
    engine.dispose()
    return url


def _complete(engine: Engine) -> None:
    """Scores, history, landed writes and processed events for every account, once; and a
    quiet store (every write landed, every event processed) before each measurement, so runs
    start alike whatever an earlier one left."""
    with engine.begin() as connection:
        if connection.scalar(select(func.count()).select_from(Score)):
            connection.execute(
                update(WritebackState)
                .where(WritebackState.status != "written")
                .values(status="written", claimed_by=None, claimed_at=None)
            )
            connection.execute(
                update(WebhookEvent).where(WebhookEvent.status != DONE).values(status=DONE)
            )
            return
        at = literal(SYNCED_AT, UTCDateTime)
        empty_list, empty = literal([], JSONDocument), literal({}, JSONDocument)
        scored = {"score": literal(50), "tier": literal("tier_2"), "disqualified": literal(False),
                  "flags": empty_list, "reasons": empty_list,
                  "rubric_version": literal("seeded"), "scored_at": at}  # fmt: skip
        _copy(connection, Score, account_id=Account.id, criteria=empty, input_hash=literal("-"),
              **scored)  # fmt: skip
        _copy(connection, ScoreHistory, account_id=Account.id, **scored)
        _copy(connection, WritebackState, account_id=Account.id, values=empty,
              values_hash=literal("-"), status=literal("written"), attempts=literal(0),
              written_at=at, updated_at=at)  # fmt: skip
        _copy(connection, WebhookEvent, source=Account.source, event_id=Account.crm_id,
              identity=literal("seeded-").concat(Account.crm_id),
              event_type=literal("company.propertyChange"), object_type=Account.object_type,
              object_id=Account.crm_id, payload=empty, status=literal(DONE),
              attempts=literal(1), received_at=at, processed_at=at)  # fmt: skip


def _copy(connection: Any, table: Any, **columns: Any) -> None:
    query = select(*(value.label(name) for name, value in columns.items()))
    connection.execute(insert(table).from_select(list(columns), query.select_from(Account)))


class Statements:
    """Seconds per kind of statement (its SQL without the values), while `recording`."""

    def __init__(self, engine: Engine) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.recording = False
        self.total = 0.0
        """Seconds in statements since last reset (commits are not statements)."""
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_: Any) -> None:
        conn.info["query_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if self.recording:
            spent = time.perf_counter() - conn.info["query_started"]
            self.seconds[kind(sql)].append(spent)
            self.total += spent


def kind(sql: str) -> str:
    """A statement's shape: its verb and tables and the columns of its WHERE."""
    sql = " ".join(sql.split())
    verb = sql.split(" ", 1)[0]
    tables = sorted(set(re.findall(r"(?:FROM|JOIN|UPDATE|INTO) (\w+)", sql)))
    where = sql.split(" WHERE ", 1)[1] if " WHERE " in sql else ""
    columns = sorted(set(re.findall(r"\b\w+\.(\w+) (?:=|IN|<|>|!=|<=|>=|IS)", where)))
    return f"{verb} {','.join(tables)}" + (f" WHERE {','.join(columns)}" if columns else "")


def measure(url: str, events: int, warmup: int, seed: int) -> dict[str, Any]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    statements = Statements(engine)
    rubric_model = load_rubric()
    rubric = compile_rubric(rubric_model)
    with sessions() as session:
        top = int(session.scalar(select(func.max(Account.id))) or 0)
        size = int(session.scalar(select(func.count()).select_from(Account)) or 0)
    rng = random.Random(seed)
    whole: list[float] = []
    applied: list[float] = []
    in_sql: list[float] = []
    clock = [datetime.now(UTC)]
    with hubspot_connector(OFFLINE, "pat-unused", rubric_model) as connector:
        for number in range(warmup + events):
            with sessions() as session:
                company = session.get(Account, rng.randint(1, top))
                assert company is not None
                clock[0] += timedelta(seconds=1)
                record = _changed(company, clock[0], rng)
                enqueue(session, [_webhook(record, number)], clock[0])
                session.commit()
                durations: list[float] = []
                statements.recording, statements.total = number >= warmup, 0.0
                _one_event(session, connector, rubric, record, lambda: clock[0], durations)
                statements.recording = False
            if number >= warmup:
                whole.append(durations[0] + durations[1])
                applied.append(durations[0])
                in_sql.append(statements.total)
    found = lookups(sessions, top, rng, repeats=50)
    plans = _plans(
        sessions, engine, rng, connector_args=(OFFLINE, "pat-unused", rubric_model), rubric=rubric
    )
    engine.dispose()
    return {
        "accounts": size,
        "lookups_ms": found,
        "plans": plans,
        "event_ms": _summary(whole),
        "apply_ms": _summary(applied),
        "sql_ms": _summary(in_sql),
        "statements_ms": {
            shape: round(statistics.median(seconds) * 1000, 3)
            for shape, seconds in sorted(statements.seconds.items())
        },
    }


def lookups(sessions: Any, top: int, rng: random.Random, repeats: int) -> dict[str, float]:
    """Median milliseconds of the look-ups off the single-event path, each `repeats` times
    (rolled back): a sync page's look-ups of 100 records, the writeback's batch claim and the
    idle worker's failed writes, and what `icp-sync inbox` reads."""
    now = datetime.now(UTC) + timedelta(days=2)
    calls: dict[str, Any] = {
        "accounts_by_crm_ids (100 ids)": lambda s, ids: accounts_by_crm_ids(s, "hubspot", ids),
        "deal_counts (100 ids)": lambda s, ids: deal_counts(s, "hubspot", ids),
        "writeback claim, sync batch of 1000": lambda s, _ids: claim(
            s, "hubspot", now, 1000, writer=writer_id(SYNC)
        ),
        "failed writes due (200)": lambda s, _ids: due(s, "hubspot", now, limit=200),
        "inbox claim (nothing waiting)": lambda s, _ids: queue.claim(s, "bench", now),
        "inbox: dead events, depth": lambda s, _ids: (
            queue.events(s, status=DEAD),
            queue.depth(s, [PENDING, PROCESSING, DEAD]),
        ),
    }
    found: dict[str, float] = {}
    for name, call in calls.items():
        seconds = []
        for _ in range(repeats):
            ids = [str(rng.randint(1, top)) for _ in range(100)]
            with sessions() as session:
                started = time.perf_counter()
                call(session, ids)
                seconds.append(time.perf_counter() - started)
                session.rollback()
        found[name] = round(statistics.median(seconds) * 1000, 3)
    return found


def _plans(
    sessions: Any, engine: Engine, rng: random.Random, *, connector_args: Any, rubric: Any
) -> dict[str, list[str]]:
    """One more event, rolled back, its statements explained: kind → plan lines (SQLite's
    `EXPLAIN QUERY PLAN` details; PostgreSQL's node types, relations and indexes)."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in {"SELECT", "UPDATE", "DELETE"}:
            sent.append((sql, parameters))

    plans: dict[str, list[str]] = {}
    with hubspot_connector(*connector_args) as connector, sessions() as session:
        company = session.get(Account, rng.randint(1, 1000))
        assert company is not None
        now = datetime.now(UTC) + timedelta(days=1)
        record = _changed(company, now, rng)
        enqueue(session, [_webhook(record, -1)], now)
        event.listen(engine, "before_cursor_execute", capture)
        try:
            claimed = queue.claim(session, "bench-explain", now, limit=200)
            result = UpdatePipeline(session, connector, rubric, lambda: now).apply(
                Changes(accounts=[record])
            )
            claim(session, "hubspot", now, 200, writer=writer_id(WORKER),
                  only=sorted(result.account_ids))  # fmt: skip
            queue.complete(claimed, now)
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        connection = session.connection()
        for sql, parameters in sent:
            plans[kind(sql)] = _explain(connection, sql, parameters)
        session.rollback()
    return plans


def _explain(connection: Any, sql: str, parameters: Any) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
        return [str(row[3]) for row in rows]
    document = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", parameters).scalar()
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        parts = [node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", "")]
        lines.append("  " * depth + " ".join(p for p in parts if p))
        for child in node.get("Plans", ()):
            walk(child, depth + 1)

    walk(document[0]["Plan"], 0)
    return lines


def _one_event(
    session: Session,
    connector: Any,
    rubric: Any,
    record: CrmAccount,
    clock: Any,
    durations: list[float],
) -> None:
    """Appends to `durations` the seconds of `apply`, then of the rest of the event."""
    started = time.perf_counter()
    claimed = queue.claim(session, "bench-worker", clock(), limit=200)
    session.commit()
    assert claimed, "the event enqueued was not claimed"
    before_apply = time.perf_counter()
    pipeline = UpdatePipeline(session, connector, rubric, clock)
    result = pipeline.apply(Changes(accounts=[record]))
    after_apply = time.perf_counter()
    owed = claim(session, connector.source, clock(), 200, writer=writer_id(WORKER),
                 only=sorted(result.account_ids))  # fmt: skip
    # the CRM's answer (not asked): written, as send_committing records it
    record_outcomes(owed, [WriteOutcome(a.crm_id, written=True) for _, a in owed], clock())
    queue.complete(claimed, clock())
    session.commit()
    done = time.perf_counter()
    durations.append(after_apply - before_apply)
    durations.append((before_apply - started) + (done - after_apply))


def _changed(company: Account, now: datetime, rng: random.Random) -> CrmAccount:
    """The company as the CRM returns it after someone changed its headcount."""
    return CrmAccount(
        source="hubspot",
        object_type="company",
        crm_id=company.crm_id,
        modified_at=now,
        name=company.name,
        domain=company.domain,
        industry=company.industry,
        employees=rng.randint(5, 20_000),
        annual_revenue=company.annual_revenue or Decimal(0),
        country=company.country,
        state=company.state,
        technologies=tuple(company.technologies or ()),
        properties=dict(company.properties or {}),
        created_at=company.crm_created_at,
    )


def _webhook(record: CrmAccount, number: int) -> IncomingEvent:
    return IncomingEvent(
        source="hubspot",
        event_id=f"bench-{os.getpid()}-{number}",
        event_type="company.propertyChange",
        object_type="company",
        object_id=record.crm_id,
        payload={"propertyName": "numberofemployees"},
    )


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median": round(statistics.median(ordered) * 1000, 3),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


def drop(size: int, postgres: str) -> None:
    admin = make_engine(f"{postgres}/test")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS icp_bench_plans_{size} WITH (FORCE)"))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "icp-plans-bench"
    )
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    # a company drawn twice holds none of the values written the first time: drift, logged
    logging.getLogger("app.sync.drift").setLevel(logging.ERROR)
    results: dict[str, Any] = {
        "machine": f"{platform.python_version()} on {os.cpu_count()} CPUs",
        "load_before": os.getloadavg(),
        "stores": {},
    }
    for kind_ in options.stores:
        per_size = results["stores"][kind_] = {}
        for size in options.sizes:
            url = ensure_store(kind_, size, options.cache_dir, options.postgres)
            per_size[size] = measure(url, options.events, options.warmup, options.seed)
            if not options.json:
                print(kind_, size, json.dumps(per_size[size]), flush=True)
        smallest, largest = per_size[min(options.sizes)], per_size[max(options.sizes)]
        per_size["ratio_largest_to_smallest"] = {
            part: round(largest[part]["median"] / smallest[part]["median"], 2)
            for part in ("event_ms", "apply_ms", "sql_ms")
        }
    results["load_after"] = os.getloadavg()
    if "postgresql" in options.stores and not options.keep:
        for size in options.sizes:
            drop(size, options.postgres)
    print(json.dumps(results, indent=None if options.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
