"""`icp-sync serve` as an operator runs it: a real process that migrates, answers webhooks,
exposes what it received on /metrics, logs JSON lines with request ids and never the secret,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.support.processes import stop_process
from tests.support.service import (
    free_port,
    hubspot_event,
    post_hubspot_delivery,
    serve_process,
    wait_ready,
)

pytestmark = pytest.mark.slow  # starts icp-sync serve as a process

SECRET = "hubspot-app-secret-that-must-not-leak"


def test_given_serve_when_a_signed_webhook_arrives_then_it_is_stored_counted_and_logged(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    process = serve_process(
        database_url, SECRET, port, "--no-worker", "--no-schedules", cwd=tmp_path,
        ICP_SYNC_LOG_FORMAT="json",
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(base, process), "icp-sync serve did not become ready"
        delivered = post_hubspot_delivery(
            base, SECRET, [hubspot_event(77, 5)], **{"X-Request-ID": "req-under-test"}
        )
        scraped = httpx.get(f"{base}/metrics").text
        docs = httpx.get(f"{base}/openapi.json").json()
    finally:
        _, err = stop_process(process)

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
