"""The dashboard's pages on a store of many accounts: p50 / p95 / max seconds of each page, as
a browser gets it from `icp-sync serve` (one process, over loopback HTTP, logged in).

    .venv/bin/python bench/ui_pages.py [--accounts 100000] [--requests 40]
        [--database-url URL] [--json]

The store is made by the browser tests' seeder (tests.support.dashboard_store: both CRMs'
records, scored by the product's own code under two rubrics over 90 days, deals, syncs, inbox,
writeback outcomes), kept in /tmp between runs of the same size (SQLite) or made in the
empty PostgreSQL database given (and kept there for the next run). `icp-sync validate` and
`icp-sync plan` (of a challenger in a rubric directory) store their runs first, so the
Validation pages show real ones. Then
`icp-sync serve --no-worker --no-schedules` starts and each page is asked for once (the first
view, reported apart: the overview then reads the whole score history once per process), then
`--requests` times in turn, one request at a time, in `--runs` rounds: reported are the
medians over the rounds of each page's p50, p95 and max, and the worst round's p95, beside
`/healthz` measured the same way (the machine's own noise). The CSV export of every account is timed
apart: it is a download, not a page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import func, select
from webhook_ingest import start_service
from webhook_latency import free_port, percentile

from app.rubric import DEFAULT_RUBRIC_PATH
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables_runs import ValidationRun
from tests.support.dashboard_store import seed_dashboard_store

TOKEN = secrets.token_hex(20)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def rubric_dir(folder: Path) -> Path:
    """A champion (the shipped default) and a challenger that raises `too_small` to 50."""
    folder.mkdir(parents=True, exist_ok=True)
    champion = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8"))
    (folder / "champion.yaml").write_text(yaml.safe_dump(champion), encoding="utf-8")
    challenger = dict(champion, version=f"{champion['version']}-bigger")
    challenger["disqualifiers"] = [
        dict(d, less_than=50) if d["id"] == "too_small" else d for d in champion["disqualifiers"]
    ]
    (folder / "challenger.yaml").write_text(yaml.safe_dump(challenger), encoding="utf-8")
    return folder


def prepare(url: str, accounts: int, env: dict[str, str], folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        seed = seed_dashboard_store(make_session_factory(engine), accounts=accounts, now=NOW)
    finally:
        engine.dispose()
    seeded = time.perf_counter() - started
    cli = [sys.executable, "-c", "from app.cli.main import run; run()"]
    for command in (["validate", "--json"], ["plan", "--rubric", str(folder / "challenger.yaml"),
                                            "--json"]):  # fmt: skip
        subprocess.run([*cli, *command], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return {"seed_seconds": round(seeded, 1), "live_accounts": seed.live_accounts,
            "history_rows": seed.history_rows}  # fmt: skip


def seeded(url: str) -> bool:
    """Whether the store was made by an earlier run (its validation stored last)."""
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(select(func.count(ValidationRun.id))).scalar_one())
    finally:
        engine.dispose()


def pages(client: httpx.Client) -> dict[str, str]:
    """Name → path: every page, the accounts list under each filter and sort."""
    listing = client.get("/ui/accounts?sort=score&dir=desc").text
    first = listing.split('href="/ui/accounts/', 1)[1].split('"', 1)[0]
    return {
        "overview": "/ui/",
        "accounts": "/ui/accounts",
        "accounts: search": "/ui/accounts?q=tech",
        "accounts: CRM + tier, by score":
            "/ui/accounts?source=hubspot&tier=tier_1&sort=score&dir=desc",
        "accounts: flag": "/ui/accounts?flag=too_small",
        "accounts: score range + changed since":
            "/ui/accounts?min_score=40&max_score=80&changed_since=2026-11-10",
        "accounts: page 200, by name": "/ui/accounts?sort=name&page=200",
        "accounts: page 200 (the last), by score": "/ui/accounts?sort=score&dir=desc&page=200",
        "account": f"/ui/accounts/{first}",
        "validation": "/ui/validation",
        "plan": "/ui/validation/plans/challenger",
        "reference: /healthz (no store, no template)": "/healthz",
    }  # fmt: skip


def measure(client: httpx.Client, path: str, requests: int) -> dict[str, Any]:
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}")
    return {
        "p50": round(percentile(times, 0.5) or 0, 4),
        "p95": round(percentile(times, 0.95) or 0, 4),
        "max": round(max(times), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="rounds over every page")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in /tmp)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = rubric_dir(Path(tempfile.gettempdir()) / "icp-sync-ui-bench-rubrics")
    url = args.database_url or f"sqlite:///{tempfile.gettempdir()}/icp-sync-ui-{args.accounts}.db"
    env = {**os.environ, "ICP_SYNC_DATABASE_URL": url, "ICP_SYNC_ADMIN_TOKEN": TOKEN,
           "ICP_SYNC_RUBRIC_DIR": str(folder), "ICP_SYNC_LOG_FORMAT": "json"}  # fmt: skip
    prepared = {"reused": True} if seeded(url) else prepare(url, args.accounts, env, folder)
    port = free_port()
    service = start_service(env, port, ("--no-worker", "--no-schedules"))
    results: dict[str, Any] = {}
    try:
        headers = {"authorization": f"Bearer {TOKEN}", "accept": "text/html"}
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            first_views = {}
            paths = pages(client)
            for name, path in paths.items():
                started = time.perf_counter()
                client.get(path).raise_for_status()
                first_views[name] = round(time.perf_counter() - started, 4)
            rounds = [
                {name: measure(client, path, args.requests) for name, path in paths.items()}
                for _ in range(args.runs)
            ]
            for name in paths:
                figures = [one[name] for one in rounds]
                results[name] = {
                    key: round(statistics.median(f[key] for f in figures), 4)
                    for key in ("p50", "p95", "max")
                } | {
                    "p95_worst_run": max(f["p95"] for f in figures),
                    "first_view": first_views[name],
                }
            started = time.perf_counter()
            csv_rows = client.get("/ui/accounts.csv").text.count("\n") - 1
            csv_seconds = time.perf_counter() - started
    finally:
        service.terminate()
        service.wait(30)
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "load": os.getloadavg(),
        "store": url.split(":", 1)[0].split("+")[0],
        "accounts": args.accounts,
        **prepared,
        "requests_per_page": args.requests,
        "runs": args.runs,
        "pages": results,
        "csv_export": {"rows": csv_rows, "seconds": round(csv_seconds, 2)},
    }  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"{report['store']}, {args.accounts:,} accounts, load {report['load']}; medians of "
        f"{args.runs} runs of {args.requests} requests a page (worst run's p95 apart)"
    )
    print(f"{'page':44} {'first':>7} {'p50':>7} {'p95':>7} {'worst':>7} {'max':>7}")
    for name, figures in results.items():
        print(
            f"{name:44} {figures['first_view']:7.3f} {figures['p50']:7.3f} "
            f"{figures['p95']:7.3f} {figures['p95_worst_run']:7.3f} {figures['max']:7.3f}"
        )
    print(f"CSV export: {csv_rows:,} rows in {csv_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
