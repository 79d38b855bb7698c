"""`icp-sync inbox` and `icp-sync inbox replay` as an operator uses them after an incident."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import get_settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import WebhookEvent
from tests.support.processes import stop_process


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[dict[str, int]]:
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    with make_session_factory(engine)() as session:
        for number, status in enumerate(("dead", "dead", "pending", "done")):
            session.add(
                WebhookEvent(
                    source="hubspot",
                    event_id=f"e{number}",
                    event_type="company.creation",
                    object_type="company",
                    object_id=str(number),
                    payload={},
                    status=status,
                    attempts=8 if status == "dead" else 0,
                    last_error="AuthError: 401 token revoked" if status == "dead" else None,
                    next_attempt_at=now,
                    received_at=now,
                )
            )
        session.commit()
        ids = {e.event_id: e.id for e in session.query(WebhookEvent)}
    engine.dispose()
    yield ids
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def test_given_dead_events_when_listed_then_counts_and_errors_are_shown(
    inbox: dict[str, int],
) -> None:
    result = invoke("inbox", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"] == {"pending": 1, "processing": 0, "done": 1, "dead": 2}
    assert {e["event_id"] for e in report["events"]} == {"e0", "e1"}
    assert all("token revoked" in e["last_error"] for e in report["events"])
    assert report["oldest_waiting_seconds"] is not None
    table = invoke("inbox")
    assert table.exit_code == 0
    assert "token revoked" in table.stdout


def test_given_a_dead_event_when_replayed_then_it_is_pending_again_and_others_untouched(
    inbox: dict[str, int],
) -> None:
    result = invoke("inbox", "replay", str(inbox["e0"]), str(inbox["e2"]), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"requeued": 1, "not_dead": [inbox["e2"]]}
    counts = json.loads(invoke("inbox", "--json").stdout)["counts"]
    assert counts == {"pending": 2, "processing": 0, "done": 1, "dead": 1}


def test_given_replay_all_dead_then_every_dead_event_is_requeued(inbox: dict[str, int]) -> None:
    result = invoke("inbox", "replay", "--all-dead")

    assert result.exit_code == 0, result.stderr
    assert "requeued 2" in result.stdout


def test_given_replay_without_ids_then_a_clear_error(inbox: dict[str, int]) -> None:
    result = invoke("inbox", "replay")

    assert result.exit_code == 1
    assert "--all-dead" in result.stderr


def test_given_old_and_recent_processed_events_when_pruned_then_old_ones_go_and_dead_stay(
    inbox: dict[str, int],
) -> None:
    now = datetime.now(UTC)
    engine = make_engine(get_settings().database_url)
    with make_session_factory(engine)() as session:
        for event_id, days in (("old", 8), ("recent", 6)):
            at = now - timedelta(days=days)
            session.add(
                WebhookEvent(
                    source="hubspot",
                    event_id=event_id,
                    event_type="company.creation",
                    object_type="company",
                    object_id=event_id,
                    payload={"objectId": event_id},
                    status="done",
                    attempts=1,
                    received_at=at,
                    processed_at=at,
                )
            )
        session.commit()
    engine.dispose()

    result = invoke("inbox", "prune", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["deleted"], report["retention_days"]) == (1, 7)
    counts = json.loads(invoke("inbox", "--json").stdout)["counts"]
    assert counts == {"pending": 1, "processing": 0, "done": 2, "dead": 2}


def test_given_a_retention_shorter_than_a_day_when_pruning_then_refused_naming_it(
    inbox: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_SYNC_RETENTION_DAYS", "0.5")
    get_settings.cache_clear()

    result = invoke("inbox", "prune")

    assert result.exit_code == 1
    assert "ICP_SYNC_RETENTION_DAYS: 0.5 days is shorter than the CRMs' redelivery window" in (
        " ".join(result.stderr.split())
    )


@pytest.mark.slow  # starts icp-sync worker as a process
def test_given_the_worker_command_running_when_sent_sigterm_then_it_stops_and_exits_0(
    database_url: str,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli.main import run; run()", "worker"],
        env={**os.environ, "ICP_SYNC_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        started = next(
            (line for line in iter(process.stderr.readline, "") if "started" in line), ""
        )
    finally:
        _out, err = stop_process(process)

    assert started, err
    assert process.returncode == 0, err
    assert "Traceback" not in err
