"""`icp-sync setup salesforce` and `icp-sync sync --source salesforce|all` as a RevOps engineer
runs them against both sandboxes: settings from the environment, JSON output, one CRM failing
without stopping the other, and no secret anywhere in what they print or log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import get_settings
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.permissions import UserPermissions
from crm_sandbox.sandbox import RunningSandbox

pytestmark = pytest.mark.slow  # whole syncs of both sandboxes through the CLI


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=9, companies=30, salesforce_port=0, salesforce_icp_fields=False)


def use(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, database_url: str) -> None:
    """Points the CLI's settings at `sandbox`."""
    for key, value in {
        **sandbox.service_env(),
        "ICP_SYNC_DATABASE_URL": database_url,
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, database_url: str, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    use(monkeypatch, sandbox, database_url)
    yield
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def test_given_setup_salesforce_twice_then_fields_are_created_and_granted_once(
    environment: None,
) -> None:
    first = invoke("setup", "salesforce")
    second = invoke("setup", "salesforce", "--json")

    assert first.exit_code == 0, first.stderr
    assert len(re.findall(r"│ field\s*│.*│ created\s*│", first.stdout)) == 14  # 7 + 7
    assert len(re.findall(r"│ field permission\s*│.*│ created\s*│", first.stdout)) == 14
    assert "ICP_Sync_Integration" in first.stdout
    assert "Field-Level Security" in first.stdout  # what is left: the sales profiles
    report = json.loads(second.stdout)
    assert {change["action"] for change in report["changes"]} == {"unchanged"}
    assert {change["kind"] for change in report["changes"]} == {"field"}
    assert "Field-Level Security" in report["next"]


def test_given_a_user_who_may_not_grant_when_set_up_then_exit_1_with_the_setup_steps(
    start_crm_sandbox: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
) -> None:
    no_grant = UserPermissions(manage_profiles_permissionsets=False)
    sandbox = start_crm_sandbox(seed=9, companies=5, salesforce_port=0,
                                salesforce_icp_fields=False,
                                salesforce_user_permissions=no_grant)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    use(monkeypatch, sandbox, database_url)

    result = invoke("setup", "salesforce")
    again = invoke("setup", "salesforce", "--json")

    assert result.exit_code == 1
    assert "may not grant itself access" in result.stderr
    assert "INSUFFICIENT_ACCESS" in result.stderr
    assert len(re.findall(r"│ created\s*│", result.stdout)) == 14  # the fields were made
    assert "Setup → Permission Sets" in result.stdout
    assert "ICP_Fit_Score__c" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert {change["action"] for change in report["changes"]} == {"unchanged"}
    assert any("Manage Assignments" in step for step in report["steps"])


def test_given_salesforce_configured_when_synced_from_the_cli_then_json_reports_each_stream(
    environment: None, sandbox: RunningSandbox
) -> None:
    assert invoke("setup", "salesforce").exit_code == 0
    done = invoke("sync", "--source", "salesforce", "--json")
    again = invoke("sync", "--source", "salesforce", "--json")

    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    org = sandbox.salesforce
    assert org is not None
    accounts = len(org.snapshot("Account"))
    leads = len([r for r in org.snapshot("Lead") if not r["IsConverted"]])
    assert report["source"] == "salesforce"
    assert report["pulled"] == {
        "accounts": accounts,
        "leads": leads,
        "deals": len(org.snapshot("Opportunity")),
    }
    assert (report["written"], report["failed"]) == (accounts + leads, 0)
    assert json.loads(again.stdout)["written"] == 0


def test_given_the_sandbox_jwt_settings_when_synced_from_the_cli_then_it_signs_in_and_writes(
    environment: None, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ICP_SYNC_SALESFORCE_CLIENT_SECRET")
    for key, value in sandbox.service_env(salesforce_auth="jwt").items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    org = sandbox.salesforce_sandbox
    assert org is not None
    issued = len(org.auth.tokens)

    setup = invoke("setup", "salesforce")
    done = invoke("sync", "--source", "salesforce", "--json")

    assert setup.exit_code == 0, setup.stderr
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] > 0
    assert report["failed"] == 0
    assert len(org.auth.tokens) > issued  # the JWT grant issued the session it used
    assert "PRIVATE KEY" not in done.stdout + done.stderr


def test_given_all_sources_when_one_crm_fails_then_the_other_still_syncs_and_json_has_both(
    environment: None, sandbox: RunningSandbox
) -> None:
    assert invoke("setup", "hubspot").exit_code == 0
    assert invoke("setup", "salesforce").exit_code == 0
    assert sandbox.salesforce_sandbox is not None
    sandbox.salesforce_sandbox.usage.daily_limit = 0

    result = invoke("sync", "--source", "all", "--json")

    assert result.exit_code == 1
    hubspot, salesforce = json.loads(result.stdout)
    assert (hubspot["source"], "error" in hubspot) == ("hubspot", False)
    assert hubspot["written"] == len(sandbox.hubspot.company_ids())
    assert (salesforce["source"], salesforce["exit_code"]) == ("salesforce", 1)
    assert "limit" in salesforce["error"].lower()
    assert set(salesforce) == {"source", "error", "exit_code"}
    assert f"error: salesforce: {salesforce['error']}" in result.stderr
    secret = sandbox.salesforce_client_secret
    assert secret
    assert secret not in result.stdout + result.stderr


def test_given_an_unknown_source_then_the_error_lists_the_choices(environment: None) -> None:
    result = invoke("sync", "--source", "pipedrive")

    assert result.exit_code == 1
    assert "hubspot, salesforce, all" in result.stderr


def test_given_incomplete_salesforce_credentials_then_the_error_names_the_settings(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ICP_SYNC_SALESFORCE_CLIENT_SECRET")
    get_settings.cache_clear()

    result = invoke("sync", "--source", "salesforce")

    assert result.exit_code == 1
    assert "ICP_SYNC_SALESFORCE_CLIENT_SECRET" in result.stderr
    assert "ICP_SYNC_SALESFORCE_PRIVATE_KEY" in result.stderr


def test_given_a_wrong_client_secret_then_a_clear_error_and_no_secret(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_SYNC_SALESFORCE_CLIENT_SECRET", "wrong-and-very-secret")
    get_settings.cache_clear()

    result = invoke("sync", "--source", "salesforce")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "invalid_client" in result.stderr
    assert "wrong-and-very-secret" not in result.stderr + result.stdout


def test_given_full_runs_when_every_log_record_is_captured_then_no_salesforce_secret_appears(
    environment: None, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert sandbox.salesforce_sandbox is not None
    sandbox.salesforce_sandbox.faults.fail_next(2, status=503)
    outputs = [
        invoke("setup", "salesforce"),
        invoke("sync", "--source", "salesforce"),
        invoke("sync", "--source", "all", "--json", "--full"),
    ]

    assert all(result.exit_code == 0 for result in outputs), [r.stderr for r in outputs]
    seen = caplog.text + "".join(r.stdout + r.stderr for r in outputs)
    assert str(sandbox.salesforce_client_secret) not in seen
    issued = list(sandbox.salesforce_sandbox.auth.tokens)
    assert issued
    assert all(token not in seen and token.split("!")[-1] not in seen for token in issued)
