"""Webhook load: the highest delivery rate the inbox holds with nothing lost, and its p99.

    .venv/bin/python bench/webhook_load.py [--rates 100,200,300,400,500,600,800,1000]
        [--step-seconds 10] [--p99-bound 1.0] [--workers 1,2] [--database-url URL] [--json]

`icp-sync serve --no-worker --no-schedules --workers N` runs as a second process (N HTTP
processes under uvicorn's supervisor) on loopback, once per count in `--workers`, one after
the other in the same run, each on a fresh SQLite store or the empty database given, started
as bench/webhook_ingest.py does (its minimal keep-alive HTTP/1.1 client and signed deliveries
are reused). This process is an OPEN-LOOP load generator: at each rate in turn, for
`--step-seconds`, delivery i is due at start + i / rate and goes out then, whether or not
earlier ones were answered (on an idle keep-alive connection, else on a new one, up to
`--max-connections` in flight); its latency runs from when it was due, so a queue anywhere, in
the service or in the generator, shows up.

A step is held when every delivery was answered 2xx, the inbox gained exactly as many rows as
deliveries were due (counted in the database after the step), the achieved send rate is at
least 95 % of the target and p99 is under `--p99-bound`; stepping stops at the first step
not held. Per step: deliveries due / sent, 2xx, non-2xx, errors, timeouts, achieved rate,
p50 / p99 / max latency, how late the sends left (the generator's own lag), connections
opened, and the CPU seconds over the step of the generator, the service (all its processes,
and each one), the database's backends (PostgreSQL) and the whole machine, so a saturated
generator, or a database taking a core, is seen for what it is.
Every loop is bounded: a step sends at most rate x seconds deliveries, gives up sending after
twice its duration, and waits at most `--timeout` more for the answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url
from webhook_ingest import (
    INBOX_ONLY,
    Connection,
    delivery,
    free_port,
    process_cpu,
    service_env,
    start_service,
)

from app.store.engine import make_engine
from app.store.tables import WebhookEvent

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIN_SEND_SHARE = 0.95
BUSY_GENERATOR = 0.8  # of one core: above this, the generator may be what limits the step
PATH = "/webhooks/hubspot"
REUSE_IDLE_S = 4.0  # uvicorn closes a keep-alive connection idle for 5 s: not reused past 4 s


def service_cpu(service_pid: int) -> dict[int, float]:
    """CPU seconds of the service's processes: the one started, and its children (uvicorn's
    worker processes under `--workers N`)."""
    pids = [service_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == service_pid:
                pids.append(int(entry.name))
    return {pid: process_cpu(pid) for pid in pids}


def backends_cpu(database: str | None) -> float:
    """CPU seconds of the PostgreSQL backends serving `database` (none for SQLite)."""
    if not database:
        return 0.0
    marker, total = f" {database} ".encode(), 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres: ") and marker in command:
                total += process_cpu(int(entry.name))
    return total


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine, all cores and all processes, from /proc/stat."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS  # minus idle and iowait


def cpu_snapshot(service_pid: int, database: str | None) -> dict[str, Any]:
    processes = service_cpu(service_pid)
    return {
        "generator": time.process_time(),
        "service": sum(processes.values()),
        "database": backends_cpu(database),
        "machine": machine_cpu(),
        "processes": processes,
    }


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def run_step(
    port: int, secret: str, base: int, first: int, rate: float, args: argparse.Namespace
) -> dict[str, Any]:
    """Deliveries `first`.. at `rate` for `args.step_seconds`, open loop; answers tallied."""
    loop = asyncio.get_running_loop()
    url = f"http://127.0.0.1:{port}{PATH}"
    count = max(1, round(rate * args.step_seconds))
    idle: list[tuple[Connection, float]] = []  # with when it went idle; last in, first out
    slots = asyncio.Semaphore(args.max_connections)
    latencies: list[float] = []
    lags: list[float] = []
    tally: Counter[str] = Counter()
    kinds: Counter[str] = Counter()  # errors by exception
    start = loop.time() + 0.05
    last_sent = start

    async def one(number: int, due: float) -> None:
        nonlocal last_sent
        async with slots:
            for attempt in range(2):
                connection = None
                while attempt == 0 and idle and connection is None:
                    connection, since = idle.pop()
                    if loop.time() - since > REUSE_IDLE_S:
                        connection.close()
                        connection = None
                reused = connection is not None
                try:
                    if connection is None:
                        connection = await asyncio.wait_for(Connection.open(port), args.timeout)
                        tally["connections"] += 1
                except (OSError, TimeoutError) as error:
                    kinds[type(error).__name__] += 1
                    tally["errors"] += 1
                    latencies.append(loop.time() - due)
                    return
                body, headers = delivery(secret, url, base, number)
                sent = loop.time()
                last_sent = max(last_sent, sent)
                if attempt == 0:
                    lags.append(sent - due)
                try:
                    status = await asyncio.wait_for(
                        connection.post(PATH, body, headers), args.timeout
                    )
                except asyncio.CancelledError:  # the step gave up waiting for it
                    connection.close()
                    raise
                except TimeoutError:
                    connection.close()
                    tally["timeouts"] += 1
                    latencies.append(loop.time() - due)
                    return
                except (OSError, asyncio.IncompleteReadError) as error:
                    connection.close()
                    if reused:  # a keep-alive connection the service closed as we sent:
                        tally["resent"] += 1  # again on a new one, same eventId, as a CRM does
                        continue
                    kinds[type(error).__name__] += 1
                    tally["errors"] += 1
                    latencies.append(loop.time() - due)
                    return
                answered = loop.time()
                latencies.append(answered - due)
                idle.append((connection, answered))
                tally["2xx" if 200 <= status < 300 else "non_2xx"] += 1
                return

    tasks: list[asyncio.Task[None]] = []
    give_up = start + 2 * args.step_seconds  # a generator this far behind abandons the step
    due_count = 0
    while due_count < count and loop.time() < give_up:
        now = loop.time()
        while due_count < count and start + due_count / rate <= now:
            due = start + due_count / rate
            tasks.append(asyncio.create_task(one(first + due_count, due)))
            due_count += 1
        if due_count < count:
            await asyncio.sleep(max(0.0, start + due_count / rate - loop.time()))
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=args.timeout + 5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        tally["timeouts"] += len(pending)
    wall = loop.time() - start
    for connection, _ in idle:
        connection.close()
    latencies.sort()
    lags.sort()
    span = max(args.step_seconds, last_sent - start + 1 / rate)
    return {
        "rate": rate,
        "requests": count,
        "sent": len(lags),
        "ok_2xx": tally["2xx"],
        "non_2xx": tally["non_2xx"],
        "errors": tally["errors"],
        "error_kinds": dict(kinds),
        "timeouts": tally["timeouts"],
        "not_sent": count - due_count,
        "resent": tally["resent"],
        "achieved_rate": round(len(lags) / span, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 1),
        "send_lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
        "connections": tally["connections"],
        "wall_s": round(wall, 2),
    }


def inbox_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(WebhookEvent)).scalar_one())


async def climb(
    port: int,
    secret: str,
    engine: Engine,
    service_pid: int,
    workers: int,
    base: int,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """The steps, in order of `args.rates`, up to and including the first one not held; the
    deliveries' eventIds count up from `base`."""
    database = make_url(args.database_url).database if args.database_url else None
    first, steps = 0, []
    for rate in args.rates:
        before_rows = inbox_rows(engine)
        before = cpu_snapshot(service_pid, database)
        step = await run_step(port, secret, base, first, rate, args)
        after = cpu_snapshot(service_pid, database)
        first += step["requests"]
        step["stored"] = inbox_rows(engine) - before_rows
        step["lost"] = step["requests"] - step["stored"]
        wall = step["wall_s"]
        cpu = {name: after[name] - before[name] for name in after if name != "processes"}
        step["workers"] = workers
        step["cpu_s"] = {name: round(seconds, 2) for name, seconds in cpu.items()}
        step["cpu_s"]["service_processes"] = [
            round(seconds - before["processes"].get(pid, 0.0), 2)
            for pid, seconds in sorted(after["processes"].items())
        ]  # the supervisor first (its pid is the lowest), then each worker process
        step["cpu_s"]["other"] = round(
            cpu["machine"] - cpu["generator"] - cpu["service"] - cpu["database"], 2
        )
        step["generator_core_share"] = round(cpu["generator"] / wall, 2)
        step["service_core_share"] = round(cpu["service"] / wall, 2)
        step["machine_cores_busy"] = round(cpu["machine"] / wall, 2)
        step["generator_busy"] = step["generator_core_share"] >= BUSY_GENERATOR
        reasons = []
        if step["ok_2xx"] != step["requests"]:
            reasons.append("not every delivery answered 2xx")
        if step["lost"]:
            reasons.append(f"inbox rows {step['stored']} != {step['requests']} deliveries")
        if step["achieved_rate"] < MIN_SEND_SHARE * rate:
            reasons.append(f"sent at {step['achieved_rate']}/s < 95 % of {rate:g}/s")
        if step["p99_ms"] >= args.p99_bound * 1000:
            reasons.append(f"p99 {step['p99_ms']} ms >= {args.p99_bound * 1000:g} ms")
        step["held"] = not reasons
        step["not_held_because"] = reasons
        steps.append(step)
        print(line(step), file=sys.stderr, flush=True)
        if reasons:
            break
        await asyncio.sleep(args.pause)
    return steps


def line(step: dict[str, Any]) -> str:
    cpu = step["cpu_s"]
    return (
        f"workers {step['workers']} {step['rate']:>6g}/s sent {step['sent']:>5} "
        f"2xx {step['ok_2xx']:>5} "
        f"non-2xx {step['non_2xx']} err {step['errors']} timeout {step['timeouts']} "
        f"lost {step['lost']} | achieved {step['achieved_rate']:>6}/s "
        f"p50 {step['p50_ms']:>6} p99 {step['p99_ms']:>7} max {step['max_ms']:>7} ms "
        f"lag p99 {step['send_lag_p99_ms']} ms conns {step['connections']} | cpu s: "
        f"gen {cpu['generator']} ({step['generator_core_share']:.0%} of a core) "
        f"service {cpu['service']} {cpu['service_processes']} db {cpu['database']} "
        f"other {cpu['other']} "
        f"machine {step['machine_cores_busy']} cores busy | "
        + ("held" if step["held"] else "NOT held: " + "; ".join(step["not_held_because"]))
    )


def cpu_model() -> str:
    for text in Path("/proc/cpuinfo").read_text().splitlines():
        if text.startswith("model name"):
            return text.split(":", 1)[1].strip()
    return platform.processor()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rates",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 800.0, 1000.0],
        help="deliveries per second, one step each, comma-separated",
    )
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--p99-bound", type=float, default=1.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="per delivery, seconds")
    parser.add_argument("--max-connections", type=int, default=1000)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between steps")
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(count) for count in text.split(",")],
        default=[1],
        help="serve --workers counts, comma-separated, run one after the other",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if any(rate <= 0 for rate in args.rates) or args.step_seconds <= 0:
        parser.error("rates and --step-seconds must be positive")
    if any(count < 1 for count in args.workers):
        parser.error("--workers counts must be at least 1")

    loadavg_before = Path("/proc/loadavg").read_text().split()[:3]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for index, workers in enumerate(args.workers):
            database_url = args.database_url or f"sqlite:///{Path(folder) / f'inbox{index}.db'}"
            base = int(time.time() * 1000) + index * 100_000_000  # eventIds unique across runs
            steps = run_service(
                database_url, workers, base, Path(folder) / f"serve{index}.log", args
            )
            held = [step for step in steps if step["held"]]
            runs.append(
                {
                    "workers": workers,
                    "highest_rate_held": held[-1]["rate"] if held else None,
                    "p99_ms_at_highest": held[-1]["p99_ms"] if held else None,
                    "first_not_held": None if len(held) == len(steps) else steps[-1]["rate"],
                    "steps": steps,
                }
            )
    result = {
        "highest_rate_held": {run["workers"]: run["highest_rate_held"] for run in runs},
        "database": (args.database_url or "sqlite").split(":")[0],
        "step_seconds": args.step_seconds,
        "p99_bound_s": args.p99_bound,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg_before": loadavg_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "runs": runs,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print("; ".join(f"{key}={value}" for key, value in result.items() if key != "runs"))
    return 0


def run_service(
    database_url: str, workers: int, base: int, log: Path, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """The steps against `serve --workers {workers}`, started once every process is up."""
    secret = secrets.token_hex(16)
    port = free_port()
    with log.open("wb") as output:
        service = start_service(
            service_env(database_url, secret), port, (*INBOX_ONLY, "--workers", str(workers)),
            output,
        )  # fmt: skip
        engine = make_engine(database_url)
        try:
            deadline = time.monotonic() + 120
            while log.read_text().count("Application startup complete.") < workers:
                if time.monotonic() > deadline:
                    raise SystemExit(f"not all {workers} service processes started in 120 s")
                time.sleep(0.2)
            return asyncio.run(climb(port, secret, engine, service.pid, workers, base, args))
        finally:
            service.terminate()
            service.wait(30)
            engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
