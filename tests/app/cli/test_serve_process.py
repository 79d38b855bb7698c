"""`icp-sync serve` as an operator runs it: a real process that migrates, answers webhooks,
exposes what it received on /metrics, logs JSON lines with request ids and never the secret,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.webhooks.hubspot import signature_v3

pytestmark = pytest.mark.slow  # starts icp-sync serve as a process

SECRET = "hubspot-app-secret-that-must-not-leak"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_given_serve_when_a_signed_webhook_arrives_then_it_is_stored_counted_and_logged(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ICP_SYNC_DATABASE_URL": database_url,
        "ICP_SYNC_HUBSPOT_APP_SECRET": SECRET,
        "ICP_SYNC_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli.main import run; run()", "serve", "--port",
         str(port), "--no-worker", "--no-schedules"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        ready = None
        for _ in range(300):
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert ready is not None
        assert ready.status_code == 200
        body = json.dumps(
            [{"eventId": 77, "subscriptionType": "company.creation", "objectId": 5,
              "occurredAt": int(time.time() * 1000), "portalId": 1}]
        ).encode()  # fmt: skip
        stamp = str(int(time.time() * 1000))
        uri = f"{base}/webhooks/hubspot"
        delivered = httpx.post(
            uri,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-HubSpot-Request-Timestamp": stamp,
                "X-HubSpot-Signature-v3": signature_v3(SECRET, "POST", uri, body, stamp),
                "X-Request-ID": "req-under-test",
            },
        )
        scraped = httpx.get(f"{base}/metrics").text
        docs = httpx.get(f"{base}/openapi.json").json()
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)

    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["received"] == 1
    assert 'icp_sync_webhook_events_received_total{source="hubspot"} 1.0' in scraped
    assert {"/webhooks/hubspot", "/webhooks/salesforce", "/webhooks/salesforce/outbound-message",
            "/metrics", "/healthz", "/readyz"} <= set(docs["paths"])  # fmt: skip
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why.
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete." in err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert records, err
    assert any(r.get("request_id") == "req-under-test" for r in records)
    assert SECRET not in err
    assert SECRET not in json.dumps(docs)
