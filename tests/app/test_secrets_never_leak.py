"""Issue 8, point 4: tokens and secrets never appear in logs, errors, `--json` output, the
OpenAPI page or /metrics.

One full run per store, every command a real `icp-sync` process with every secret the product
knows configured. The product has no log-level setting (it logs at INFO), so each process is
started through a bootstrap that emits every record of every logger, DEBUG included (HTTP
clients, SQLAlchemy statements and rows, uvicorn, APScheduler): `db upgrade`, `setup` of both
CRMs, syncs with writeback, a JWT-bearer sync, a sync with wrong CRM credentials, `inbox`,
`validate`, and `serve` processing the sandbox CRMs' signed webhooks, answering callouts with
the right and wrong Salesforce secrets, a forged HubSpot signature and wrong admin tokens, and
serving /openapi.json, /docs, /redoc and /metrics. Everything any of them printed or answered is
then searched for each secret and for 16-character slices of it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from app.inbox import queue
from app.store.engine import make_engine, make_session_factory
from app.webhooks.hubspot import signature_v3
from app.webhooks.salesforce_json import signature
from crm_sandbox.core.delivery import RetryPolicy
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.service import free_port, is_ready

pytestmark = pytest.mark.slow  # a full run of every command, each a process

WAIT_S = 30.0
COMMAND_TIMEOUT_S = 60.0
SLICE = 16
# `icp-sync` itself, with every log record of every logger emitted: the product's own handler
# and format (JSON lines on stderr) at DEBUG before any command runs (`serve`, which configures
# logging again, keeps DEBUG), and no logger left quieter than that — SQLAlchemy and the
# HubSpot client library raise their own loggers' levels, which would hide their debug output.
DEBUG_ENTRY_POINT = """
import logging
import app.log_setup as log_setup

logging.Logger.isEnabledFor = lambda self, level: not self.disabled
_configure = log_setup.configure_logging

def _debug(log_format: str = "json", level: int = logging.DEBUG) -> None:
    _configure(log_format, logging.DEBUG)

log_setup.configure_logging = _debug
_debug("json")
from app.cli.main import run
run()
"""


def wait_for(check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    return check()


def fragments(secret: str) -> set[str]:
    """The secret and three 16-character slices of it (start, middle, end)."""
    if len(secret) <= SLICE:
        return {secret}
    middle = len(secret) // 2 - SLICE // 2
    return {secret, secret[:SLICE], secret[middle : middle + SLICE], secret[-SLICE:]}


def pem_fragments(pem: str) -> set[str]:
    """Slices of every line of the key material (BEGIN/END lines are the same in every PEM)."""
    body = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    return {piece for line in body for piece in fragments(line)}


@dataclass
class Captured:
    """Everything the product said: name → text."""

    outputs: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        self.outputs[name] = self.outputs.get(name, "") + text

    def response(self, name: str, response: httpx.Response) -> httpx.Response:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.add(f"HTTP {name}", f"{response.status_code}\n{headers}\n{response.text}\n")
        return response


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path
    captured: Captured

    def __call__(
        self, name: str, *arguments: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-c", DEBUG_ENTRY_POINT, *arguments],
            env=env or self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        self.captured.add(f"{name} stdout", done.stdout)
        self.captured.add(f"{name} stderr", done.stderr)
        return done


@pytest.fixture
def service_port() -> int:
    return free_port()


@pytest.fixture
def sandbox(service_port: int, start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(
        seed=31,
        companies=20,
        salesforce_port=0,
        salesforce_icp_fields=False,
        hubspot_token=f"pat-na1-{secrets.token_urlsafe(24)}",
        hubspot_app_secret=f"hs-app-{secrets.token_urlsafe(24)}",
        webhook_target=f"http://127.0.0.1:{service_port}",
        webhook_retry=RetryPolicy(
            first_delay_s=0.1, max_delay_s=1.0, max_attempts=None, give_up_after_s=120
        ),
    )


def test_given_every_secret_configured_when_a_full_run_is_captured_then_no_secret_appears(
    database_url: str, sandbox: RunningSandbox, service_port: int, tmp_path: Path
) -> None:
    org, sf = sandbox.salesforce, sandbox.salesforce_sandbox
    assert org is not None
    assert sf is not None
    key_file = Path(sf.jwt_private_key_path)  # the connected app's: the org verifies it
    pem = key_file.read_text(encoding="utf-8")
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.password is None:
        # Trust auth ignores it, so the password can be one only this test knows.
        url = url.set(password=f"pg-{secrets.token_urlsafe(24)}")
    database = url.render_as_string(hide_password=False)
    webhook_secret = f"sf-hook-{secrets.token_urlsafe(24)}"
    admin_token = f"admin-{secrets.token_urlsafe(24)}"
    wrong = {
        "wrong HubSpot token": f"pat-na1-wrong-{secrets.token_urlsafe(24)}",
        "wrong Salesforce client secret": f"sf-wrong-{secrets.token_urlsafe(24)}",
        "wrong Salesforce webhook secret": f"sf-hook-wrong-{secrets.token_urlsafe(24)}",
        "wrong admin token": f"admin-wrong-{secrets.token_urlsafe(24)}",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICP_SYNC_")}
    env.update(
        {
            "ICP_SYNC_DATABASE_URL": database,
            **sandbox.service_env(),
            "ICP_SYNC_SALESFORCE_USERNAME": sf.jwt_username,
            "ICP_SYNC_SALESFORCE_PRIVATE_KEY": str(key_file),
            "ICP_SYNC_SALESFORCE_WEBHOOK_SECRET": webhook_secret,
            "ICP_SYNC_ADMIN_TOKEN": admin_token,
            "ICP_SYNC_FULL_SYNC_HOUR": "-1",  # no nightly reconcile inside the run
            "ICP_SYNC_LOG_FORMAT": "json",
            "PYTHONWARNINGS": "always",
            "COLUMNS": "200",
        }
    )
    captured = Captured()
    cli = Cli(env, tmp_path, captured)
    base = f"http://127.0.0.1:{service_port}"
    # The CLI first, alone: on SQLite a sync beside the service's worker may meet "database is
    # locked" (one writer at a time). The webhooks its writes cause wait for the service.
    upgraded = cli("db upgrade --json", "db", "upgrade", "--json")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["to"]
    if url.password:
        assert "***" in json.loads(upgraded.stdout)["database"]  # masked, as it should be
    setup_hubspot = cli("setup hubspot", "setup", "hubspot")
    assert setup_hubspot.returncode == 0, setup_hubspot.stderr
    assert "icp_fit_score" in setup_hubspot.stdout
    setup_salesforce = cli("setup salesforce", "setup", "salesforce", "--json")
    assert setup_salesforce.returncode == 0, setup_salesforce.stderr
    assert "ICP_Tier__c" in setup_salesforce.stdout
    synced = cli("sync", "sync", "--source", "all")
    assert synced.returncode == 0, synced.stderr
    assert "hubspot sync" in synced.stdout
    assert "salesforce sync" in synced.stdout
    synced_json = cli("sync --json", "sync", "--source", "all", "--json")
    assert synced_json.returncode == 0, synced_json.stderr
    assert [r["source"] for r in json.loads(synced_json.stdout)] == ["hubspot", "salesforce"]
    jwt_env = {**env, "ICP_SYNC_SALESFORCE_PRIVATE_KEY": pem}
    del jwt_env["ICP_SYNC_SALESFORCE_CLIENT_SECRET"]
    jwt = cli("sync (JWT bearer)", "sync", "--source", "salesforce", "--json", env=jwt_env)
    assert jwt.returncode == 0, jwt.stderr
    assert json.loads(jwt.stdout)["source"] == "salesforce"
    wrong_credentials = {
        "ICP_SYNC_HUBSPOT_TOKEN": wrong["wrong HubSpot token"],
        "ICP_SYNC_SALESFORCE_CLIENT_SECRET": wrong["wrong Salesforce client secret"],
    }
    refused = cli("sync (wrong credentials)", "sync", "--source", "all",
                  env={**env, **wrong_credentials})  # fmt: skip
    assert refused.returncode == 1
    assert "error: hubspot: " in refused.stderr
    assert "error: salesforce: " in refused.stderr
    assert "invalid_client" in refused.stderr

    # To files, not pipes: nothing reads a pipe while the service runs, and a full one would
    # block its logging.
    serve_out, serve_err = tmp_path / "serve.stdout", tmp_path / "serve.stderr"
    with serve_out.open("w") as stdout, serve_err.open("w") as stderr:
        serve = subprocess.Popen(
            [sys.executable, "-c", DEBUG_ENTRY_POINT, "serve", "--port", str(service_port)],
            env=env, cwd=tmp_path, stdout=stdout, stderr=stderr, text=True,
        )  # fmt: skip
    try:
        assert wait_for(lambda: is_ready(base)), "serve did not become ready"

        # Webhooks from both CRMs, processed by the service's worker.
        touched = next(
            c for c in sandbox.hubspot.company_ids()
            if sandbox.hubspot.company(c).get("icp_disqualified") == "false"
        )  # fmt: skip
        sandbox.hubspot.touch_company(touched, numberofemployees="3")
        inbound = sandbox.simulate_inbound(10.0, 1, crm="salesforce")
        assert inbound.wait(WAIT_S)
        lead = inbound.leads[0].object_id
        assert wait_for(lambda: sandbox.hubspot.company(touched).get("icp_disqualified") == "true")
        assert wait_for(lambda: org.get("Lead", lead).get("ICP_Tier__c"))
        _send_webhooks(base, captured, sandbox, lead, webhook_secret, wrong)
        _knock_on_admin(base, captured, admin_token, wrong["wrong admin token"])
        assert sandbox.wait_notifications_idle(WAIT_S)
        assert wait_for(lambda: _inbox_drained(database_url)), "the worker left events waiting"

        openapi = captured.response("/openapi.json", httpx.get(f"{base}/openapi.json")).text
        captured.response("/docs", httpx.get(f"{base}/docs"))
        captured.response("/redoc", httpx.get(f"{base}/redoc"))
        metrics = captured.response("/metrics", httpx.get(f"{base}/metrics")).text
        inbox = cli("inbox --json", "inbox", "--status", "done", "--limit", "10000", "--json")
        validated = cli("validate --json", "validate", "--json")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        captured.add("serve stdout", serve_out.read_text())
        captured.add("serve stderr", serve_err.read_text())

    # The run did what it should, so its output is worth searching.
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why.
    assert serve.returncode in (0, -signal.SIGTERM), captured.outputs["serve stderr"][-2000:]
    assert inbox.returncode == 0, inbox.stderr
    done = json.loads(inbox.stdout)
    assert done["counts"]["dead"] == 0
    assert {e["source"] for e in done["events"]} == {"hubspot", "salesforce"}
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout)["rubric_version"]
    assert "/webhooks/hubspot" in json.loads(openapi)["paths"]
    assert 'icp_sync_inbox_events_processed_total{source="salesforce"}' in metrics
    log = captured.outputs["serve stderr"]
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(r.get("level") == "debug" for r in records)  # DEBUG really was on
    events = [str(r.get("event")) for r in records]
    assert any('"POST /webhooks/hubspot HTTP/1.1" 200' in e for e in events)
    assert any('"POST /webhooks/salesforce/outbound-message HTTP/1.1" 200' in e for e in events)
    for source in ("hubspot", "salesforce"):  # the worker's statements, with its batch bound
        assert any(
            r.get("source") == source
            and r.get("event_ids")
            and str(r.get("event")).startswith("UPDATE webhook_events SET status=")
            for r in records
        ), f"no log of a processed {source} webhook"
    assert any("hubspot webhook refused with 401" in e for e in events)
    assert any("salesforce webhook refused with 401" in e for e in events)
    assert "Application shutdown complete." in log

    # No secret, nor a slice of one, anywhere.
    configured = {
        "HubSpot token": sandbox.hubspot_token,
        "HubSpot app secret": sandbox.hubspot_app_secret,
        "Salesforce client secret": str(sandbox.salesforce_client_secret),
        "Salesforce webhook secret": webhook_secret,
        "admin token": admin_token,
        **wrong,
    }
    if url.password:
        configured["database password"] = str(url.password)
    searched = {name: fragments(value) for name, value in configured.items()}
    searched["Salesforce JWT private key"] = pem_fragments(pem)
    issued = list(sf.auth.tokens)
    assert issued
    for number, token in enumerate(issued):
        searched[f"Salesforce access token {number}"] = fragments(token.split("!", 1)[-1])
    outbound = sf.outbound_messages
    session_id = outbound.session_id if outbound is not None else None
    assert session_id  # sent in every Outbound Message
    searched["Outbound Message session id"] = fragments(session_id.split("!", 1)[-1])
    leaks = [
        f"{name} in {where}"
        for name, pieces in searched.items()
        for where, text in captured.outputs.items()
        if any(piece in text for piece in pieces)
    ]
    assert not leaks


def _inbox_drained(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            counts = queue.depth(session)
    finally:
        engine.dispose()
    return counts["pending"] == counts["processing"] == 0 and counts["done"] > 0


def _send_webhooks(
    base: str,
    captured: Captured,
    sandbox: RunningSandbox,
    lead: str,
    webhook_secret: str,
    wrong: dict[str, str],
) -> None:
    """A Flow callout with the shared secret and one signed from Apex (both stored), then a
    HubSpot delivery with a forged signature, a callout with a wrong secret and one with a
    wrong HMAC (all refused with 401)."""
    hubspot_uri = f"{base}/webhooks/hubspot"
    salesforce_uri = f"{base}/webhooks/salesforce"

    def callout(event_id: str) -> bytes:
        event = {"eventId": event_id, "objectType": "Lead", "recordId": lead,
                 "changeType": "updated"}  # fmt: skip
        return json.dumps({"events": [event]}).encode()

    json_type = {"Content-Type": "application/json"}
    body = callout("flow-1")
    stored = captured.response(
        "Salesforce callout (shared secret)",
        httpx.post(salesforce_uri, content=body,
                   headers={**json_type, "X-ICP-Sync-Secret": webhook_secret}),
    )  # fmt: skip
    assert stored.status_code == 200, stored.text
    body, stamp = callout("apex-1"), str(int(time.time()))
    signed = captured.response(
        "Salesforce callout (HMAC)",
        httpx.post(
            salesforce_uri,
            content=body,
            headers={**json_type, "X-ICP-Sync-Timestamp": stamp,
                     "X-ICP-Sync-Signature": signature(webhook_secret, stamp, body)},
        ),
    )  # fmt: skip
    assert signed.status_code == 200, signed.text

    company = sandbox.hubspot.company_ids()[0]
    events = [
        {
            "eventId": 990_001,
            "subscriptionType": "company.creation",
            "objectId": int(company),
            "occurredAt": int(time.time() * 1000),
            "portalId": 1,
        }
    ]
    body, stamp_ms = json.dumps(events).encode(), str(int(time.time() * 1000))
    forged = f"forged-{secrets.token_urlsafe(16)}"
    refusals = [
        captured.response(
            "HubSpot webhook (forged signature)",
            httpx.post(
                hubspot_uri,
                content=body,
                headers={**json_type, "X-HubSpot-Request-Timestamp": stamp_ms,
                         "X-HubSpot-Signature-v3": signature_v3(forged, "POST", hubspot_uri,
                                                                body, stamp_ms)},
            ),
        ),
        captured.response(
            "Salesforce callout (wrong secret)",
            httpx.post(salesforce_uri, content=callout("flow-2"),
                       headers={**json_type,
                                "X-ICP-Sync-Secret": wrong["wrong Salesforce webhook secret"]}),
        ),
        captured.response(
            "Salesforce callout (wrong HMAC)",
            httpx.post(
                salesforce_uri,
                content=callout("apex-2"),
                headers={**json_type, "X-ICP-Sync-Timestamp": stamp,
                         "X-ICP-Sync-Signature": signature(
                             wrong["wrong Salesforce webhook secret"], stamp, callout("apex-2"))},
            ),
        ),
    ]  # fmt: skip
    assert [r.status_code for r in refusals] == [401, 401, 401], [r.text for r in refusals]


def _knock_on_admin(base: str, captured: Captured, admin_token: str, wrong_token: str) -> None:
    """Every admin endpoint the service documents (or, while there is none, the place one would
    be) with a wrong bearer token, and its read-only ones with the right token."""
    paths: dict[str, Any] = httpx.get(f"{base}/openapi.json").json()["paths"]
    admin = {p: set(ops) for p, ops in paths.items() if p.startswith("/admin")}
    for path, methods in (admin or {"/admin/inbox": {"get"}}).items():
        target = base + path.replace("{", "").replace("}", "")
        for method in sorted(methods & {"get", "post", "put", "patch", "delete"}):
            refused = captured.response(
                f"{method.upper()} {path} (wrong admin token)",
                httpx.request(method, target, headers={"Authorization": f"Bearer {wrong_token}"}),
            )
            assert refused.status_code in (401, 403, 404, 405, 422), refused.text
        if "get" in methods:
            answered = captured.response(
                f"GET {path} (admin token)",
                httpx.get(target, headers={"Authorization": f"Bearer {admin_token}"}),
            )
            assert answered.status_code < 500, answered.text
