"""`icp-sync serve --workers N`: N HTTP processes share the port, /metrics sums them, one of
them runs the inbox worker and the schedules, and another takes over when it dies; and a port
out of range is refused by name before anything starts."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from tests.support.processes import stop_process
from tests.support.service import (
    free_port,
    hubspot_event,
    post_hubspot_delivery,
    serve_process,
    wait_for,
    wait_ready,
)

SECRET = "hubspot-app-secret"
DELIVERIES = 24
ELECTED = re.compile(r"elected to run the inbox worker and schedules: .* pid (\d+) ")


def log_messages(path: Path) -> list[str]:
    return [
        json.loads(line)["event"] for line in path.read_text().splitlines() if line.startswith("{")
    ]


def elected_pids(path: Path) -> list[int]:
    return [int(m[1]) for text in log_messages(path) if (m := ELECTED.search(text))]


def workers_started(path: Path) -> int:
    return sum(text.startswith("inbox worker") for text in log_messages(path))


@pytest.mark.slow  # starts icp-sync serve and its two worker processes
def test_given_serve_with_two_workers_when_webhooks_arrive_and_the_elected_process_dies_then_all_are_stored_summed_and_another_process_takes_over(
    database_url: str, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = serve_process(
            database_url, SECRET, port, "--workers", "2", cwd=tmp_path, output=output,
            ICP_SYNC_LOG_FORMAT="json",
        )  # fmt: skip
        try:
            assert wait_ready(base, process), log.read_text()
            wait_for(
                lambda: log_messages(log).count("Application startup complete.") == 2,
                "both processes started",
            )
            answers = [
                post_hubspot_delivery(base, SECRET, [hubspot_event(9000 + n, n)])
                for n in range(DELIVERIES)
            ]  # each on a new connection: the kernel hands them to either process
            scraped = httpx.get(f"{base}/metrics").text
            first = elected_pids(log)
            os.kill(first[0], signal.SIGKILL)
            wait_for(lambda: workers_started(log) == 2, "another process's inbox worker", 30)
            successors = elected_pids(log)[1:]
        finally:
            stop_process(process)

    assert [a.status_code for a in answers] == [200] * DELIVERIES
    assert f'icp_sync_webhook_events_received_total{{source="hubspot"}} {DELIVERIES}.0' in scraped
    assert len(first) == 1, log.read_text()  # one process ran the background work, not each
    assert len(successors) == 1
    assert successors != first


def test_given_a_port_out_of_range_when_serve_starts_then_it_names_the_option_and_value() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "99999"])

    assert result.exit_code == 2
    assert "'--port': 99999 is out of range: expected 1 to 65535" in result.output


def test_given_zero_workers_when_serve_starts_then_it_names_the_option_and_value() -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "0"])

    assert result.exit_code == 2
    assert "'--workers': 0 is out of range: expected 1 to 64" in result.output
