"""Rescoring a whole stored CRM through the rubric roll-out: (a) the first scoring of a store a
sync filled, then (b) the roll-out of a changed rubric (the industry criterion's weight 25 -> 30).

    PYTHONPATH=$PWD:$PWD/bench .venv/bin/python bench/bulk_rescore.py \\
        --database sqlite --accounts 1000000 --deals 100000 --runs 5 [--json]
    ... --database postgresql [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

The store is seeded once by bench/store_seed.py (HubSpot companies only: the sandbox seed has
no leads) and kept: a SQLite file under --cache, a PostgreSQL database icp_bench_bulk_seed<N>
(--drop drops it at the end). Each run works on a fresh copy (a file copy; CREATE DATABASE ...
TEMPLATE), in a fresh process, so its peak RSS is its own.

Timed: `app.sync.rollout._Rollout._rescore_committing`, the roll-out's rescoring phase (pages,
scores, history, writeback desired state, commits, metrics) with the HubSpot connector's
rendering, under whatever code PYTHONPATH points at (run it with PYTHONPATH at main's worktree
for the per-record reference). Not timed: the CRM write-back that follows in a roll-out, bound by
the CRM's rate limit. Reported per run and phase: seconds, accounts/s, records scored and
changed, peak RSS (VmHWM; and the largest scoring process's ru_maxrss), CPU seconds of this process,
of its children (the scoring processes) and (PostgreSQL) of its server backends, and the load
average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, make_url, select, text

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.tables import Account
from app.sync.rescore import Renderer
from connectors.hubspot.render import render_score

SOURCE = "hubspot"
TICKS = os.sysconf("SC_CLK_TCK")


def changed_rubric() -> Rubric:
    """The default rubric with one weight changed (same declared version: a new fingerprint)."""
    data = load_rubric().model_dump(mode="json", exclude_none=True)
    data["layers"]["firmographic"]["criteria"][0]["weight"] += 5
    return Rubric.model_validate(data)


def backend_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the PostgreSQL backends with these pids have used."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def peak_rss_mib() -> int:
    """This process's peak RSS: its memory's high-water mark (VmHWM). Not ru_maxrss, which
    execve keeps from the parent: a run spawned by a parent that had just seeded 1M accounts
    reported the parent's 790 MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def timed_phase(url: str, rubric: Rubric, render: Renderer = render_score) -> dict[str, Any]:
    """One roll-out's rescoring phase, in this (fresh) process, rendering with `render` (the
    HubSpot connector's by default)."""
    from app.sync.rollout import _Rollout, utc_now  # the code under test: PYTHONPATH's

    engine = make_engine(url)
    factory = make_session_factory(engine)
    connector: Any = SimpleNamespace(source=SOURCE, render_score=render)
    compiled = compile_rubric(rubric)
    postgres = engine.dialect.name == "postgresql"
    with factory() as session:
        backends = [int(session.scalar(text("SELECT pg_backend_pid()")) or 0)] if postgres else []
        run = _Rollout(session, connector, compiled, utc_now, False, "bench", None, ())
        run.result.accounts = int(session.scalar(select(func.count(Account.id))) or 0)
        load_before = os.getloadavg()
        cpu_before, server_before = os.times(), backend_cpu(backends)
        started = time.perf_counter()
        run._rescore_committing()
        seconds = time.perf_counter() - started
        cpu_after, server_after = os.times(), backend_cpu(backends)
    engine.dispose()
    report = run.result.rescore
    return {
        "seconds": round(seconds, 2),
        "accounts": run.result.accounts,
        "accounts_per_s": round(run.result.accounts / seconds),
        "scored": report.scored,
        "changed": report.changed,
        "peak_rss_mib": peak_rss_mib(),
        # the largest scoring process's (Linux: the largest child's); at most one per core
        "peak_rss_child_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "processes": len(os.sched_getaffinity(0)),
        "cpu_s": round(cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system, 1),
        "children_cpu_s": round(
            cpu_after.children_user
            + cpu_after.children_system
            - cpu_before.children_user
            - cpu_before.children_system,
            1,
        ),
        "server_cpu_s": round(server_after - server_before, 1) if postgres else None,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def in_fresh_process(url: str, rubric: Rubric, render: Renderer = render_score) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(timed_phase, url, rubric, render).result()


class Store:
    """The seeded store, and a fresh copy of it per run; `kind` names them apart from another
    bench's (whose seed differs)."""

    def __init__(self, options: argparse.Namespace, kind: str = "bulk") -> None:
        self.options = options
        size = f"{options.accounts // 1000}k_{options.deals // 1000}k"
        if options.database == "sqlite":
            self.seed = Path(options.cache) / f"{kind}_seed_{size}.db"
            self.work = Path(options.cache) / f"{kind}_run_{size}.db"
            self.seed_url, self.url = f"sqlite:///{self.seed}", f"sqlite:///{self.work}"
        else:
            admin = make_url(options.postgres)
            self.admin = admin.render_as_string(hide_password=False)
            self.seed_name, self.work_name = (
                f"icp_bench_{kind}_seed{size}",
                f"icp_bench_{kind}_run{size}",
            )
            self.seed_url = admin.set(database=self.seed_name).render_as_string(False)
            self.url = admin.set(database=self.work_name).render_as_string(False)

    def ensure_seeded(self) -> None:
        from store_seed import seed_store

        o = self.options
        if o.database == "sqlite":
            if not self.seed.exists():
                seed_store(self.seed_url, o.accounts, o.deals, o.seed)
            return
        exists = f"SELECT 1 FROM pg_database WHERE datname = '{self.seed_name}'"  # noqa: S608
        if not self._sql(exists):
            self._sql(f"CREATE DATABASE {self.seed_name}")
            seed_store(self.seed_url, o.accounts, o.deals, o.seed)

    def fresh(self) -> str:
        if self.options.database == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.work}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.seed, self.work)
        else:
            self._sql(f"DROP DATABASE IF EXISTS {self.work_name} WITH (FORCE)")
            self._sql(f"CREATE DATABASE {self.work_name} TEMPLATE {self.seed_name}")
        return self.url

    def clean(self) -> None:
        if self.options.database == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.work}{suffix}").unlink(missing_ok=True)
            if self.options.drop:
                self.seed.unlink(missing_ok=True)
            return
        self._sql(f"DROP DATABASE IF EXISTS {self.work_name} WITH (FORCE)")
        if self.options.drop:
            self._sql(f"DROP DATABASE IF EXISTS {self.seed_name} WITH (FORCE)")

    def _sql(self, statement: str) -> bool:
        """Runs one statement outside a transaction; whether it returned a row."""
        engine = make_engine(self.admin)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            result = connection.execute(text(statement))
            found = result.returns_rows and result.first() is not None
        engine.dispose()
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "icp-sync-bench"))
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=100_000, help="closed deals")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--phases", default="first,rollout", help="first and/or rollout")
    parser.add_argument("--drop", action="store_true", help="drop the seeded store at the end")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    Path(options.cache).mkdir(parents=True, exist_ok=True)
    store = Store(options)
    store.ensure_seeded()
    phases = options.phases.split(",")
    runs: dict[str, list[dict[str, Any]]] = {phase: [] for phase in phases}
    try:
        for _ in range(options.runs):
            url = store.fresh()
            first = in_fresh_process(url, load_rubric())
            if "first" in runs:
                runs["first"].append(first)
            if "rollout" in runs:
                runs["rollout"].append(in_fresh_process(url, changed_rubric()))
            print(json.dumps({p: r[-1] for p, r in runs.items()}), file=sys.stderr)
    finally:
        store.clean()
    summary = {
        "database": options.database,
        "accounts": options.accounts,
        "closed_deals": options.deals,
        "runs": options.runs,
        "median_seconds": {
            p: statistics.median(r["seconds"] for r in rs) for p, rs in runs.items()
        },
        "phases": runs,
    }
    if options.json:
        print(json.dumps(summary))
    else:
        for phase, results in runs.items():
            median = summary["median_seconds"][phase]
            print(f"{phase}: median {median:.1f}s over {len(results)} runs of "
                  f"{options.accounts} accounts ({options.accounts / median:,.0f}/s)")  # fmt: skip
            for r in results:
                print(f"  {r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
