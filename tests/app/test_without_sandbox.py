"""The service where the sandbox package is left out, as in the production image: `icp-sync`
runs in a process whose import system refuses `crm_sandbox`, and still starts, serves health,
readiness and a signed webhook; the two commands that need the sandbox say so in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import stop_process
from tests.support.service import free_port, hubspot_event, post_hubspot_delivery, wait_ready

pytestmark = pytest.mark.slow  # icp-sync as a process, with the sandbox package hidden

SECRET = "hubspot-app-secret-for-the-image-test"
# The entry point behind a meta-path finder that makes a package (`crm_sandbox`, or the sandbox
# extra's `trustme`) not importable, as if it were not installed (the finder is asked before
# the one that would find it in the checkout).
HIDING = """
import sys

class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == {hidden!r} or name.startswith({hidden!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Hide())
from app.cli.main import run
run()
"""
WITHOUT_SANDBOX = HIDING.format(hidden="crm_sandbox")
WITHOUT_SANDBOX_EXTRA = HIDING.format(hidden="trustme")


def clean_env(tmp_path: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("ICP_SYNC_")}
    return {
        **inherited,
        "ICP_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "ICP_SYNC_HUBSPOT_APP_SECRET": SECRET,
        "ICP_SYNC_LOG_FORMAT": "json",
    }


def run_without_sandbox(
    tmp_path: Path, *arguments: str, script: str = WITHOUT_SANDBOX
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *arguments],
        env=clean_env(tmp_path) | {"COLUMNS": "200"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_given_no_sandbox_package_when_serving_then_health_readiness_and_a_webhook_are_served(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-c", WITHOUT_SANDBOX, "serve", "--port", str(port), "--no-schedules"],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = wait_ready(base, process)
        health = httpx.get(f"{base}/healthz", timeout=5)
        delivered = post_hubspot_delivery(base, SECRET, [hubspot_event(5, 42)])
    finally:
        _, err = stop_process(process)

    assert ready, err
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["received"] == 1
    assert process.returncode in (0, -signal.SIGTERM), err  # uvicorn re-raises the signal
    assert "Traceback" not in err


def test_given_no_sandbox_package_when_asking_for_help_then_every_command_is_listed(
    tmp_path: Path,
) -> None:
    done = run_without_sandbox(tmp_path, "--help")

    assert done.returncode == 0, done.stderr
    for command in ("serve", "sync", "sandbox", "demo"):
        assert command in done.stdout


def test_given_no_sandbox_package_when_running_sandbox_or_demo_then_one_line_says_it_is_missing(
    tmp_path: Path,
) -> None:
    for command in ("sandbox", "demo"):
        done = run_without_sandbox(tmp_path, command)

        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert f"error: {command}: the CRM sandbox is not installed here" in done.stderr
        assert not (tmp_path / "icp-sync-demo.db").exists()  # nothing done before the check


def test_given_the_sandbox_without_its_extra_when_running_sandbox_then_one_line_says_what_to_install(
    tmp_path: Path,
) -> None:
    done = run_without_sandbox(tmp_path, "sandbox", script=WITHOUT_SANDBOX_EXTRA)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "pip install 'icp-sync[sandbox]'" in done.stderr
