"""Issue 16 point 3: a failing scheduled sync is seen. With a token the CRM refuses, each
scheduled sync counts a failure per stream in the store; `icp-sync status` and `/metrics` show
the failures in a row and the error (never the token); a success resets them and sets the
last success time. `/readyz` stays 200 (webhooks are still received) while `/healthz/sync`
says stale. On SQLite and PostgreSQL, against the HubSpot sandbox over HTTP."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.api.app import create_app
from app.cli.main import cli
from app.rubric import load_rubric
from app.runtime import Runtime
from app.settings import Settings, get_settings, settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.sync.health import ErrorSummary, record_failure, record_success, summarize_error
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox

HUBSPOT_STREAMS = {"accounts", "contacts", "deals", "writeback"}


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=3, companies=10)


@pytest.fixture
def revoked_token() -> str:
    return "revoked-" + secrets.token_hex(20)


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, database_url: str, revoked_token: str
) -> Iterator[None]:
    """`icp-sync status` sees the store and a HubSpot whose token was revoked."""
    for name, value in sandbox.service_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", revoked_token)
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def status() -> dict[str, dict[str, object]]:
    """`icp-sync status --json`'s HubSpot streams by name."""
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    (hubspot,) = [s for s in json.loads(result.stdout)["sources"] if s["source"] == "hubspot"]
    return {stream["stream"]: stream for stream in hubspot["streams"]}


def gauge(text: str, name: str, stream: str) -> float | None:
    found = re.search(rf'^{name}{{source="hubspot",stream="{stream}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def test_given_a_revoked_token_when_scheduled_syncs_fail_then_status_and_metrics_count_them(
    environment: None, sandbox: RunningSandbox, database_url: str, revoked_token: str
) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    revoked = settings_from(sandbox.service_env(), database_url=database_url,
                            hubspot_token=revoked_token)  # fmt: skip
    runtime = Runtime(revoked, load_rubric(), engine, make_session_factory(engine))
    working = settings_from(sandbox.service_env(), database_url=database_url)
    try:
        with TestClient(create_app(Settings(database_url=database_url))) as client:
            for expected in (1, 2):
                assert runtime.sync("hubspot", False) is True
                streams = status()
                metrics = client.get("/metrics").text

                assert set(streams) == HUBSPOT_STREAMS
                for name, stream in streams.items():
                    assert stream["consecutive_failures"] == expected
                    assert stream["last_success_at"] is None
                    assert stream["last_error_type"] == "AuthError"
                    assert "401" in str(stream["last_error"])
                    assert gauge(metrics, "icp_sync_sync_consecutive_failures", name) == expected
                assert gauge(metrics, "icp_sync_sync_last_success_timestamp_seconds",
                             "deals") is None  # fmt: skip
                assert 'error_type="AuthError"' in metrics
                table = CliRunner().invoke(cli, ["status"]).stdout
                assert "AuthError" in table
                assert "stale" in table
                for output in (json.dumps(streams), metrics, table):
                    assert revoked_token not in output
                    assert revoked_token[8:24] not in output

            before = datetime.now(UTC)
            ran = Runtime(working, load_rubric(), engine, make_session_factory(engine)).sync(
                "hubspot", False
            )
            streams = status()
            metrics = client.get("/metrics").text
    finally:
        engine.dispose()

    assert ran is True
    for name, stream in streams.items():
        assert stream["consecutive_failures"] == 0
        assert datetime.fromisoformat(str(stream["last_success_at"])) >= before
        assert stream["last_failure_at"] is not None  # kept: when it last failed
        assert gauge(metrics, "icp_sync_sync_consecutive_failures", name) == 0
        success = gauge(metrics, "icp_sync_sync_last_success_timestamp_seconds", name)
        assert success is not None
        assert success >= before.timestamp()
    assert "icp_sync_sync_last_error_info{" not in metrics


def test_given_a_crm_failing_for_hours_when_probed_then_ready_but_sync_freshness_is_stale(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    now = datetime.now(UTC)
    with sessions() as session:
        record_success(session, "hubspot", HUBSPOT_STREAMS, now - timedelta(hours=3))
        record_failure(session, "hubspot", HUBSPOT_STREAMS, ErrorSummary("AuthError", "401"), now)
        session.commit()
    settings = Settings(database_url=database_url, hubspot_token="pat-configured",
                        sync_stale_minutes=60)  # fmt: skip

    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        alive = client.get("/healthz")
        stale = client.get("/healthz/sync")
        with sessions() as session:
            record_success(session, "hubspot", HUBSPOT_STREAMS, datetime.now(UTC))
            session.commit()
        fresh = client.get("/healthz/sync")

    assert (ready.status_code, alive.status_code) == (200, 200)
    assert stale.status_code == 503
    assert stale.json()["status"] == "stale"
    (hubspot,) = stale.json()["sources"]
    assert (hubspot["stale"], hubspot["consecutive_failures"]) == (True, 1)
    assert "401" not in stale.text  # the error stays out of a possibly public probe
    assert fresh.status_code == 200
    assert fresh.json()["sources"][0]["stale"] is False


def test_given_an_error_echoing_credentials_when_summarized_then_they_are_scrubbed() -> None:
    secret = "s3cr3t-" + secrets.token_hex(12)
    error = RuntimeError(
        f"POST https://user:hunter22@crm.example/token failed: client_secret={secret}&x=1 "
        f"Authorization: Bearer abc.def.ghi token={secrets.token_hex(8)} echoed {secret}\n"
        "second line with more detail"
    )

    summary = summarize_error(error, [secret])

    assert summary.type == "RuntimeError"
    assert secret not in summary.message
    assert "hunter22" not in summary.message
    assert "abc.def.ghi" not in summary.message
    assert "token=[redacted]" in summary.message
    assert "second line" not in summary.message
    assert summary.message.startswith("POST https://[redacted]@crm.example/token failed")
