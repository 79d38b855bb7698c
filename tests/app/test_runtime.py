"""What `icp-sync serve` adds around the webhooks: /metrics, request ids, and scheduled syncs
that run on one replica at a time (the sync lock of app.store.locks)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.rubric import load_rubric
from app.runtime import Runtime
from app.settings import Settings, settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.locks import cluster_lock
from app.store.migrate import upgrade_to_head
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=2, companies=20)


def test_given_the_service_when_metrics_are_scraped_then_prometheus_text_is_served(
    database_url: str,
) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in ("icp_sync_webhook_events_received", "icp_sync_inbox_depth",
                 "icp_sync_webhook_end_to_end_seconds_bucket", "icp_sync_crm_api_calls"):  # fmt: skip
        assert name in response.text or name.removesuffix("_bucket") in response.text


def test_given_a_request_then_its_id_is_echoed_or_made_up(database_url: str) -> None:
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        made = client.get("/healthz")
        hostile = client.get("/healthz", headers={"X-Request-ID": "x; drop table"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "x; drop table"


def test_given_two_replicas_when_both_try_the_scheduled_sync_then_one_runs_it(
    database_url: str, sandbox: RunningSandbox
) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    settings = settings_from(sandbox.service_env(), database_url=database_url)
    runtime = Runtime(settings, load_rubric(), engine, make_session_factory(engine))
    try:
        with cluster_lock(engine, "icp-sync:sync:hubspot") as first:
            ran_while_held = runtime.sync("hubspot", False)
        ran_alone = runtime.sync("hubspot", False)
    finally:
        engine.dispose()

    assert first is True
    assert ran_while_held is False  # the other replica (or `icp-sync sync`) holds the lock
    assert ran_alone is True
