"""Soak test: `icp-sync serve` for minutes under random CRM faults, with retention pruning a
store in steady state, watching for growth in its memory, its inbox and its database, and
checking that every inbound lead got its tier and that no score was written twice.

    .venv/bin/python bench/soak.py [--minutes 10] [--companies 500] [--leads-per-second 2]
        [--fault-rate 0.1] [--sample-seconds 15] [--warmup-minutes 5] [--retention-days 1]
        [--retention-interval-minutes 2] [--backfill-rate 8] [--database-url URL]
        [--service-log PATH] [--json] [--tracemalloc DIR]

The sandbox (HubSpot and Salesforce simulators, each seeded with `--companies` companies, with
their webhook senders) runs in this process; `icp-sync serve` runs as a second process on
loopback — endpoints, inbox worker, an incremental sync of each CRM every minute
(`ICP_SYNC_SYNC_INTERVAL_MINUTES=1`, nightly full sync off) and retention
(`ICP_SYNC_RETENTION_DAYS=--retention-days`, pruned every `--retention-interval-minutes`) — on a
fresh SQLite store or the empty database given. First `icp-sync setup hubspot` and the first
`icp-sync sync` of each CRM (subprocesses; one that finds the service's first scheduled sync
holding the CRM's lock waits for it and runs after it). Then the inbox is back-filled with one
retention window of processed events at `--backfill-rate` per second (soak_store.py: retention
cannot be under a day, so without it nothing would be old enough to prune within the soak;
with it pruning deletes about as many events as arrive, as in a store that has run for more
than a day). Then faults are switched on for both CRM APIs through the sandbox's control plane
(`POST /_sandbox/faults` with a `FaultPlan`: every kind in turn, `--fault-rate` of the
requests; the counts come from `GET /_sandbox/faults`) and new leads arrive in each CRM at
`--leads-per-second` for `--minutes`. Every `--sample-seconds`: the service's resident memory
(/proc: VmRSS, and from smaps the brk heap and the anonymous mappings), threads, file
descriptors, the inbox per status and in all (counted in the database), the database's size
(SQLite: file, WAL and pages in use; PostgreSQL: pg_database_size and webhook_events with its
indexes), events pruned, the sandbox webhook senders' undelivered items, the faults injected so
far and the service's /metrics counters. Then inbound stops, the inbox is drained (faults still
on; bounded by `--drain-seconds`) and every lead is looked up in its CRM: HubSpot company
`icp_tier`, Salesforce Lead `ICP_Tier__c`.

Reported: for RSS, inbox rows and database size, the least-squares slope after the warm-up as %
of the mean per 10 minutes, flat when within ±1 %; the backlog's slope (events/min), the
maximum backlog, dead letters, faults by kind, leads created vs tiered, events stored and
pruned during the soak against the back-fill's rate, double writes (soak_writes.py: score
writes that changed nothing but the scoring time, those a cut-off fault explains counted
apart), retries (the service's failed-attempt and rate-limit counters, and the CRM-call retries
its log reports), warnings and errors in the service log by message, and a verdict.

`--tracemalloc DIR` is for diagnosing growth: the service traces its Python allocations (from
15 s after its start) and dumps a snapshot into DIR every minute; the report adds the traced
memory per snapshot and the source lines that grew most after the warm-up. Tracing slows the
service several-fold and adds its own memory: never compare its RSS with an untraced run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from soak_store import backfill, mean_payload_bytes, payload_templates, store_size
from soak_vacuum import autovacuum_off, start_emulating
from soak_writes import WriteWatch
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from webhook_ingest import start_service
from webhook_latency import Landings, free_port, percentile, service_env

from app.cli.sync import SYNC_RUNNING_EXIT
from app.inbox import queue
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import WebhookEvent
from connectors.hubspot.client import DEFAULT_TIMEOUT as HUBSPOT_TIMEOUT
from connectors.salesforce.client import DEFAULT_TIMEOUT as SALESFORCE_TIMEOUT
from crm_sandbox.core.faults import FaultPlan
from crm_sandbox.inbound import Crm, InboundLead, InboundSimulation
from crm_sandbox.sandbox import RunningSandbox, start_sandbox

CRMS: tuple[Crm, ...] = ("hubspot", "salesforce")
CLI = (sys.executable, "-c", "from app.cli.main import run; run()")
SETUP_TIMEOUT_S = 3_600.0  # the first sync of 100,000 HubSpot companies took over 15 min here
QUIET_TIMEOUT_S = 120.0
TIER_RECHECK_S = 180.0  # a write that exhausted its retries: 2-min back-off, then the worker (30 s)
FLAT_LIMIT_PCT = 1.0  # least-squares slope after the warm-up, % of the mean per 10 minutes
FLAT_JUDGED = ("rss_mib", "inbox_rows", "db_used_mib", "db_database_mib")
FLAT_SHOWN = (*FLAT_JUDGED, "db_file_mib", "db_wal_mib", "db_inbox_mib", "done")
BACKLOG_SLOPE_LIMIT = 1.0  # events per minute
BACKFILL_RATE = 10.0  # events stored per second at 2 leads/s per CRM (measured, see the report)
MIN_SAMPLES = 8  # after the warm-up, for a verdict
MIB = 1024 * 1024
READ_TIMEOUT_S = min(
    timeout if isinstance(timeout, float | int) else timeout[1]
    for timeout in (HUBSPOT_TIMEOUT, SALESFORCE_TIMEOUT)
)


# --- observing the service ------------------------------------------------------------------


def proc_status(pid: int) -> dict[str, float]:
    """Resident memory (MiB), threads, open file descriptors and CPU seconds of process `pid`."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "VmRSS":
            fields["rss_mib"] = int(value.split()[0]) * 1024 / MIB
        elif key == "Threads":
            fields["threads"] = int(value)
    fields["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    fields.update(rss_by_mapping(pid))
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    fields["cpu_s"] = (int(stat[11]) + int(stat[12])) / ticks  # utime + stime
    return fields


def rss_by_mapping(pid: int) -> dict[str, float]:
    """Resident MiB of `pid` by kind of mapping (/proc/PID/smaps): `heap_mib` the brk heap
    (glibc's main arena), `anon_mib` anonymous mappings (pymalloc arenas, the other threads'
    glibc arenas, large blocks), `file_mib` mapped files (code, libraries)."""
    sizes = {"heap_mib": 0.0, "anon_mib": 0.0, "file_mib": 0.0}
    kind = "anon_mib"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split(maxsplit=5)
        if len(head) >= 5 and "-" in head[0] and ":" in head[3]:  # a mapping's header line
            name = head[5].strip() if len(head) == 6 else ""
            kind = (
                "heap_mib" if name == "[heap]"
                else "anon_mib" if not name
                else "file_mib" if not name.startswith("[")
                else ""
            )  # fmt: skip
        elif head and head[0] == "Rss:" and kind:
            sizes[kind] += int(head[1]) / 1024
    return sizes


def scrape_metrics(port: int) -> dict[str, float]:
    """The service's /metrics as {'name{label="v",…}': value} (empty if it did not answer)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


def metric_sum(metrics: dict[str, float], name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for key, value in metrics.items():
        base, _, rest = key.partition("{")
        if base == name and all(part in rest.rstrip("}").split(",") for part in wanted):
            total += value
    return total


def set_faults(sandbox: RunningSandbox, plan: FaultPlan | None) -> None:
    """Switches both CRMs' random faults through the sandbox's control plane, as a driver in
    another process would."""
    body = {"plan": None if plan is None else dataclasses.asdict(plan)}
    httpx.post(f"{sandbox.control_url}/faults", json=body, timeout=10).raise_for_status()


def faults_injected(sandbox: RunningSandbox) -> dict[str, dict[str, int]]:
    """The faults injected so far, by CRM and kind (from the control plane)."""
    answer = httpx.get(f"{sandbox.control_url}/faults", timeout=10)
    answer.raise_for_status()
    injected: dict[str, dict[str, int]] = answer.json()["injected"]
    return injected


def inbox_counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return queue.depth(session)


def sender_stats(sandbox: RunningSandbox) -> dict[str, dict[str, int]]:
    """Per CRM webhook sender: items queued, items delivered, undelivered (queued minus
    delivered: in the coalescing window, in flight, retrying, given up, or — Salesforce —
    merged into the notification of the same record), failed attempts and given-up
    deliveries."""
    stats: dict[str, dict[str, int]] = {}
    for crm, sender in (
        ("hubspot", sandbox.hubspot_notifications),
        ("salesforce", sandbox.salesforce_outbound_messages),
    ):
        if sender is None:
            continue
        s = sender.stats
        stats[crm] = {
            "queued": s.queued,
            "delivered": s.items_delivered,
            "undelivered": s.queued - s.items_delivered,
            "failed_attempts": s.failed_attempts,
            "gave_up": s.gave_up,
        }
    return stats


def take_sample(
    phase: str,
    started: float,
    pid: int,
    port: int,
    engine: Engine,
    sessions: sessionmaker[Session],
    sandbox: RunningSandbox,
    runs: dict[str, InboundSimulation],
) -> dict[str, Any]:
    counts = inbox_counts(sessions)
    sizes = store_size(engine)
    metrics = scrape_metrics(port)
    senders = sender_stats(sandbox)
    injected = faults_injected(sandbox)
    return {
        "phase": phase,
        "t_s": round(time.monotonic() - started, 1),
        **{k: round(v, 2) for k, v in proc_status(pid).items()},
        "backlog": counts["pending"] + counts["processing"],
        "pending": counts["pending"],
        "processing": counts["processing"],
        "done": counts["done"],
        "dead": counts["dead"],
        "inbox_rows": sum(counts.values()),
        **{k: round(v, 3) for k, v in sizes.items()},
        "pruned": int(metric_sum(metrics, "icp_sync_retention_rows_pruned_total")),
        "leads": sum(len(run.leads) for run in runs.values()),
        "webhooks_undelivered": sum(s["undelivered"] for s in senders.values()),
        "webhooks_gave_up": sum(s["gave_up"] for s in senders.values()),
        "faults": sum(sum(kinds.values()) for kinds in injected.values()),
        "failed_attempts": int(metric_sum(metrics, "icp_sync_inbox_events_failed_total")),
        "rate_limited": int(metric_sum(metrics, "icp_sync_crm_rate_limited_total")),
    }


# --- the run --------------------------------------------------------------------------------


def run_cli(env: dict[str, str], *arguments: str, busy_ok: bool = False) -> str | None:
    """One `icp-sync` command; its stdout, or SystemExit with its output if it failed. With
    `busy_ok`, None if it found its CRM's sync lock held (`icp-sync sync` exit code 3)."""
    done = subprocess.run(  # noqa: S603 - our own command line, no user input
        [*CLI, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_S,
        check=False,
    )
    if busy_ok and done.returncode == SYNC_RUNNING_EXIT:
        return None
    if done.returncode != 0:
        raise SystemExit(
            f"icp-sync {' '.join(arguments)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def stored_since(sessions: sessionmaker[Session], since: datetime) -> int:
    """Inbox events received since `since` (the soak's own, the back-fill's are older)."""
    with sessions() as session:
        query = select(func.count()).where(WebhookEvent.received_at >= since)
        return int(session.scalar(query) or 0)


def wait_until(clock: str) -> None:
    """Sleeps until `clock` (HH:MM, UTC) today; at once if that has passed."""
    hours, _, minutes = clock.partition(":")
    now = datetime.now(UTC)
    at = now.replace(hour=int(hours), minute=int(minutes), second=0, microsecond=0)
    _note(f"waiting until {at:%H:%M} UTC")
    time.sleep(max(0.0, (at - now).total_seconds()))


def initial_sync(env: dict[str, str], source: str) -> dict[str, Any]:
    """`icp-sync sync --source SOURCE`: the first sync of a CRM. With many records it meets the
    service's first scheduled sync of the same CRM (a full one, having no cursor yet), which
    holds the CRM's sync lock: then it waits for that one and runs after it."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    waited = 0
    while True:
        output = run_cli(env, "sync", "--source", source, "--json", busy_ok=True)
        if output is not None:
            report: dict[str, Any] = json.loads(output)
            report["waited_for_scheduled_sync"] = waited
            return report
        if time.monotonic() > deadline:
            raise SystemExit(f"the initial {source} sync found its lock held for too long")
        waited += 1
        time.sleep(10.0)


def wait_quiet(sandbox: RunningSandbox, sessions: sessionmaker[Session], timeout: float) -> bool:
    """Waits until the webhook senders are idle and the inbox has nothing pending or in
    process, at the same moment; False if that did not happen within `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = inbox_counts(sessions)
        if counts["pending"] + counts["processing"] == 0 and sandbox.wait_notifications_idle(0):
            return True
        time.sleep(1.0)
    return False


def tier_of(sandbox: RunningSandbox, lead: InboundLead) -> str | None:
    if lead.crm == "hubspot":
        return sandbox.hubspot.company(str(lead.company_id)).get("icp_tier") or None
    assert sandbox.salesforce is not None
    return sandbox.salesforce.get("Lead", lead.object_id).get("ICP_Tier__c") or None


def untiered(sandbox: RunningSandbox, leads: Iterable[InboundLead]) -> list[InboundLead]:
    return [lead for lead in leads if tier_of(sandbox, lead) is None]


def events_of(
    sessions: sessionmaker[Session], leads: Sequence[InboundLead]
) -> list[dict[str, Any]]:
    """The inbox events of the leads given (their company and contact, or Lead): to say why a
    lead was left without a tier."""
    ids = {lead.object_id for lead in leads} | {str(lead.company_id) for lead in leads}
    with sessions() as session:
        rows = session.scalars(select(WebhookEvent).where(WebhookEvent.object_id.in_(ids)))
        return [
            {
                "object_id": e.object_id,
                "event_type": e.event_type,
                "status": e.status,
                "attempts": e.attempts,
                "last_error": e.last_error,
            }
            for e in rows
        ]


# --- analysis -------------------------------------------------------------------------------


def trend(points: Sequence[tuple[float, float]]) -> tuple[float, float | None] | None:
    """Least-squares slope of (seconds, value) points per minute, and its standard error (None
    with fewer than 3 points)."""
    if len(points) < 2:
        return None
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / spread
    if len(points) < 3:
        return slope * 60, None
    residuals = sum((v - mean_v - slope * (t - mean_t)) ** 2 for t, v in points)
    return slope * 60, (residuals / (len(points) - 2) / spread) ** 0.5 * 60


def flatness(steady: Sequence[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """The least-squares slope of `key` over the samples, as % of its mean per 10 minutes
    (± its standard error), and whether it is within ±`FLAT_LIMIT_PCT`."""
    points = [(s["t_s"], float(s[key])) for s in steady if key in s]
    fitted = trend(points)
    if fitted is None:
        return None
    mean = statistics.fmean(v for _, v in points)
    if mean == 0:
        return None
    slope, error = fitted
    pct = slope * 10 / mean * 100
    return {
        "mean": round(mean, 2),
        "first": points[0][1],
        "last": points[-1][1],
        "slope_per_min": round(slope, 4),
        "pct_per_10_min": round(pct, 3),
        "pct_stderr": None if error is None else round(error * 10 / mean * 100, 3),
        "flat": abs(pct) <= FLAT_LIMIT_PCT,
    }


def by_minute(samples: Sequence[dict[str, Any]], minutes: float) -> list[dict[str, Any]]:
    """The samples condensed to one row per minute of the soak (the last sample of the minute,
    with the largest backlog seen in it), then the samples after it."""
    rows: dict[int, dict[str, Any]] = {}
    peaks: Counter[int] = Counter()
    last_minute = max(0, math.ceil(minutes) - 1)
    for sample in samples:
        if sample["phase"] == "soak":
            key = min(int(sample["t_s"] // 60), last_minute)
        else:
            key = 10_000 + len(rows)
        rows[key] = sample
        peaks[key] = max(peaks[key], sample["backlog"])
    return [{**row, "minute": key, "max_backlog": peaks[key]} for key, row in sorted(rows.items())]


LOG_NUMBERS = re.compile(r"\b[0-9a-fA-F]{15,18}\b|[0-9]+(?:\.[0-9]+)?|'[^']*'|\"[^\"]*\"")
RETRY_LINE = re.compile(r"(?P<operation>\S+) failed \((?P<error>.*)\); retry \d+ of \d+")
RETRY_CAUSE = re.compile(r"HTTP [0-9]{3}(?: [A-Z_]+)?|[A-Za-z]+(?:Error|Exception|Timeout)\b")


def summarise_log(path: Path) -> dict[str, Any]:
    """Lines per level; the CRM-call retries (`… failed (…); retry n of m`) by operation and
    cause; the other warnings and errors by message shape (numbers, ids and quotes blanked)."""
    levels: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    unparsed = 0
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            unparsed += 1
            continue
        level = str(record.get("level", "?"))
        levels[level] += 1
        message = str(record.get("event", ""))
        retry = RETRY_LINE.match(message)
        if retry:
            error = retry["error"].removeprefix(f"{retry['operation']}: ")
            cause = RETRY_CAUSE.search(error)
            retries[f"{retry['operation']}: {cause[0] if cause else error[:60]}"] += 1
        elif level in ("warning", "error", "critical"):
            shapes[f"{level}: {LOG_NUMBERS.sub('#', message)[:160]}"] += 1
    return {
        "lines_by_level": dict(levels),
        "unparsed_lines": unparsed,
        "crm_call_retries": sum(retries.values()),
        "crm_call_retries_by_cause": dict(retries.most_common()),
        "other_warnings_and_errors": dict(shapes.most_common(25)),
    }


def summarise(
    samples: list[dict[str, Any]],
    warmup_s: float,
    *,
    created: int,
    tiered: int,
    drained: bool,
) -> dict[str, Any]:
    soak = [s for s in samples if s["phase"] == "soak"]
    steady = [s for s in soak if s["t_s"] >= warmup_s]
    end = soak[-1]["t_s"] if soak else 0.0
    first = [s["rss_mib"] for s in steady if s["t_s"] < warmup_s + 60]
    last = [s["rss_mib"] for s in steady if s["t_s"] >= end - 60]
    rss_first = statistics.median(first) if first else None
    rss_last = statistics.median(last) if last else None
    growth = (
        None if rss_first is None or rss_last is None else (rss_last - rss_first) / rss_first * 100
    )
    rss_slope, rss_error = trend([(s["t_s"], s["rss_mib"]) for s in steady]) or (None, None)
    # A leak keeps its slope; a warm-up (caches filling, allocator high-water marks) flattens.
    late_slope, _ = trend([(s["t_s"], s["rss_mib"]) for s in soak if s["t_s"] >= end / 2]) or (
        None,
        None,
    )
    backlog_slope, backlog_error = trend([(s["t_s"], s["backlog"]) for s in steady]) or (
        None,
        None,
    )
    # Within noise: under 1 event/min, or less than two standard errors from flat.
    backlog_flat = backlog_slope is not None and (
        abs(backlog_slope) < BACKLOG_SLOPE_LIMIT
        or (backlog_error is not None and abs(backlog_slope) < 2 * backlog_error)
    )
    final = samples[-1]
    flat = {key: f for key in FLAT_SHOWN if (f := flatness(steady, key)) is not None}
    grew = [
        f"{key} slope {flat[key]['pct_per_10_min']:+.2f} %/10 min"
        for key in FLAT_JUDGED
        if key in flat and not flat[key]["flat"]
    ]
    if not backlog_flat:
        grew.append(
            f"inbox backlog slope {_fmt(backlog_slope, 2)} ± {_fmt(backlog_error, 2)} events/min"
        )
    if not drained or final["backlog"]:
        grew.append(f"inbox not drained ({final['backlog']} events left)")
    verdict = "flat" if not grew else "; ".join(grew)
    if len(steady) < MIN_SAMPLES:
        verdict = f"too short to judge ({len(steady)} samples after the warm-up)"
    if created != tiered:
        verdict += f"; {created - tiered} of {created} leads without a tier"
    # (double writes are judged in the report: they need the CRMs' write logs)
    return {
        "flatness": flat,
        "rss_first_minute_mib": _round(rss_first, 1),
        "rss_last_minute_mib": _round(rss_last, 1),
        "rss_growth_pct": _round(growth, 1),
        "rss_slope_mib_per_min": _round(rss_slope, 3),
        "rss_slope_stderr": _round(rss_error, 3),
        "rss_slope_second_half_mib_per_min": _round(late_slope, 3),
        "rss_max_mib": max(s["rss_mib"] for s in samples),
        "backlog_slope_per_min": _round(backlog_slope, 3),
        "backlog_slope_stderr": _round(backlog_error, 3),
        "backlog_within_noise": backlog_flat,
        "backlog_max": max(s["backlog"] for s in samples),
        "backlog_end": final["backlog"],
        "threads_first_last": [steady[0]["threads"], final["threads"]] if steady else None,
        "fds_first_last": [steady[0]["fds"], final["fds"]] if steady else None,
        "verdict": verdict,
    }


def cpu_model() -> str | None:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


# --- diagnosis: tracemalloc snapshots of the service ----------------------------------------

SNAPSHOTTER = """\
import os, threading, time, tracemalloc

def _soak_snapshots(folder, every, frames):
    time.sleep(15)  # started, not imported, under tracing: importing traced takes a minute
    tracemalloc.start(frames)
    while True:
        time.sleep(every)
        path = os.path.join(folder, "snapshot-%d.tm" % time.time())
        tracemalloc.take_snapshot().dump(path + ".part")
        os.replace(path + ".part", path)

if os.environ.get("SOAK_TRACEMALLOC_DIR"):
    threading.Thread(target=_soak_snapshots, name="soak-tracemalloc", daemon=True, args=(
        os.environ["SOAK_TRACEMALLOC_DIR"], float(os.environ["SOAK_TRACEMALLOC_EVERY"]), 8)).start()
"""


def tracemalloc_env(folder: Path, every_s: float) -> dict[str, str]:
    """Environment that makes a Python process trace its allocations from 15 s after its start
    and dump a snapshot into `folder` every `every_s` seconds (through a `sitecustomize` module
    put on its path)."""
    (folder / "site").mkdir(parents=True, exist_ok=True)
    (folder / "site" / "sitecustomize.py").write_text(SNAPSHOTTER)
    path = os.environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": str(folder / "site") + (os.pathsep + path if path else ""),
        "SOAK_TRACEMALLOC_DIR": str(folder),
        "SOAK_TRACEMALLOC_EVERY": str(every_s),
    }


def tracemalloc_growth(
    folder: Path, soak_started_wall: float, warmup_s: float, top: int = 15
) -> dict[str, Any]:
    """Traced Python memory per snapshot, and what grew most between the first snapshot taken
    after the warm-up and the last one, by source line (with the allocating call chain)."""
    import tracemalloc

    found = sorted(
        (int(path.stem.split("-")[1]) - soak_started_wall, path)
        for path in folder.glob("snapshot-*.tm")
    )
    if not found:
        return {"snapshots": 0}
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
        tracemalloc.Filter(False, "<unknown>"),
    ]
    traced = []
    for t, path in found:
        snapshot = tracemalloc.Snapshot.load(str(path)).filter_traces(ignore)
        traced.append(
            (round(t), round(sum(s.size for s in snapshot.statistics("filename")) / MIB, 2))
        )
    after = [(t, path) for t, path in found if t >= warmup_s]
    if len(after) < 2:
        after = found
    first = tracemalloc.Snapshot.load(str(after[0][1])).filter_traces(ignore)
    last = tracemalloc.Snapshot.load(str(after[-1][1])).filter_traces(ignore)
    by_line = last.compare_to(first, "lineno")[:top]
    by_chain: dict[str, tracemalloc.StatisticDiff] = {}
    for diff in last.compare_to(first, "traceback")[: top * 5]:  # the largest chain per line
        by_chain.setdefault(str(diff.traceback[-1]), diff)  # frames: oldest first
    return {
        "snapshots": len(found),
        "traced_mib_by_t_s": traced,
        "compared_t_s": [round(after[0][0]), round(after[-1][0])],
        "growth_by_line": [
            {
                "line": str(diff.traceback[0]),
                "size_diff_kib": round(diff.size_diff / 1024, 1),
                "size_kib": round(diff.size / 1024, 1),
                "count_diff": diff.count_diff,
                "chain": [str(frame) for frame in by_chain[str(diff.traceback[0])].traceback]
                if str(diff.traceback[0]) in by_chain
                else None,
            }
            for diff in by_line
        ],
    }


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--leads-per-second", type=float, default=2.0, help="per CRM")
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--fault-seed", type=int, default=1)
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=3.0,
        help="how long a `timeout` fault holds a request (under the read timeout)",
    )
    parser.add_argument("--sample-seconds", type=float, default=15.0)
    parser.add_argument("--warmup-minutes", type=float, default=5.0)
    parser.add_argument("--drain-seconds", type=float, default=120.0)
    parser.add_argument("--companies", type=int, default=500, help="seeded in each CRM")
    parser.add_argument(
        "--retention-days",
        type=float,
        default=1.0,
        help="ICP_SYNC_RETENTION_DAYS of the service, and the back-fill's window",
    )
    parser.add_argument(
        "--retention-interval-minutes",
        type=int,
        default=2,
        help="ICP_SYNC_RETENTION_INTERVAL_MINUTES: how often the service prunes",
    )
    parser.add_argument(
        "--backfill-rate",
        type=float,
        default=BACKFILL_RATE,
        help="processed events per second back-filled over the retention window before the "
        "soak: the rate the soak stores events at (its report measures it; 0: no back-fill)",
    )
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument("--service-log", type=Path, help="keep the service's log (JSON lines)")
    parser.add_argument(
        "--tracemalloc",
        type=Path,
        metavar="DIR",
        help="diagnosis: trace the service's allocations, dump a snapshot into DIR every minute "
        "and report what grew (slows the service and adds to its memory)",
    )
    parser.add_argument(
        "--start-at",
        metavar="HH:MM",
        help="after the first syncs, wait until this UTC time before the back-fill and the soak "
        "(to start the measured part once the machine is otherwise quiet)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.hang_seconds < READ_TIMEOUT_S:
        parser.error(f"--hang-seconds must be under the CRM read timeout ({READ_TIMEOUT_S:g} s)")
    if args.minutes <= 0 or args.leads_per_second <= 0 or args.sample_seconds <= 0:
        parser.error("--minutes, --leads-per-second and --sample-seconds must be above 0")
    plan = FaultPlan(rate=args.fault_rate, seed=args.fault_seed, hang_s=args.hang_seconds)

    port = free_port()
    soak_s = args.minutes * 60
    count = max(1, round(args.leads_per_second * soak_s))
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'soak.db'}"
        log_path = args.service_log or Path(folder) / "service.log"
        with (
            start_sandbox(
                seed=7,
                companies=args.companies,
                salesforce_port=0,
                webhook_target=f"http://127.0.0.1:{port}",
            ) as sandbox,
            log_path.open("wb") as log,
        ):
            upgrade_to_head(url)
            env = {
                **service_env(sandbox, url),
                "ICP_SYNC_SYNC_INTERVAL_MINUTES": "1",
                "ICP_SYNC_FULL_SYNC_HOUR": "-1",
                "ICP_SYNC_RETENTION_DAYS": f"{args.retention_days:g}",
                "ICP_SYNC_RETENTION_INTERVAL_MINUTES": str(args.retention_interval_minutes),
            }
            watch = WriteWatch(sandbox).start()
            engine = make_engine(url)
            sessions = make_session_factory(engine)
            vacuumed: list[str] = []
            emulating = autovacuum_off(engine)
            stop_vacuum = threading.Event()
            if emulating:
                _note("the server's autovacuum is off: emulating its default rules")
                start_emulating(engine, stop_vacuum, vacuumed)
            traced_env = tracemalloc_env(args.tracemalloc, 60.0) if args.tracemalloc else {}
            # started first: the initial sync's echoes reach it
            service = start_service({**env, **traced_env}, port, options=(), output=log)
            samples: list[dict[str, Any]] = []
            runs: dict[str, InboundSimulation] = {}
            try:
                _note("setup hubspot, then the initial sync of both CRMs")
                run_cli(env, "setup", "hubspot", "--json")
                sync_started = time.monotonic()
                initial = {crm: initial_sync(env, crm) for crm in CRMS}
                initial_sync_s = time.monotonic() - sync_started
                settled = wait_quiet(sandbox, sessions, QUIET_TIMEOUT_S)
                settle_s = time.monotonic() - sync_started - initial_sync_s
                if args.start_at:
                    wait_until(args.start_at)
                backfilled, backfill_s = 0, 0.0
                if args.backfill_rate > 0:
                    _note(f"back-filling {args.retention_days:g} day(s) of processed events at "
                          f"{args.backfill_rate:g}/s")  # fmt: skip
                    backfill_started = time.monotonic()
                    backfilled = backfill(
                        engine,
                        payload_templates(sessions),
                        rate=args.backfill_rate,
                        window=timedelta(days=args.retention_days),
                        now=datetime.now(UTC),
                    )
                    backfill_s = time.monotonic() - backfill_started
                landings = Landings(sandbox)
                _note(f"soak: {args.minutes:g} min, faults {args.fault_rate:g}")
                started, started_wall = time.monotonic(), time.time()
                soak_start_at = datetime.now(UTC)
                set_faults(sandbox, plan)
                for crm in CRMS:
                    runs[crm] = sandbox.simulate_inbound(args.leads_per_second, count, crm=crm)
                deadline = started + soak_s + 60  # inbound that runs late is cut off
                next_sample = started
                while time.monotonic() < deadline and service.poll() is None:
                    if all(run.done for run in runs.values()):
                        break
                    if time.monotonic() >= next_sample:
                        samples.append(
                            take_sample(
                                "soak", started, service.pid, port, engine, sessions, sandbox, runs
                            )
                        )
                        _progress(samples[-1])
                        next_sample += args.sample_seconds
                    time.sleep(min(1.0, max(0.0, next_sample - time.monotonic())))
                for run in runs.values():
                    run.stop()
                if service.poll() is not None:
                    raise SystemExit(f"the service exited ({service.returncode}); see {log_path}")
                samples.append(
                    take_sample("soak", started, service.pid, port, engine, sessions, sandbox, runs)
                )
                _note("inbound stopped; draining the inbox (faults still on)")
                drain_started = time.monotonic()
                drained = wait_quiet(sandbox, sessions, args.drain_seconds)
                drain_s = time.monotonic() - drain_started
                leads = [lead for run in runs.values() for lead in run.leads]
                missing = untiered(sandbox, leads)
                missing_at_drain = len(missing)
                if missing:  # the next scheduled sync may still bring them
                    recheck_until = time.monotonic() + TIER_RECHECK_S
                    while missing and time.monotonic() < recheck_until:
                        time.sleep(5.0)
                        missing = untiered(sandbox, missing)
                samples.append(
                    take_sample("end", started, service.pid, port, engine, sessions, sandbox, runs)
                )
                metrics = scrape_metrics(port)
                injected = faults_injected(sandbox)
                senders = sender_stats(sandbox)
                why_missing = events_of(sessions, missing[:20])
                arrived = stored_since(sessions, soak_start_at)
                payload_bytes = {
                    "backfill": _round(mean_payload_bytes(engine, None), 1),
                    "soak": _round(mean_payload_bytes(engine, soak_start_at), 1),
                }
                double_writes = watch.report()
            finally:
                stop_vacuum.set()
                set_faults(sandbox, None)
                for run in runs.values():
                    run.stop()
                service.terminate()
                try:
                    service.wait(30)
                except subprocess.TimeoutExpired:
                    service.kill()
                    service.wait(10)
                engine.dispose()
        log_summary = summarise_log(log_path)

    landed = {
        lead: landings.at[key] - lead.created_monotonic
        for lead in leads
        if (key := str(lead.company_id if lead.crm == "hubspot" else lead.object_id)) in landings.at
    }
    delays = list(landed.values())
    slowest = sorted(landed.items(), key=lambda item: item[1], reverse=True)[:5]
    created = len(leads)
    summary = summarise(
        samples,
        args.warmup_minutes * 60,
        created=created,
        tiered=created - len(missing),
        drained=drained,
    )
    soak_pruned = [s["pruned"] for s in samples if s["phase"] == "soak"]
    soak_samples = [s for s in samples if s["phase"] == "soak"]
    stored_s = (soak_samples[-1]["t_s"] or 1.0) if soak_samples else 1.0  # inbound's duration
    report: dict[str, Any] = {
        "summary": summary,
        "double_writes": double_writes,
        "retention": {
            "days": args.retention_days,
            "interval_minutes": args.retention_interval_minutes,
            "backfilled_events": backfilled,
            "backfill_rate_per_s": args.backfill_rate,
            "backfill_s": round(backfill_s, 1),
            "stored_during_soak": arrived,
            "stored_per_s": round(arrived / stored_s, 2),
            "pruned_during_soak": (soak_pruned[-1] - soak_pruned[0]) if soak_pruned else 0,
            "pruned_total": samples[-1]["pruned"] if samples else 0,
            "mean_payload_bytes": payload_bytes,
        },
        "autovacuum_emulated": emulating,
        "vacuum_actions": vacuumed,
        "initial_sync_s": round(initial_sync_s, 1),
        "settle_s": round(settle_s, 1),
        "leads": {
            crm: {
                "created": len(run.leads),
                "tiered": len(run.leads) - sum(1 for m in missing if m.crm == crm),
            }
            for crm, run in runs.items()
        },
        "untiered_at_drain": missing_at_drain,
        "untiered_final": len(missing),
        "untiered_examples": [
            {"crm": m.crm, "id": m.object_id, "company_id": m.company_id} for m in missing[:20]
        ],
        "untiered_events": why_missing,
        "lead_to_tier_s": {
            "p50": _round(percentile(delays, 0.50), 2),
            "p95": _round(percentile(delays, 0.95), 2),
            "p99": _round(percentile(delays, 0.99), 2),
            "max": _round(max(delays) if delays else None, 2),
            "slowest": [
                {"crm": lead.crm, "id": lead.company_id or lead.object_id, "s": round(delay, 2)}
                for lead, delay in slowest
            ],
        },
        "drained": drained,
        "drain_s": round(drain_s, 1),
        "settled_before_soak": settled,
        "faults_injected": injected,
        "faults_total": sum(sum(kinds.values()) for kinds in injected.values()),
        "service_metrics": service_counters(metrics),
        "webhook_senders": senders,
        "service_log": log_summary,
        "initial_sync": initial,
        "samples": samples,
        "by_minute": by_minute(samples, args.minutes),
        "config": {
            "minutes": args.minutes,
            "leads_per_second_per_crm": args.leads_per_second,
            "fault_rate": args.fault_rate,
            "fault_seed": args.fault_seed,
            "hang_s": args.hang_seconds,
            "sample_seconds": args.sample_seconds,
            "warmup_minutes": args.warmup_minutes,
            "companies": args.companies,
        },
        "python": platform.python_version(),
        "database": url.split(":")[0],
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    unexplained = sum(d["resends_unexplained"] for d in double_writes.values())
    if unexplained:
        summary["verdict"] += f"; {unexplained} unexplained double writes"
    if args.service_log:
        report["service_log_path"] = str(args.service_log)
    if args.tracemalloc:
        report["tracemalloc"] = tracemalloc_growth(
            args.tracemalloc, started_wall, args.warmup_minutes * 60
        )
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print_report(report)
    return 0


def service_counters(metrics: dict[str, float]) -> dict[str, dict[str, int]]:
    """The counters of /metrics that tell what the soak cost, per CRM."""
    names = {
        "received": ("icp_sync_webhook_events_received_total", {}),
        "duplicates": ("icp_sync_webhook_events_duplicate_total", {}),
        "rejected": ("icp_sync_webhook_requests_rejected_total", {}),
        "processed": ("icp_sync_inbox_events_processed_total", {}),
        "failed_attempts_retried": ("icp_sync_inbox_events_failed_total", {"final": "false"}),
        "dead_lettered": ("icp_sync_inbox_events_failed_total", {"final": "true"}),
        "crm_api_calls": ("icp_sync_crm_api_calls_total", {}),
        "crm_rate_limited": ("icp_sync_crm_rate_limited_total", {}),
        "scheduled_syncs": ("icp_sync_sync_duration_seconds_count", {}),
    }
    return {
        crm: {
            key: int(metric_sum(metrics, name, source=crm, **labels))
            for key, (name, labels) in names.items()
        }
        for crm in CRMS
    }


def print_report(report: dict[str, Any]) -> None:
    s = report["summary"]
    config = report["config"]
    print(
        f"soak: {config['minutes']:g} min, {config['leads_per_second_per_crm']:g} leads/s per "
        f"CRM, fault rate {config['fault_rate']:g}, {report['database']} store, "
        f"{report['cpus']} CPUs ({report.get('cpu_model')}), {report['date']}"
    )
    print()
    print(
        "| minute | RSS MiB | heap / anon MiB | threads | fds | CPU s | backlog (max) | done "
        "| dead | leads | faults | failed attempts | webhooks undelivered |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in report["by_minute"]:
        label = row["minute"] + 1 if row["phase"] == "soak" else row["phase"]
        print(
            f"| {label} | {row['rss_mib']:.1f} | {row.get('heap_mib', 0):.0f} / "
            f"{row.get('anon_mib', 0):.0f} | {row['threads']:g} | {row['fds']:g} "
            f"| {row['cpu_s']:.0f} | {row['backlog']} ({row['max_backlog']}) | {row['done']} "
            f"| {row['dead']} | {row['leads']} | {row['faults']} | {row['failed_attempts']} "
            f"| {row['webhooks_undelivered']} |"
        )
    print()
    print("| figure | value |")
    print("| --- | --- |")
    rows = [
        ("RSS, first minute after warm-up (median)", f"{s['rss_first_minute_mib']} MiB"),
        ("RSS, last minute (median)", f"{s['rss_last_minute_mib']} MiB"),
        ("RSS growth", f"{s['rss_growth_pct']} %"),
        (
            "RSS slope after warm-up",
            f"{s['rss_slope_mib_per_min']} ± {s['rss_slope_stderr']} MiB/min",
        ),
        ("RSS slope, second half of the soak", f"{s['rss_slope_second_half_mib_per_min']} MiB/min"),
        (
            "backlog slope after warm-up",
            f"{s['backlog_slope_per_min']} ± {s['backlog_slope_stderr']} events/min",
        ),
        ("backlog max / at the end", f"{s['backlog_max']} / {s['backlog_end']}"),
        ("drained in", f"{report['drain_s']} s ({'yes' if report['drained'] else 'NO'})"),
        ("threads, fds (first / last)", f"{s['threads_first_last']}, {s['fds_first_last']}"),
        (
            "leads created / tiered",
            "; ".join(
                f"{crm} {v['created']} / {v['tiered']}" for crm, v in report["leads"].items()
            ),
        ),
        (
            "untiered at drain / final",
            f"{report['untiered_at_drain']} / {report['untiered_final']}",
        ),
        (
            "lead to tier p50 / p95 / max",
            "{p50} / {p95} / {max} s".format(**report["lead_to_tier_s"]),
        ),
        (
            "slowest leads to tier",
            ", ".join(
                f"{x['crm']} {x['id']} {x['s']} s" for x in report["lead_to_tier_s"]["slowest"]
            ),
        ),
        (
            "faults injected",
            f"{report['faults_total']}: "
            + "; ".join(
                f"{crm} " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
                for crm, kinds in report["faults_injected"].items()
            ),
        ),
        ("CRM-call retries (service log)", report["service_log"]["crm_call_retries"]),
        ("service log lines by level", report["service_log"]["lines_by_level"]),
    ]
    for crm, counters in report["service_metrics"].items():
        rows.append((f"{crm} /metrics", ", ".join(f"{k} {v}" for k, v in counters.items())))
    for crm, stats in report["webhook_senders"].items():
        rows.append((f"{crm} webhook sender", ", ".join(f"{k} {v}" for k, v in stats.items())))
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print(
        f"after the {config['warmup_minutes']:g}-minute warm-up, least-squares slopes "
        f"(flat: within ±{FLAT_LIMIT_PCT:g} % of the mean per 10 minutes):"
    )
    print()
    print("| series | first → last | mean | slope /min | % per 10 min | flat |")
    print("| --- | --- | --- | --- | --- | --- |")
    for key, f in s["flatness"].items():
        judged = "**yes**" if f["flat"] else "**NO**"
        print(
            f"| {key} | {f['first']:g} → {f['last']:g} | {f['mean']:g} | "
            f"{f['slope_per_min']:+g} | {f['pct_per_10_min']:+.2f} ± {f['pct_stderr']} | "
            f"{judged if key in FLAT_JUDGED else '(shown)'} |"
        )
    r = report["retention"]
    print()
    print(
        f"retention: {r['days']:g} day(s), pruned every {r['interval_minutes']} min; "
        f"back-filled {r['backfilled_events']:,} events ({r['backfill_rate_per_s']:g}/s) in "
        f"{r['backfill_s']} s; stored during the soak {r['stored_during_soak']:,} "
        f"({r['stored_per_s']}/s), pruned during the soak {r['pruned_during_soak']:,}; mean "
        f"payload bytes back-fill {r['mean_payload_bytes']['backfill']}, soak "
        f"{r['mean_payload_bytes']['soak']}"
    )
    print(f"initial sync {report['initial_sync_s']} s, then quiet after {report['settle_s']} s")
    print()
    print("double writes (a score write that changed nothing but the scoring time):")
    for crm, d in report["double_writes"].items():
        print(
            f"  {crm}: {d['score_writes']:,} score writes to {d['records_written']:,} records "
            f"({d['records_written_more_than_once']:,} written more than once); re-sends "
            f"{d['resends']} = {d['resends_explained_by_faults']} explained by cut-off faults "
            f"+ {d['resends_unexplained']} unexplained; cut-off faults on write paths "
            f"{d['cut_off_faults_on_write_paths']}"
        )
        for example in d["unexplained_examples"]:
            print("    ", example)
    print()
    print("CRM-call retries by operation and cause:")
    for cause, number in report["service_log"]["crm_call_retries_by_cause"].items():
        print(f"{number:6d}  {cause}")
    print("other warnings and errors in the service log:")
    for shape, number in report["service_log"]["other_warnings_and_errors"].items():
        print(f"{number:6d}  {shape}")
    if report["untiered_events"]:
        print("events of untiered leads:")
        for event in report["untiered_events"]:
            print("  ", event)
    traced = report.get("tracemalloc")
    if traced and traced.get("snapshots"):
        print()
        print(
            "tracemalloc: traced Python memory (MiB) by soak second:", traced["traced_mib_by_t_s"]
        )
        print(
            f"grew most between t={traced['compared_t_s'][0]} s and {traced['compared_t_s'][1]} s:"
        )
        for row in traced["growth_by_line"]:
            print(
                f"  {row['size_diff_kib']:+10.1f} KiB {row['count_diff']:+8d} blocks  {row['line']}"
            )
    print()
    print(f"verdict: {s['verdict']}")


def _note(message: str) -> None:
    """Progress on stderr, so `--json` output stays one document."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _progress(sample: dict[str, Any]) -> None:
    _note(
        f"t={sample['t_s']:.0f}s rss={sample['rss_mib']:.1f}MiB (heap {sample['heap_mib']:.0f}, "
        f"anon {sample['anon_mib']:.0f}) backlog={sample['backlog']} "
        f"done={sample['done']} dead={sample['dead']} leads={sample['leads']} "
        f"faults={sample['faults']} undelivered={sample['webhooks_undelivered']}",
    )


if __name__ == "__main__":
    sys.exit(main())
