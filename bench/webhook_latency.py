"""End-to-end latency of real-time rescoring: from a new inbound lead created in the sandbox CRM
to its ICP tier written back there, through webhooks, the inbox and the worker.

    .venv/bin/python bench/webhook_latency.py [--rates 10 100] [--seconds 20]
        [--crm hubspot salesforce] [--database-url URL] [--semantic] [--json]

The sandbox (HubSpot and Salesforce simulators, with their webhook senders) runs in this
process; `icp-sync serve --no-schedules` runs as a second process on loopback, on a fresh
SQLite store (or the empty database given), after one full sync so new leads count as new.
For each rate, leads arrive at that rate for `--seconds`; a listener on the sandbox state
records when each lead's tier lands (HubSpot: the new contact's own `icp_tier`; Salesforce:
the Lead's `ICP_Tier__c`). Reported: p50 / p95 / p99 / max seconds, and how many landed. The
sandbox seeds `--contacts-per-company` contacts per company (1.5 by default), so the store
holds companies and contacts as a real portal's does.

With `--semantic` (HubSpot only), the service and the syncs score with
bench/data/narrative_rubric.yaml (a `semantic` criterion and disqualifier on the company's
`description`), and each measured change sets an existing company's `description` to a new
text (`semantic_changes`), a different company per change within a rate: the text is embedded
on the webhook path, cold. A change has landed when the company's `icp_reasons` written back
quote it: every sentence of its text starts with the change's own tag (`Ref <n>:`), so
whichever sentence the reason quotes names the change. Run it without `--semantic` in the same
sitting (new leads, the default rubric) for the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import socket
import sys
import tempfile
import threading
import time
from contextlib import closing
from itertools import count as counter
from pathlib import Path
from typing import Any

from semantic_scale import RUBRIC as SEMANTIC_RUBRIC
from semantic_scale import descriptions
from webhook_ingest import start_service

from app.crm import hubspot_connector, make_connector
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.semantic.text import split_sentences
from app.settings import settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.sync.orchestrator import run_sync
from crm_sandbox.inbound import InboundLead, InboundSimulation, LeadMaker
from crm_sandbox.sandbox import RunningSandbox, start_sandbox

SETTLE_SECONDS = 30.0
RATE_WINDOW_S = 10.0
"""HubSpot's burst limit counts requests over a rolling 10 s."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Landings:
    """When each record's tier was first written, by CRM record id (monotonic seconds)."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()
        sandbox.hubspot.subscribe(self._hubspot)
        org = sandbox.salesforce
        if org is not None:
            self._org = org
            org.subscribe(self._salesforce)

    def _land(self, record_id: str) -> None:
        with self._lock:
            self.at.setdefault(record_id, time.monotonic())

    def _hubspot(self, event: Any) -> None:
        if event.object_type == "contacts" and event.properties.get("icp_tier"):
            self._land(event.object_id)

    def _salesforce(self, change: Any) -> None:
        record = self._org.records.get(change.object_name, {}).get(change.record_id, {})
        if change.object_name == "Lead" and record.get("ICP_Tier__c"):
            self._land(change.record_id)


TAG = re.compile(r"Ref (\d+):")


class ReasonLandings(Landings):
    """`--semantic`: when each change's tag was first quoted in a company's `icp_reasons`."""

    def _hubspot(self, event: Any) -> None:
        if event.object_type == "companies":
            for tag in TAG.findall(event.properties.get("icp_reasons", "")):
                self._land(tag)


def semantic_changes(sandbox: RunningSandbox, texts: list[str]) -> LeadMaker:
    """A maker of description changes: the i-th sets company i (of the seeded ones, in order,
    round the list) to a text of `texts` tagged `Ref <n>:` sentence by sentence, `n` counting
    every change made by this maker. The handle's `object_id` is the tag."""
    state = sandbox.hubspot
    with state.lock:
        companies = state.company_ids()
    numbers = counter(1)

    def make(number: int) -> InboundLead:
        tag = str(next(numbers))
        company = companies[number % len(companies)]
        base = texts[int(tag) % len(texts)]
        text = " ".join(f"Ref {tag}: {sentence}" for sentence in split_sentences(base))
        state.touch_company(company, description=text)
        return InboundLead("hubspot", "companies", tag, company, "", "", time.monotonic(),
                           time.time_ns() // 1_000_000)  # fmt: skip

    return make


def api_counts(sandbox: RunningSandbox) -> tuple[int, int]:
    """The HubSpot API's requests so far, and its 429s."""
    stats = sandbox.hubspot.stats
    return sum(stats.by_route.values()), stats.rate_limited


def calls_per_lead(
    sandbox: RunningSandbox, crm: str, leads: int, calls_before: int, limited_before: int
) -> dict[str, float | int | None]:
    """HubSpot API requests per lead during a run (the rate limit is 19 a second), and 429s."""
    if crm != "hubspot" or not leads:
        return {}
    calls, limited = api_counts(sandbox)
    return {
        "api_calls_per_lead": round((calls - calls_before) / leads, 2),
        "rate_limited": limited - limited_before,
    }


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def service_env(sandbox: RunningSandbox, url: str) -> dict[str, str]:
    """The environment of an icp-sync process on store `url`, configured for both sandbox
    CRMs and their webhooks."""
    return {
        **os.environ,
        "ICP_SYNC_DATABASE_URL": url,
        **sandbox.service_env(),
        "ICP_SYNC_LOG_FORMAT": "json",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[10.0, 100.0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--crm", nargs="+", default=["hubspot", "salesforce"])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--contacts-per-company", type=float, default=1.5)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="score with bench/data/narrative_rubric.yaml; measure company description changes",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.semantic:
        args.crm = ["hubspot"]

    rubric = load_rubric(SEMANTIC_RUBRIC) if args.semantic else load_rubric()
    port = free_port()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        with start_sandbox(
            seed=7,
            companies=args.companies,
            contacts_per_company=args.contacts_per_company,
            salesforce_port=0,
            webhook_target=f"http://127.0.0.1:{port}",
        ) as sandbox:
            upgrade_to_head(url)
            env = service_env(sandbox, url)
            if args.semantic:
                env["ICP_SYNC_RUBRIC"] = str(SEMANTIC_RUBRIC)
            service = start_service(env, port)  # first: the syncs' echoes reach it
            try:
                engine = make_engine(url)
                sessions = make_session_factory(engine)
                with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as hs:
                    hs.ensure_schema()
                    run_sync(hs, sessions, compile_rubric(rubric))
                service_settings = settings_from(sandbox.service_env())
                with closing(make_connector("salesforce", service_settings, rubric)) as sf:
                    run_sync(sf, sessions, compile_rubric(rubric))
                engine.dispose()
                sandbox.wait_notifications_idle(60)  # the initial writes' echoes, delivered
                # and drained by the worker; and HubSpot's rolling 10 s window, which the
                # syncs' calls filled, cleared: a lead measured behind a window the sync spent
                # would time the sync, not the webhook path
                time.sleep(RATE_WINDOW_S + 1.0)
                landings = ReasonLandings(sandbox) if args.semantic else Landings(sandbox)
                changes = semantic_changes(sandbox, descriptions(1_000)) if args.semantic else None
                for crm in args.crm:
                    for rate in args.rates:
                        count = max(1, round(rate * args.seconds))
                        calls_before, limited_before = api_counts(sandbox)
                        if changes is None:
                            run = sandbox.simulate_inbound(rate, count, crm=crm)
                        else:
                            run = InboundSimulation(changes, rate, count, name="descriptions")
                            run.start()
                        run.wait(args.seconds * 3 + 60)
                        deadline = time.monotonic() + SETTLE_SECONDS
                        ids = [(lead.object_id, lead.created_monotonic) for lead in run.leads]
                        while time.monotonic() < deadline and not all(
                            i in landings.at for i, _ in ids
                        ):
                            time.sleep(0.1)
                        delays = [
                            landings.at[i] - created for i, created in ids if i in landings.at
                        ]
                        rows.append(
                            {
                                "crm": crm,
                                "rate_per_second": rate,
                                "leads": len(ids),
                                "landed": len(delays),
                                "p50_s": _round(percentile(delays, 0.50)),
                                "p95_s": _round(percentile(delays, 0.95)),
                                "p99_s": _round(percentile(delays, 0.99)),
                                "max_s": _round(max(delays) if delays else None),
                                **calls_per_lead(
                                    sandbox, crm, len(ids), calls_before, limited_before
                                ),
                            }
                        )
            finally:
                service.terminate()
                service.wait(30)
    meta = {"python": platform.python_version(), "machine": platform.machine(),
            "database": url.split(":")[0], "cpus": os.cpu_count(),
            "semantic": args.semantic, "companies": args.companies}  # fmt: skip
    if args.json:
        print(json.dumps({"runs": rows, **meta}))
    else:
        for row in rows:
            print("; ".join(f"{key}={value}" for key, value in row.items()))
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


if __name__ == "__main__":
    sys.exit(main())
