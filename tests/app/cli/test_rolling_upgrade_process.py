"""A rolling upgrade as the old replica sees it: `icp-sync serve` keeps running while a newer
release migrates the store under it. An expand migration leaves it ready and receiving
webhooks; the contract migration a release later takes it out of service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.store.engine import make_engine
from app.store.migrate import upgrade_to_head
from app.store.tables import WebhookEvent
from tests.support.migrations import CONTRACT, EXPAND, apply_newer, write_newer_release
from tests.support.processes import stop_process
from tests.support.service import (
    free_port,
    hubspot_event,
    post_hubspot_delivery,
    serve_process,
    wait_ready,
)

pytestmark = pytest.mark.slow  # starts icp-sync serve as a process

SECRET = "hubspot-app-secret-for-the-rolling-upgrade"


def _stored_events(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count(WebhookEvent.id))).scalar_one())
    finally:
        engine.dispose()


def test_given_serve_running_when_a_newer_release_expands_then_contracts_the_schema_then_ready_until_the_contract(
    database_url: str, tmp_path: Path
) -> None:
    upgrade_to_head(database_url)
    newer = write_newer_release(tmp_path / "newer")
    port = free_port()
    process = serve_process(
        database_url, SECRET, port, "--no-worker", "--no-schedules", cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(base, process), "icp-sync serve did not become ready"
        apply_newer(database_url, newer, EXPAND)
        expanded = httpx.get(f"{base}/readyz", timeout=10)
        delivered = post_hubspot_delivery(base, SECRET, [hubspot_event(91, 7)])
        stored = _stored_events(database_url)
        apply_newer(database_url, newer, CONTRACT)
        contracted = httpx.get(f"{base}/readyz", timeout=10)
    finally:
        _, err = stop_process(process)

    assert (expanded.status_code, expanded.json()) == (200, {"status": "ready", "revision": EXPAND})
    assert (delivered.status_code, delivered.json()["received"]) == (200, 1), delivered.text
    assert stored == 1
    assert contracted.status_code == 503, contracted.text
    assert contracted.json()["revision"] == CONTRACT
    assert "Traceback" not in err
