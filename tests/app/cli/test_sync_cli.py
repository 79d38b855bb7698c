"""`icp-sync setup hubspot` and `icp-sync sync` as a RevOps engineer runs them: settings from
the environment, JSON output, and no secret anywhere in what they print or log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import get_settings
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox

pytestmark = pytest.mark.slow  # whole syncs of a sandbox through the CLI


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=5, companies=30)


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, database_url: str, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for key, value in sandbox.service_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def test_given_setup_run_twice_when_it_runs_again_then_nothing_changes(
    environment: None, sandbox: RunningSandbox
) -> None:
    first = invoke("setup", "hubspot", "--json")
    writes_after_first = sandbox.hubspot.stats.snapshot()
    second = invoke("setup", "hubspot", "--json")

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    created = [c for c in json.loads(first.stdout)["changes"] if c["action"] == "created"]
    assert {c["name"] for c in created} >= {"icp_sync", "icp_fit_score", "icp_tier", "icp_flags"}
    assert {c["action"] for c in json.loads(second.stdout)["changes"]} == {"unchanged"}
    calls_after = sandbox.hubspot.stats.snapshot()
    assert calls_after != writes_after_first  # the second run did read the definitions


def test_given_a_dry_run_then_a_sync_when_run_from_the_cli_then_json_reports_plan_and_writes(
    environment: None, sandbox: RunningSandbox
) -> None:
    assert invoke("setup", "hubspot").exit_code == 0
    assert invoke("db", "upgrade").exit_code == 0  # a dry run never migrates
    planned = invoke("sync", "--dry-run", "--json")
    done = invoke("sync", "--json")
    again = invoke("sync", "--json")

    assert planned.exit_code == 0, planned.stderr
    plan = json.loads(planned.stdout)
    live = len(sandbox.hubspot.company_ids())
    assert (plan["dry_run"], plan["planned_writes"], plan["written"]) == (True, live, 0)
    report = json.loads(done.stdout)
    assert (report["written"], report["failed"]) == (live, 0)
    assert report["pulled"]["accounts"] == 30
    assert sum(change["accounts"] for change in report["tier_changes"]) == 30
    assert report["api_calls"] > 0
    assert json.loads(again.stdout)["written"] == 0


def test_given_a_missing_token_when_syncing_then_the_error_names_the_setting(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ICP_SYNC_HUBSPOT_TOKEN")
    get_settings.cache_clear()
    result = invoke("sync")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: hubspot: ICP_SYNC_HUBSPOT_TOKEN is not set")


def test_given_a_wrong_token_when_syncing_then_a_clear_error_and_no_secret(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", "pat-na1-wrong-and-secret")
    get_settings.cache_clear()
    result = invoke("sync")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "401" in result.stderr or "authentication" in result.stderr.lower()
    assert "pat-na1-wrong-and-secret" not in result.stderr + result.stdout


def test_given_a_full_run_when_every_log_record_is_captured_then_the_token_never_appears(
    environment: None, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.hubspot_faults.fail_next(2, status=429, retry_after=0)
    outputs = [invoke("setup", "hubspot"), invoke("sync"), invoke("sync", "--json", "--full")]

    assert all(result.exit_code == 0 for result in outputs), [r.stderr for r in outputs]
    seen = caplog.text + "".join(r.stdout + r.stderr for r in outputs)
    assert sandbox.hubspot_token not in seen
    assert sandbox.hubspot_token.split("-")[-1] not in seen


def test_given_a_token_without_the_schema_write_scope_when_setting_up_then_one_line_error(
    environment: None, sandbox: RunningSandbox
) -> None:
    app = sandbox.hubspot_private_app
    app.scopes = app.scopes - {"crm.schemas.companies.write"}

    result = invoke("setup", "hubspot")

    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "MISSING_SCOPES" in lines[0]
    assert "crm.schemas.companies.write" in lines[0]
    assert "private app" in lines[0]
    assert sandbox.hubspot_token not in result.stderr + result.stdout
