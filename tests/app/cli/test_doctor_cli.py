"""`icp-sync doctor` as a RevOps engineer runs it: settings from the environment, a table or
`--json`, exit code 1 exactly when a check fails, and never a secret or a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import get_settings
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox

CHECK_KEYS = {"name", "source", "status", "detail", "fix"}


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=6, companies=3, salesforce_port=0, salesforce_icp_fields=False)


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, tmp_path: Path
) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        **sandbox.service_env(),
        "ICP_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'icp-sync.db'}",
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def statuses(result: Result) -> dict[tuple[str, str], str]:
    report = json.loads(result.stdout)
    return {(c["source"], c["name"]): c["status"] for c in report["checks"]}


def test_given_both_crms_set_up_then_doctor_exits_0_and_its_json_lists_every_check(
    environment: None,
) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("setup", "hubspot").exit_code == 0
    assert invoke("setup", "salesforce").exit_code == 0

    result = invoke("doctor", "--json")

    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert set(report) == {"ok", "counts", "checks"}
    assert report["ok"] is True
    assert report["counts"]["fail"] == 0
    assert sum(report["counts"].values()) == len(report["checks"])
    assert all(set(check) == CHECK_KEYS for check in report["checks"])
    assert {check["source"] for check in report["checks"]} == {"local", "hubspot", "salesforce"}
    not_ok = {
        (c["source"], c["name"]): c["status"] for c in report["checks"] if c["status"] != "ok"
    }
    assert not_ok == {  # what only a person can check
        ("hubspot", "webhook_subscriptions"): "skip",
        ("salesforce", "outbound_messages"): "skip",
    }


def test_given_a_fresh_org_then_doctor_exits_1_and_its_table_says_to_run_setup(
    environment: None,
) -> None:
    result = invoke("doctor", "--source", "salesforce")

    assert result.exit_code == 1
    assert "icp_fields" in result.stdout
    assert "run `icp-sync setup salesforce`" in result.stdout
    assert "hubspot" not in result.stdout
    assert "fail" in result.stdout.splitlines()[-1]


def test_given_source_hubspot_then_only_hubspot_and_the_local_checks_run(
    environment: None,
) -> None:
    result = invoke("doctor", "--source", "hubspot", "--json")

    assert result.exit_code == 1  # the properties do not exist yet
    found = statuses(result)
    assert {source for source, _ in found} == {"local", "hubspot"}
    assert found[("hubspot", "icp_properties")] == "fail"
    assert found[("hubspot", "credentials")] == "ok"


def test_given_wrong_secrets_then_doctor_reports_both_crms_without_echoing_either(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, secret = "pat-na1-11111111-2222-3333-4444-555555555555", "wrong-secret-8811"
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", token)
    monkeypatch.setenv("ICP_SYNC_SALESFORCE_CLIENT_SECRET", secret)
    get_settings.cache_clear()

    table = invoke("doctor")
    document = invoke("doctor", "--json")

    assert table.exit_code == document.exit_code == 1
    found = statuses(document)
    assert found[("hubspot", "credentials")] == found[("salesforce", "credentials")] == "fail"
    for output in (table.stdout, table.stderr, document.stdout):
        assert token not in output
        assert secret not in output
        assert "Traceback" not in output


def test_given_invalid_settings_then_doctor_reports_the_setting_and_exits_1(
    environment: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICP_SYNC_SYNC_INTERVAL_MINUTES", "-5")
    get_settings.cache_clear()

    result = invoke("doctor", "--json")

    assert result.exit_code == 1
    (check,) = json.loads(result.stdout)["checks"]
    assert (check["name"], check["status"]) == ("settings", "fail")
    assert "ICP_SYNC_SYNC_INTERVAL_MINUTES" in check["detail"]


def test_given_an_unknown_source_then_doctor_exits_1_naming_it(environment: None) -> None:
    result = invoke("doctor", "--source", "pipedrive")

    assert result.exit_code == 1
    assert "--source: unknown CRM 'pipedrive'" in result.stderr
