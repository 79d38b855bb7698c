"""What `icp-sync serve` adds around the webhooks: /metrics, request ids, and scheduled syncs
that run on one replica at a time (the sync lock of app.store.locks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.rubric import Rubric, load_rubric
from app.rubric.loader import parse_rubric
from app.runtime import PRUNE_START_DELAY, Runtime
from app.semantic.text import embedded, narrative_sentences
from app.settings import Settings, settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.locks import cluster_lock
from app.store.migrate import upgrade_to_head
from app.store.tables import WebhookEvent
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.app.semantic.support import US, CountingEmbedder, semantic_document


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


def test_given_the_schedules_without_a_crm_then_retention_runs_soon_and_prunes_old_events(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    old = datetime.now(UTC) - timedelta(days=8)
    with sessions() as session:
        session.add(
            WebhookEvent(source="hubspot", event_id="old", event_type="company.creation",
                         object_type="company", object_id="1", payload={"objectId": 1},
                         status="done", attempts=1, received_at=old, processed_at=old)
        )  # fmt: skip
        session.commit()
    engine = make_engine(database_url)
    runtime = Runtime(Settings(database_url=database_url), load_rubric(), engine,
                      make_session_factory(engine), run_worker=False)  # fmt: skip
    runtime.start()
    try:
        assert runtime._scheduler is not None
        job = runtime._scheduler.get_job("retention")
        pruned = runtime.prune()
    finally:
        runtime.stop()
        engine.dispose()

    assert job is not None
    assert job.next_run_time - datetime.now(UTC) <= PRUNE_START_DELAY
    assert pruned == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_given_a_retention_interval_when_the_schedules_start_then_retention_runs_that_often(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url, retention_interval_minutes=3)
    runtime = Runtime(settings, load_rubric(), engine, make_session_factory(engine),
                      run_worker=False)  # fmt: skip
    runtime.start()
    try:
        assert runtime._scheduler is not None
        job = runtime._scheduler.get_job("retention")
    finally:
        runtime.stop()
        engine.dispose()

    assert job is not None
    assert job.trigger.interval == timedelta(minutes=3)


@pytest.mark.parametrize(
    ("rubric", "expected"),
    [
        pytest.param(
            lambda: parse_rubric(semantic_document(not_us="Tender-only public bodies.")),
            [*embedded(narrative_sentences(US)), *embedded(["Tender-only public bodies."])],
            id="semantic",
        ),
        pytest.param(load_rubric, [], id="default"),
    ],
)
def test_given_a_rubric_when_the_worker_starts_then_the_model_is_warmed_only_if_it_reads_meaning(
    sessions: sessionmaker[Session],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    rubric: Callable[[], Rubric],
    expected: list[str],
) -> None:
    counting = CountingEmbedder()
    monkeypatch.setattr("app.semantic.enrich.local_embedder", lambda: counting)
    monkeypatch.setattr("app.semantic.enrich._NARRATIVES", {})  # as a fresh process's
    engine = make_engine(database_url)
    runtime = Runtime(Settings(database_url=database_url), rubric(), engine,
                      make_session_factory(engine), run_schedules=False)  # fmt: skip

    runtime.start()
    try:
        at_start = list(counting.embedded)
    finally:
        runtime.stop()
        engine.dispose()

    assert at_start == expected  # the narratives, before any event; the default loads nothing
