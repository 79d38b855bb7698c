"""The service's logs as an operator reads them, from the real app served by uvicorn on a
loopback port: JSON lines without uvicorn's ANSI copy of the message, and no line for a probe
or scrape that succeeded (an orchestrator calls /readyz every few seconds), while a failing
probe and any other request are logged."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from app.api.app import create_app
from app.log_setup import configure_logging
from app.settings import Settings
from tests.support.service import ServedApp

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """`configure_logging` changes process-wide state: put it back for the other tests."""
    loggers = [logging.getLogger(), *map(logging.getLogger, UVICORN_LOGGERS)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    config = structlog.get_config()
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
    structlog.configure(**config)


def test_given_json_logs_when_probed_scraped_and_called_then_only_the_call_and_failed_probe_are_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    configure_logging("json")
    store = tmp_path / "store.db"
    # log_level: the level serve leaves them at (INFO, from the root), whatever another test set
    with ServedApp(
        create_app(Settings(database_url=f"sqlite:///{store}")), log_level="info"
    ) as served:
        probes = ["/readyz", "/readyz?full=1", "/healthz", "/metrics", "/readyz"]
        answers = [httpx.get(served.url + path).status_code for path in probes]
        missing = httpx.get(f"{served.url}/no-such-page").status_code
        with sqlite3.connect(store) as connection:  # the schema is behind: not ready
            connection.execute("UPDATE alembic_version SET version_num = '0005'")
        connection.close()
        failed = httpx.get(f"{served.url}/readyz").status_code

    err = capsys.readouterr().err
    records = [json.loads(line) for line in err.splitlines()]
    assert (answers, missing, failed) == ([200] * len(probes), 404, 503)
    access = [r["event"].split(" - ", 1)[1] for r in records if r["logger"] == "uvicorn.access"]
    assert access == ['"GET /no-such-page HTTP/1.1" 404', '"GET /readyz HTTP/1.1" 503']
    assert not [r for r in records if r["event"].startswith(("Context impl", "Will assume"))]
    assert any(r["event"].startswith("Started server process") for r in records)
    assert not [r for r in records if "color_message" in r]
    assert "\\u001b" not in err
    assert "\x1b" not in err


def test_given_logging_configured_under_a_stream_since_closed_when_logging_then_it_goes_to_stderr_now(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a command run by a test's CliRunner leaves it: stderr swapped, then closed."""
    before, after = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", before)
    configure_logging("json")
    before.close()
    monkeypatch.setattr(sys, "stderr", after)

    logging.getLogger("icp_sync.test").warning("after the swap")

    assert "after the swap" in after.getvalue()
    assert "Logging error" not in after.getvalue()
