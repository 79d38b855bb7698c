"""`icp-sync validate` and `icp-sync plan` on a big CRM: whole-command wall time.

    .venv/bin/python bench/validate_scale.py [--accounts 100000] [--deals 500000] [--runs 5]
        [--cpus 0] [--code DIR] [--phases] [--database-url URL] [--json]

Builds (once, then cached) a SQLite store as a HubSpot sync would leave it: `--accounts`
companies from the CRM sandbox's seed generator (`crm_sandbox.core.seed`: skewed industries,
log-normal headcounts, stacks, buying signals, last activity, ~1.5 % personal e-mail domains,
~1 % archived), each mapped by the HubSpot connector's own mapping (`company_to_account`), and
their deals (won or lost after the sandbox's hidden "true ICP", amounts, close dates over the
companies' lives) until `--deals` closed deals are stored, with the open deals generated
alongside them (made one at a time as they are stored: a million companies' deals at once
took gigabytes). Rows go in by bulk `executemany`; the file is kept under `--cache-dir`, keyed
by its size and seed, so reruns start at once (a million accounts and two million closed deals
take about half an hour to build on a busy 2-vCPU machine, 2.6 GiB). `--database-url
postgresql+psycopg://...` runs the commands against that PostgreSQL database instead, first
loading the SQLite store into it by COPY if it is empty (create it beforehand; drop it after).

Then times, as whole processes pinned to `--cpus` (taskset; one core by default), `icp-sync
validate --json` and `icp-sync plan --rubric <challenger> --json`, where the challenger is the
default rubric with its weights reversed and `too_small` raised to 25 employees. Reported per
command, over `--runs` runs after one warm-up run (`--warmup`): the median, min and max wall
time, the median CPU time (user + system: what other processes on a shared machine disturb
least), the peak resident set size (`ru_maxrss` of each run, from `wait4`: the largest and the
median) and the load average before and after. `--code DIR` runs another checkout's
code (its `app/`) against the same store, for a before/after in one sitting. `--phases` also
times the parts in one process: loading and scoring (`outcomes`, `compare`) and statistics
(`summarise`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, insert, text

from app.rubric import DEFAULT_RUBRIC_PATH
from app.store.engine import make_engine
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, Deal, DealAccount
from connectors.hubspot.mapping import company_to_account, deal_to_deal
from crm_sandbox.core.descriptions import describe_companies
from crm_sandbox.core.seed import (
    SeedCompany,
    SeedDeal,
    _Generator,
    _poisson,
)
from crm_sandbox.core.times import epoch_ms, iso_ms
from crm_sandbox.core.true_icp import true_icp_probability
from crm_sandbox.hubspot.seeding import _company_properties, _deal_properties
from tests.support.store_rows import account_row, deal_row

AS_OF = datetime(2026, 11, 23, tzinfo=UTC)
"""Fixed, so the cached store is the same whatever day it is built."""
FORMAT = 1  # bump when the generated store changes
CHUNK = 10_000
CLOSED_SHARE = 0.74  # of the seed's deals, roughly: sizes the generator's deals per company
REPO = Path(__file__).resolve().parent.parent
PHASES = """
import json, sys, time
from datetime import UTC, datetime
from dataclasses import asdict
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.validation.load import outcomes
from app.validation.plan import compare
from app.validation.stats import summarise
url, challenger_path, with_stats = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
champion_rubric, challenger_rubric = load_rubric(), load_rubric(challenger_path)
tiers = [t.name for t in champion_rubric.tiers] + ["disqualified"]
now = datetime.now(UTC)
engine = make_engine(url)
timings = {}
def timed(name, work):
    started = time.perf_counter()
    result = work()
    timings[name] = time.perf_counter() - started
    return result
with make_session_factory(engine)() as session:
    champion, challenger = compile_rubric(champion_rubric), compile_rubric(challenger_rubric)
    found = timed("validate: outcomes", lambda: outcomes(session, champion, now=now))
    timed("plan: compare", lambda: compare(session, champion, challenger, now=now))
    both = (champion, challenger)
    timed("plan: outcomes x2", lambda: [outcomes(session, r, now=now) for r in both])
    if with_stats:
        timed("validate: summarise", lambda: asdict(summarise(found, tiers)))
timings["outcomes"] = len(found)
print(json.dumps(timings))
"""


STATISTICS_ON_A_SAMPLE = """
import app.validation.stats as stats
whole = stats.summarise
stats.summarise = lambda outcomes, tiers, **options: whole(
    outcomes[:{}], tiers, **(options | {{"resamples": 10}}))
"""
"""`--statistics-on N`: the command as it is but for its statistics, computed on its first N
deals only (10 resamples): everything else the command does, timed whole."""


def hubspot_company(company: SeedCompany) -> dict[str, Any]:
    """The seed company as HubSpot's API returns it (the sandbox's own properties)."""
    crm_id = str(company.index + 1)
    properties = _company_properties(company, ())
    del properties["lifecyclestage"]  # depends on all of its deals; not read by any rubric
    properties |= {
        "hs_object_id": crm_id,
        "createdate": iso_ms(company.created_ms),
        "hs_lastmodifieddate": iso_ms(company.modified_ms),
    }
    return {
        "id": crm_id,
        "properties": properties,
        "createdAt": iso_ms(company.created_ms),
        "updatedAt": iso_ms(company.modified_ms),
        "archived": company.archived,
    }


def hubspot_deal(deal: SeedDeal) -> dict[str, Any]:
    crm_id = str(deal.index + 1)
    properties = _deal_properties(deal) | {
        "hs_object_id": crm_id,
        "hs_is_closed": str(deal.is_closed).lower(),
        "hs_is_closed_won": str(deal.is_won).lower(),
        "createdate": iso_ms(deal.created_ms),
        "hs_lastmodifieddate": iso_ms(deal.modified_ms),
    }
    return {
        "id": crm_id,
        "properties": properties,
        "createdAt": iso_ms(deal.created_ms),
        "updatedAt": iso_ms(deal.modified_ms),
        "archived": deal.archived,
    }


def account_rows(companies: Iterable[SeedCompany]) -> Iterator[dict[str, Any]]:
    for company in companies:
        yield account_row(company.index + 1, company_to_account(hubspot_company(company)), AS_OF)


def deal_rows(deals: Iterable[SeedDeal]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for deal in deals:
        record = deal_to_deal(hubspot_deal(deal), [str(deal.company_index + 1)])
        yield deal_row(deal.index + 1, record, AS_OF)


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed_data(
    seed: int, accounts: int, per_company: float
) -> tuple[tuple[SeedCompany, ...], Iterator[SeedDeal]]:
    """`crm_sandbox.core.seed.generate`'s companies and deals, the same ones, but the deals
    made one at a time as they are stored: at a million companies, all of their deals at once
    would take gigabytes."""
    if not 0 <= per_company <= 50:
        raise SystemExit(f"{per_company:.1f} deals per company: at most 50; ask for fewer")
    rng = random.Random(seed)
    generator = _Generator(rng, epoch_ms(AS_OF))
    companies = describe_companies(seed, (generator.company(index) for index in range(accounts)))

    def deals() -> Iterator[SeedDeal]:
        index = 0
        for company in companies:
            win_probability = true_icp_probability(company)
            for _ in range(_poisson(rng, per_company)):
                yield generator.deal(index, company, win_probability)
                index += 1

    return companies, deals()


def _until_closed(deals: Iterator[SeedDeal], closed_deals: int) -> Iterator[SeedDeal]:
    """The deals up to the `closed_deals`th closed one (open ones made alongside included)."""
    closed = 0
    for deal in deals:
        if closed == closed_deals:
            return
        closed += deal.is_closed
        yield deal
    if closed < closed_deals:
        raise SystemExit(f"the generator made only {closed} closed deals; ask for fewer")


def build_store(path: Path, accounts: int, closed_deals: int, seed: int) -> None:
    """Writes the store to a temporary file beside `path`, then renames it into place."""
    per_company = min(50.0, closed_deals / max(1, accounts) / CLOSED_SHARE * 1.05)
    companies, deals = seed_data(seed, accounts, per_company)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        for chunk in _chunks(account_rows(companies)):
            connection.execute(insert(Account), chunk)
        for pairs in _chunks(deal_rows(_until_closed(deals, closed_deals))):
            connection.execute(insert(Deal), [deal for deal, _ in pairs])
            connection.execute(insert(DealAccount), [link for _, link in pairs])
    _analyse(engine)
    engine.dispose()
    partial.rename(path)


def _analyse(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        connection.commit()


def store(cache_dir: Path, accounts: int, deals: int, seed: int) -> tuple[Path, float | None]:
    """The cached store's path, and the seconds it took to build (None: it was cached)."""
    path = cache_dir / f"validate-scale-{accounts}-{deals}-seed{seed}-v{FORMAT}.db"
    if path.exists():
        upgrade_to_head(f"sqlite:///{path}")  # a migration added since it was built
        return path, None
    started = time.perf_counter()
    build_store(path, accounts, deals, seed)
    return path, time.perf_counter() - started


def load_postgres(url: str, sqlite_store: Path) -> float | None:
    """Copies the SQLite store's accounts, deals and links into the PostgreSQL database at
    `url` (migrated to head first) by COPY, unless it holds them already: the seconds taken,
    None when it did. SQLite's raw values are PostgreSQL's input text for the same columns
    (0/1 booleans, ISO dates, UTC timestamps without an offset, in a UTC session)."""
    upgrade_to_head(url)
    engine = make_engine(url)
    source = sqlite3.connect(sqlite_store)
    try:
        wanted = source.execute("SELECT count(*) FROM accounts").fetchone()[0]
        with engine.connect() as connection:
            held = connection.execute(text("SELECT count(*) FROM accounts")).scalar_one()
        if held == wanted:
            return None
        if held:
            raise SystemExit(f"{url} holds {held} accounts, not this store's {wanted}: drop it")
        started = time.perf_counter()
        raw = engine.raw_connection()
        try:
            target: Any = raw.driver_connection
            with target.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
                for model in (Account, Deal, DealAccount):
                    table = model.__table__
                    names = ", ".join(column.name for column in table.columns)
                    copy_in = f"COPY {model.__tablename__} ({names}) FROM STDIN"
                    with cursor.copy(copy_in) as copy:
                        rows = source.execute(f"SELECT {names} FROM {model.__tablename__}")  # noqa: S608
                        for row in rows:
                            copy.write_row(row)
            target.commit()
        finally:
            raw.close()
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        return time.perf_counter() - started
    finally:
        source.close()
        engine.dispose()


def challenger_rubric(folder: Path) -> Path:
    """The default rubric with its weights in reverse order and `too_small` at 25 employees."""
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text())
    document["version"] = "bench-challenger"
    criteria = [c for layer in document["layers"].values() for c in layer["criteria"]]
    weights = [c["weight"] for c in criteria]
    for criterion, weight in zip(criteria, weights[::-1], strict=True):
        criterion["weight"] = weight
    for disqualifier in document["disqualifiers"]:
        if disqualifier["id"] == "too_small":
            disqualifier["less_than"] = 25
    path = folder / "challenger.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


BYTECODE: Path | None = None
"""Where the commands' compiled bytecode is kept (`PYTHONPYCACHEPREFIX`), None for none."""


def _environment(code: Path, database: str) -> dict[str, str]:
    """`python -c` puts its working directory first on the path: each command runs in `code`
    (see `time_command`), with `code` on PYTHONPATH too. With `BYTECODE` the modules'
    bytecode is written there by the warm-up run and read by the timed ones, as an installed
    package's is (pip compiles it): otherwise, where PYTHONDONTWRITEBYTECODE is set or the
    packages came without it, every run compiles every module it imports again (1.3 s)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ICP_SYNC_") and key != "PYTHONPATH"
    }
    environment |= {"PYTHONPATH": str(code), "ICP_SYNC_DATABASE_URL": database}
    if BYTECODE is not None:
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
    return environment


def _pinned(command: list[str], cpus: str | None) -> list[str]:
    if cpus is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", cpus, *command]


def time_command(
    arguments: list[str],
    *,
    code: Path,
    database: str,
    cpus: str | None,
    runs: int,
    warmup: int,
    statistics_on: int,
) -> dict[str, Any]:
    """Wall seconds of `icp-sync ARGUMENTS` as a whole process, `runs` times."""
    entry = "from app.cli.main import run; run()"
    if statistics_on:
        entry = STATISTICS_ON_A_SAMPLE.format(statistics_on) + entry
    command = _pinned([sys.executable, "-c", entry, *arguments], cpus)
    environment = _environment(code, database)
    walls: list[float] = []
    cpus_used: list[float] = []
    peaks: list[float] = []
    load_before = os.getloadavg()
    for attempt in range(warmup + runs):
        started = time.perf_counter()
        returncode, stdout, stderr, usage = _run(command, code, environment)
        wall = time.perf_counter() - started
        if returncode != 0:
            raise SystemExit(f"{' '.join(arguments)} failed ({returncode}):\n{stderr}")
        json.loads(stdout)  # the JSON output stays clean
        if attempt >= warmup:
            walls.append(wall)
            cpus_used.append(usage.ru_utime + usage.ru_stime)
            peaks.append(usage.ru_maxrss / 1024)  # Linux: KiB
    return {
        "command": "icp-sync " + " ".join(arguments),
        "runs": runs,
        "median_s": round(statistics.median(walls), 2),
        "min_s": round(min(walls), 2),
        "max_s": round(max(walls), 2),
        "median_cpu_s": round(statistics.median(cpus_used), 2),
        "peak_rss_mib": round(max(peaks)),
        "median_peak_rss_mib": round(statistics.median(peaks)),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _run(
    command: list[str], code: Path, environment: dict[str, str]
) -> tuple[int, str, str, resource.struct_rusage]:
    """Exit status, output, error output and resource usage of one run of `command`: its
    user + system CPU seconds (on a shared machine, the figure that other processes' load
    disturbs least) and its peak resident set size (`ru_maxrss`), from `wait4`. `taskset`
    execs the command, so both are the command's own."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=code, env=environment, stdout=out, stderr=err, text=True
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read(), err.read(), usage


def phases(
    code: Path, database: str, challenger: Path, cpus: str | None, *, stats: bool
) -> dict[str, float]:
    """In one process: reading and scoring for `validate` and `plan` (each from a fresh
    start, so without the sharing the `plan` command does), then the statistics."""
    arguments = [database, str(challenger), "1" if stats else "0"]
    command = _pinned([sys.executable, "-c", PHASES, *arguments], cpus)
    done = subprocess.run(  # noqa: S603 - our own command line
        command,
        cwd=code,
        env=_environment(code, database),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"phases failed:\n{done.stderr}")
    return {key: round(value, 2) for key, value in json.loads(done.stdout).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=500_000, help="closed deals")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        help="time against this PostgreSQL database, loaded from the SQLite store if empty",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--cpus", default="0", help="taskset CPU list; 'all' to not pin")
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose app/ to run")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "icp-sync-bench"
    )
    parser.add_argument("--only", choices=("validate", "plan"), help="time one command")
    parser.add_argument(
        "--statistics-on",
        type=int,
        default=0,
        metavar="N",
        help="statistics on the first N deals only (10 resamples): the rest of the command",
    )
    parser.add_argument("--phases", action="store_true", help="also time the parts in-process")
    parser.add_argument("--no-stats", action="store_true", help="--phases without statistics")
    parser.add_argument("--no-commands", action="store_true", help="only --phases")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile every module in every run (no PYTHONPYCACHEPREFIX under --cache-dir)",
    )
    args = parser.parse_args()
    cpus = None if args.cpus == "all" else args.cpus
    global BYTECODE
    BYTECODE = None if args.no_bytecode_cache else args.cache_dir.resolve() / "bytecode"

    database, built = store(args.cache_dir, args.accounts, args.deals, args.seed)
    url = f"sqlite:///{database}"
    loaded: float | None = None
    if args.database_url:
        url = args.database_url
        loaded = load_postgres(url, database)
    report: dict[str, Any] = {
        "accounts": args.accounts,
        "closed_deals": args.deals,
        "store": str(database),
        "store_mib": round(database.stat().st_size / 2**20, 1),
        "build_s": None if built is None else round(built, 1),
        "database": "sqlite" if not args.database_url else "postgresql",
        "postgres_load_s": None if loaded is None else round(loaded, 1),
        "code": str(args.code.resolve()),
        "cpus": args.cpus,
        "statistics_on": args.statistics_on or "all deals",
        "bytecode_cache": None if BYTECODE is None else str(BYTECODE),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
        "date": datetime.now(UTC).date().isoformat(),
    }
    with tempfile.TemporaryDirectory() as folder:
        challenger = challenger_rubric(Path(folder))
        commands = {
            "validate": ["validate", "--json"],
            "plan": ["plan", "--rubric", str(challenger), "--json"],
        }
        for name, arguments in commands.items():
            if args.only in (None, name) and not args.no_commands:
                report[name] = time_command(
                    arguments,
                    code=args.code,
                    database=url,
                    cpus=cpus,
                    runs=args.runs,
                    warmup=args.warmup,
                    statistics_on=args.statistics_on,
                )
        if args.phases:
            report["phases_s"] = phases(args.code, url, challenger, cpus, stats=not args.no_stats)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
