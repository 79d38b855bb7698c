"""End to end at 1,000,000 companies (issue 18, point 6): the HubSpot sandbox seeded with N
companies, the first full sync (in pieces, resumable), a no-change re-sync, a rubric roll-out
and webhook-to-tier latency on the N-company store.

    .venv/bin/python bench/e2e_million.py --work-dir DIR [--companies 1000000]
        [--deals-per-company 2] [--phases seed sync resync rollout webhook] [--max-minutes M]
        [--store-only] [--rollouts 1] [--leads 40] [--lead-rate 1] [--database-url URL] [--json]

Every invocation starts the sandbox in this process (HubSpot only, served over real HTTP on
loopback, a Professional portal's limits: 190 requests per 10 s, 5 searches/s), seeded with
`--companies` companies and their deals (seed 7, `as_of` fixed at AS_OF, so every invocation
seeds the same records with the same ids), and reports how long seeding took and the
resident memory it added. Then the `--phases`, in order, each as a user runs it: `icp-sync`
subprocesses on the store in `--work-dir` (SQLite `store.db`, or `--database-url`); figures
accumulate in `DIR/results.json`, so the work can be spread over several invocations.

- `sync`: `icp-sync sync --source hubspot --json`, stopped (SIGINT, as Ctrl-C) after
  `--max-minutes` (0: no limit); the next invocation's `sync` resumes it (the product's
  resumable full pull: each page is committed with its cursor). Sampled every 30 s: accounts
  and deals in the store, API calls the sandbox served (by route), 429s. Reported per piece and
  over all pieces: companies/s and records/s pulled, writes/s, API calls against the minimum
  (one page per 100 live or archived companies or deals pulled, one batch per 100 writes),
  the share of the rate limit used; until the sync completes, the whole is "extrapolated" from
  the measured rates.
- `resync`: once the sync completed, `icp-sync sync` again: API calls and seconds. Meaningful
  only in the invocation that completed the sync (the sandbox then still holds the echo of our
  write-back); after a restart the fresh sandbox has none, and the run is labelled so.
- `rollout`: `icp-sync rescore --source hubspot --json --rubric R` where R is the default rubric
  with one weight changed and a new version per roll-out (`DIR/rubric-N.yaml`): rescoring and
  write-back timed apart (the write-back starts at the first score write the sandbox receives).
  On a store without scores (`--store-only`) the first roll-out is the initial scoring, labelled
  so, and `--rollouts` more follow. Re-running the phase later rolls out a further version.
- `webhook`: `icp-sync serve --no-schedules` on the store (rubric: the last one rolled out),
  `--leads` new companies with a contact created at `--lead-rate` per second; the time from
  each creation to its tier in the sandbox (bench/webhook_latency.py's mechanism).

`--store-only` builds the store directly (bench/e2e_store.py: bulk-inserted accounts, deals
and links mapped by the connector's own mapping, as a pull leaves them) when it does not exist.
The load average (`/proc/loadavg`) is recorded with every figure: the host is shared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from e2e_store import build_store
from sqlalchemy import func, select
from webhook_ingest import start_service
from webhook_latency import Landings, free_port, percentile

from app.crm import hubspot_connector
from app.rubric import DEFAULT_RUBRIC_PATH, load_rubric
from app.store.engine import make_engine
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, Deal, Score
from crm_sandbox.core.seed import generate
from crm_sandbox.hubspot.limits import RATE_LIMIT
from crm_sandbox.sandbox import RunningSandbox, start_sandbox

AS_OF = date(2026, 12, 1)
SEED = 7
BATCH = 100
SAMPLE_S = 30.0
CLI = (
    sys.executable,
    "-c",
    "from app.log_setup import configure_logging; configure_logging(); "
    "from app.cli.main import run; run()",
)
"""`icp-sync` with its INFO log on (JSON lines with times, on stderr): the roll-out's
progress lines split its time into rescoring and write-back."""
PHASES = ("seed", "sync", "resync", "rollout", "webhook")


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Work:
    """The work directory: the store, the rubrics, the logs and results.json."""

    def __init__(self, folder: Path, database_url: str | None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.url = database_url or f"sqlite:///{folder / 'store.db'}"
        self.path = folder / "results.json"
        self.results: dict[str, Any] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )

    def save(self) -> None:
        self.path.write_text(json.dumps(self.results, indent=1, default=str))

    def env(self, sandbox: RunningSandbox, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "ICP_SYNC_DATABASE_URL": self.url,
            **sandbox.service_env(),
            "ICP_SYNC_LOG_FORMAT": "json",
            **extra,
        }

    def max_crm_id(self) -> int:
        """The highest HubSpot company id stored (an earlier webhook phase's leads included)."""
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                query = select(func.max(Account.crm_id)).where(Account.source == "hubspot")
                return int(connection.scalar(query) or 0)  # ids are all 11 digits
        finally:
            engine.dispose()

    def counts(self) -> dict[str, int]:
        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return {
                    name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                    for name, table in (("accounts", Account), ("deals", Deal), ("scores", Score))
                }
        finally:
            engine.dispose()


PROFILE: Path | None = None
"""`--profile DIR`: each command runs under cProfile (its main thread), stats to DIR/NAME.prof."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_cli(
    work: Work, env: dict[str, str], name: str, arguments: list[str], max_s: float | None,
    tick: Any = None,
) -> tuple[int, str, float, bool]:  # fmt: skip
    """`icp-sync ARGUMENTS`, its stdout and stderr to files in the work dir; stopped by SIGINT
    after `max_s`. Returns (exit code, stdout, seconds, interrupted)."""
    out_path, log_path = work.folder / f"{name}.out", work.folder / f"{name}.log"
    with out_path.open("w") as out, log_path.open("a") as log:
        started = time.monotonic()
        command = [*CLI, *arguments]
        if PROFILE is not None:
            entry = CLI[2].replace("run()", f"import cProfile; cProfile.run('run()', "
                                   f"{str(PROFILE / (name + '.prof'))!r})")  # fmt: skip
            command = [CLI[0], CLI[1], entry, *arguments]
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, env=env, stdout=out, stderr=log, preexec_fn=_default_sigint
        )
        interrupted = False
        next_tick = started + SAMPLE_S
        while process.poll() is None:
            time.sleep(1.0)
            now = time.monotonic()
            if tick is not None and now >= next_tick:
                tick(now - started, process.pid)
                next_tick += SAMPLE_S
            if max_s is not None and now - started > max_s and not interrupted:
                note(f"{name}: {max_s / 60:g} minutes up: SIGINT")
                process.send_signal(signal.SIGINT)
                interrupted = True
                try:
                    process.wait(120)
                except subprocess.TimeoutExpired:
                    process.kill()
        seconds = time.monotonic() - started
    return process.returncode, out_path.read_text(), seconds, interrupted


def _default_sigint() -> None:
    """A shell starts background jobs with SIGINT ignored, and Python then never raises
    KeyboardInterrupt: the child gets the default back, so SIGINT stops it as Ctrl-C would."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# --- sync -------------------------------------------------------------------------------------


def minimum_pages(sandbox: RunningSandbox) -> int:
    state = sandbox.hubspot
    return sum(
        math.ceil(state.count(kind, archived=archived) / BATCH) or 1
        for kind in ("companies", "deals")
        for archived in (False, True)
    )


def phase_sync(args: argparse.Namespace, work: Work, sandbox: RunningSandbox) -> bool:
    """One piece of the first full sync; True if the sync is complete."""
    result = work.results.setdefault("sync", {"pieces": [], "complete": False})
    if result["complete"]:
        note("sync: already complete")
        return False
    stats = sandbox.hubspot.stats
    stats.reset()
    before = work.counts()
    samples: list[dict[str, Any]] = []

    def tick(elapsed: float, pid: int) -> None:
        counts = work.counts()
        sample = {"t_s": round(elapsed), **counts, "calls": stats.total,
                  "writes": stats.calls("batch/update"), "load": load_average(),
                  "sync_cpu_s": _cpu_or_none(pid),
                  "sandbox_cpu_s": cpu_seconds(os.getpid())}  # fmt: skip
        samples.append(sample)
        note(f"sync: {sample}")

    max_s = args.max_minutes * 60 if args.max_minutes else None
    load_before = load_average()
    code, out, seconds, interrupted = run_cli(
        work, work.env(sandbox), "sync", ["sync", "--source", "hubspot", "--json"], max_s, tick
    )
    after = work.counts()
    snapshot = stats.snapshot()
    write_calls = stats.calls("batch/update")
    piece: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "exit_code": code,
        "interrupted": interrupted,
        "accounts_before": before["accounts"],
        "accounts_after": after["accounts"],
        "deals_before": before["deals"],
        "deals_after": after["deals"],
        "api_calls": snapshot["total"],
        "write_calls": write_calls,
        "calls_by_route": snapshot["by_route"],
        "rate_limited_429s": snapshot["rate_limited"],
        "load_before": load_before,
        "load_after": load_average(),
        "samples": samples,
    }
    pulled = (after["accounts"] - before["accounts"]) + (after["deals"] - before["deals"])
    total = stats.total
    piece["pull_calls"] = total - write_calls
    piece["records_per_pull_call"] = round(pulled / max(1, total - write_calls), 1)
    piece["share_of_rate_limit"] = round(total / (seconds * RATE_LIMIT / 10), 3)
    if code == 0 and not interrupted:
        report = json.loads(out)
        result["report"] = report
        result["complete"] = True
        result["minimum_calls"] = minimum_pages(sandbox) + math.ceil(_written(report) / BATCH)
    elif code != 0 and not interrupted:  # killed from outside, or failed: kept, see the log
        note(f"icp-sync sync exited {code}; see {work.folder / 'sync.log'}")
    result["pieces"].append(piece)
    result["summary"] = summarise_sync(result, args.companies, args.deals_per_company)
    work.save()
    note(f"sync piece: {json.dumps({k: v for k, v in piece.items() if k != 'samples'})}")
    return bool(result["complete"])


def _written(report: Any) -> int:
    reports = report if isinstance(report, list) else report.get("sources", [report])
    if isinstance(reports, dict):
        reports = list(reports.values())
    return sum(int(r.get("written", 0)) for r in reports if isinstance(r, dict))


def summarise_sync(result: dict[str, Any], companies: int, deals_per: float) -> dict[str, Any]:
    """Rates over the measured pieces: pulling companies, pulling deals, writing back (each
    phase's rate from the samples that fall wholly within it), and the whole, measured or
    extrapolated."""
    pieces = result["pieces"]
    seconds = sum(p["seconds"] for p in pieces)
    calls = sum(p["api_calls"] for p in pieces)
    accounts = pieces[-1]["accounts_after"]
    deals = pieces[-1]["deals_after"]
    rates: dict[str, list[float]] = {"companies": [], "deals": [], "writes": []}
    for piece in pieces:
        previous = {"t_s": 0, "accounts": piece["accounts_before"],
                    "deals": piece["deals_before"], "writes": 0}  # fmt: skip
        for sample in piece["samples"]:
            span = sample["t_s"] - previous["t_s"]
            grown = {key: sample[key] - previous[key] for key in ("accounts", "deals", "writes")}
            if span > 0 and grown["accounts"] > 0 and not grown["deals"]:
                rates["companies"].append(grown["accounts"] / span)
            elif span > 0 and grown["deals"] > 0 and not grown["accounts"]:
                rates["deals"].append(grown["deals"] / span)
            elif span > 0 and grown["writes"] > 0 and not grown["deals"]:
                rates["writes"].append(grown["writes"] * BATCH / span)
            previous = sample
    summary: dict[str, Any] = {
        "measured_seconds": round(seconds),
        "api_calls": calls,
        "accounts_stored": accounts,
        "deals_stored": deals,
        "companies_per_s": _median(rates["companies"]),
        "deals_per_s": _median(rates["deals"]),
        "writes_per_s": _median(rates["writes"]),
        "share_of_rate_limit": round(calls / (seconds * RATE_LIMIT / 10), 3) if seconds else None,
    }
    if result["complete"]:
        summary["wall_seconds"] = round(seconds)
        summary["minimum_calls"] = result["minimum_calls"]
        summary["calls_over_minimum"] = round(calls / result["minimum_calls"], 3)
    else:
        total_deals = companies * deals_per
        parts = [(companies, summary["companies_per_s"]), (total_deals, summary["deals_per_s"]),
                 (companies, summary["writes_per_s"])]  # fmt: skip
        if all(rate for _, rate in parts):
            summary["extrapolated_wall_seconds"] = round(sum(n / r for n, r in parts))
        summary["extrapolated_minimum_calls"] = math.ceil(
            companies / BATCH + total_deals / BATCH + companies / BATCH
        )
    return summary


def _cpu_or_none(pid: int) -> float | None:
    try:
        return cpu_seconds(pid)
    except (OSError, IndexError):
        return None


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[len(ordered) // 2], 1)


def phase_resync(args: argparse.Namespace, work: Work, sandbox: RunningSandbox,
                 same_sandbox: bool) -> None:  # fmt: skip
    if not work.results.get("sync", {}).get("complete"):
        note("resync: the first sync is not complete; skipped")
        return
    sandbox.hubspot.stats.reset()
    load_before = load_average()
    max_s = args.max_minutes * 60 if args.max_minutes else None
    code, out, seconds, interrupted = run_cli(
        work, work.env(sandbox), "resync", ["sync", "--source", "hubspot", "--json"], max_s
    )
    stats = sandbox.hubspot.stats.snapshot()
    work.results.setdefault("resyncs", []).append({
        "seconds": round(seconds, 1), "exit_code": code, "interrupted": interrupted,
        "api_calls": stats["total"], "calls_by_route": stats["by_route"],
        "written": _written(json.loads(out)) if code == 0 else None,
        "sandbox": "the one the full sync wrote to" if same_sandbox
        else "fresh (restarted): our write-back's echo is absent",
        "load_before": load_before, "load_after": load_average(),
    })  # fmt: skip
    work.save()
    note(f"resync: {work.results['resyncs'][-1]}")


# --- rollout ----------------------------------------------------------------------------------


def changed_rubric(work: Work, number: int) -> Path:
    """The default rubric, version `e2e-rollout-N`, its first criterion's weight +N (so each
    roll-out changes scores, not only the version)."""
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text())
    document["version"] = f"e2e-rollout-{number}"
    first_layer = next(iter(document["layers"].values()))
    first_layer["criteria"][0]["weight"] = first_layer["criteria"][0]["weight"] + number
    path = work.folder / f"rubric-{number}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


class ScoreWrites:
    """When the sandbox received the first and the last write of an ICP property."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.count = 0
        self._lock = threading.Lock()
        self.unsubscribe = sandbox.hubspot.subscribe(self._heard)

    def _heard(self, event: Any) -> None:
        if event.object_type == "companies" and any(k.startswith("icp_") for k in event.properties):
            now = time.monotonic()
            with self._lock:
                self.first = self.first or now
                self.last = now
                self.count += 1


def rollout_timeline(log_path: Path, since: float) -> dict[str, float | None]:
    """Seconds from the roll-out's start line to: its last "rescored" progress line, its first
    "written" line, its end line (from the log's times; progress lines come every 5 s)."""
    marks: dict[str, float] = {}
    for line in log_path.read_text().splitlines():
        try:
            entry = json.loads(line)
            at = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError, TypeError):
            continue
        event = str(entry.get("event", ""))
        if at < since or "roll" not in event:
            continue
        if "rolling out rubric" in event:
            marks.setdefault("start", at)
        elif "rescored" in event and "roll-out:" in event:
            marks["last_rescored"] = at
        elif "written" in event and "roll-out:" in event:
            marks.setdefault("first_written", at)
        elif "roll-out of rubric" in event:
            marks["end"] = at
    start = marks.get("start")
    return {
        f"{key}_s": None if start is None or key not in marks else round(marks[key] - start, 1)
        for key in ("last_rescored", "first_written", "end")
    }


def one_rollout(work: Work, sandbox: RunningSandbox, label: str,
                dry_run: bool = False) -> dict[str, Any]:  # fmt: skip
    rollouts = work.results.setdefault("rollouts", [])
    rubric = changed_rubric(work, len(rollouts) + 1)
    before = work.counts()
    sandbox.hubspot.stats.reset()
    writes = ScoreWrites(sandbox)
    load_before = load_average()
    started, wall_started = time.monotonic(), time.time()
    arguments = ["rescore", "--source", "hubspot", "--json", "--rubric", str(rubric)]
    arguments += ["--dry-run"] if dry_run else []
    name = f"rollout-{len(rollouts) + 1}"
    code, out, seconds, _ = run_cli(work, work.env(sandbox), name, arguments, None)
    writes.unsubscribe()
    if code != 0:  # stopped (Ctrl-C) or failed: the timeline so far is kept, see the log
        note(f"icp-sync rescore exited {code}; see {work.folder / (name + '.log')}")
    report = json.loads(out) if code == 0 else {"exit_code": code}
    first = writes.first or (started + seconds)
    last = writes.last or first
    calls = sandbox.hubspot.stats.snapshot()
    row = {
        "label": label
        + (" (dry run: rescoring only, rolled back, nothing written)" if dry_run else ""),
        "rubric": rubric.name,
        "from_log": rollout_timeline(work.folder / f"{name}.log", wall_started - 1),
        "accounts_in_store": before["accounts"],
        "scores_before": before["scores"],
        "seconds": round(seconds, 1),
        "rescoring_seconds": round(first - started, 1),
        "write_back_seconds": round(last - first, 1),
        "after_last_write_seconds": round(started + seconds - last, 1),
        "score_writes_heard": writes.count,
        "api_calls": calls["total"],
        "rate_limited_429s": calls["rate_limited"],
        "report": report,
        "load_before": load_before,
        "load_after": load_average(),
    }
    row["share_of_rate_limit_in_write_back"] = (
        round(sandbox.hubspot.stats.total / ((last - first) * RATE_LIMIT / 10), 3)
        if last > first
        else None
    )
    rollouts.append(row)
    if not dry_run:
        work.results["current_rubric"] = str(rubric)
    work.save()
    note(f"rollout: {json.dumps({k: v for k, v in row.items() if k != 'report'})}")
    return row


def phase_rollout(args: argparse.Namespace, work: Work, sandbox: RunningSandbox) -> None:
    if args.rollout_dry_run:
        unscored = work.counts()["scores"] == 0
        label = "initial scoring" if unscored else "roll-out of a changed rubric"
        one_rollout(work, sandbox, label, dry_run=True)
        return
    if work.counts()["scores"] == 0:
        row = one_rollout(work, sandbox, "initial scoring (store without scores)")
        if "exit_code" in row["report"]:
            return
    for _ in range(args.rollouts):
        row = one_rollout(work, sandbox, "roll-out of a changed rubric (one weight, new version)")
        if "exit_code" in row["report"]:
            return


# --- webhook ----------------------------------------------------------------------------------


def phase_webhook(args: argparse.Namespace, work: Work, sandbox: RunningSandbox,
                  port: int) -> None:  # fmt: skip
    extra = {}
    if "current_rubric" in work.results:
        extra["ICP_SYNC_RUBRIC"] = work.results["current_rubric"]
    upgrade_to_head(work.url)
    companies = sandbox.hubspot.stores["companies"]  # new leads: ids the store has not seen
    companies.next_id = max(companies.next_id, work.max_crm_id() + 1)
    load_before = load_average()
    with (work.folder / "serve.log").open("ab") as log:
        started = time.monotonic()
        service = start_service(work.env(sandbox, **extra), port, output=log)
        ready_s = time.monotonic() - started
        try:
            landings = Landings(sandbox)
            run = sandbox.simulate_inbound(args.lead_rate, args.leads, crm="hubspot")
            run.wait(args.leads / args.lead_rate * 3 + 60)
            ids = [(lead.company_id, lead.created_monotonic) for lead in run.leads]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(i in landings.at for i, _ in ids):
                time.sleep(0.1)
        finally:
            service.terminate()
            service.wait(60)
    delays = [landings.at[i] - created for i, created in ids if i in landings.at]
    row = {
        "leads": len(ids), "landed": len(delays), "rate_per_s": args.lead_rate,
        "service_ready_s": round(ready_s, 1),
        **{f"p{int(q * 100)}_s": _r(percentile(delays, q)) for q in (0.5, 0.95, 0.99)},
        "max_s": _r(max(delays) if delays else None),
        "accounts_in_store": work.counts()["accounts"],
        "load_before": load_before, "load_after": load_average(),
    }  # fmt: skip
    work.results.setdefault("webhooks", []).append(row)
    work.save()
    note(f"webhook: {row}")


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- main -------------------------------------------------------------------------------------


def ensure_store(args: argparse.Namespace, work: Work) -> None:
    if not args.store_only or work.results.get("store_only"):
        upgrade_to_head(work.url)
        return
    started = time.perf_counter()
    data = generate(SEED, args.companies, args.deals_per_company, as_of=AS_OF)
    generated = time.perf_counter() - started
    counts = build_store(work.url, data)
    del data
    work.results["store_only"] = {
        **counts, "generate_s": round(generated, 1),
        "insert_s": round(time.perf_counter() - started - generated, 1),
        "load": load_average(),
    }  # fmt: skip
    work.save()
    note(f"store built: {work.results['store_only']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--deals-per-company", type=float, default=2.0)
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--max-minutes", type=float, default=0.0, help="per sync; 0: no limit")
    parser.add_argument("--store-only", action="store_true")
    parser.add_argument("--rollouts", type=int, default=1)
    parser.add_argument(
        "--rollout-dry-run",
        action="store_true",
        help="time `icp-sync rescore --dry-run` only (the store part)",
    )
    parser.add_argument(
        "--sandbox-companies",
        type=int,
        help="seed the sandbox with fewer companies than the store holds (for "
        "the webhook phase only: new records' ids start past the store's)",
    )
    parser.add_argument("--leads", type=int, default=40)
    parser.add_argument("--lead-rate", type=float, default=1.0)
    parser.add_argument("--database-url")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", type=Path, help="cProfile each icp-sync command into DIR")
    args = parser.parse_args()
    if args.profile:
        global PROFILE
        PROFILE = args.profile.resolve()
        PROFILE.mkdir(parents=True, exist_ok=True)
    work = Work(args.work_dir, args.database_url)
    config = work.results.setdefault("config", {})
    fixed = {"companies": args.companies, "deals_per_company": args.deals_per_company}
    if config and {k: config.get(k) for k in fixed} != fixed:
        parser.error(f"{work.folder} holds a run with {config}; use another --work-dir")
    config.update(fixed, seed=SEED, as_of=AS_OF.isoformat(), database=work.url.split(":")[0])
    webhooks = "webhook" in args.phases
    if webhooks and {"sync", "resync", "rollout"} & set(args.phases):
        parser.error(
            "run the webhook phase on its own: the other phases' writes would queue "
            "their echoes for a service that is not yet listening"
        )
    ensure_store(args, work)
    port = free_port()
    rss_before = rss_mib()
    load_before = load_average()
    started = time.perf_counter()
    sandbox_companies = args.companies if args.sandbox_companies is None else args.sandbox_companies
    if sandbox_companies != args.companies and set(args.phases) - {"seed", "webhook"}:
        parser.error("--sandbox-companies: the webhook phase only")
    with start_sandbox(
        seed=SEED, companies=sandbox_companies, deals_per_company=args.deals_per_company,
        as_of=AS_OF, webhook_target=f"http://127.0.0.1:{port}" if webhooks else None,
    ) as sandbox:  # fmt: skip
        seeded = {
            "seconds": round(time.perf_counter() - started, 1),
            "rss_added_mib": round(rss_mib() - rss_before, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "live_companies": sandbox.hubspot.count("companies", archived=False),
            "live_deals": sandbox.hubspot.count("deals", archived=False),
            "load_before": load_before, "load_after": load_average(),
        }  # fmt: skip
        if sandbox_companies != args.companies:
            seeded["companies_seeded"] = sandbox_companies
        work.results.setdefault("seedings", []).append(seeded)
        work.save()
        note(f"sandbox seeded: {seeded}")
        with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, load_rubric()) as hs:
            hs.ensure_schema()  # as `icp-sync setup hubspot` left the portal
        completed_here = False
        for phase in args.phases:
            if phase == "sync":
                completed_here = phase_sync(args, work, sandbox)
            elif phase == "resync":
                phase_resync(args, work, sandbox, completed_here)
            elif phase == "rollout":
                phase_rollout(args, work, sandbox)
            elif phase == "webhook":
                phase_webhook(args, work, sandbox, port)
    work.results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                               "machine": platform.machine()}  # fmt: skip
    work.save()
    if args.json:
        print(json.dumps(work.results, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
