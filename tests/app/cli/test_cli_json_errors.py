"""What a script reading `--json` gets when a command fails before or instead of its work: a
JSON error object on stdout (the human message still on stderr), the exit code in it, and no
secret; and what `setup` says about a CRM it does not know. No CRM is called."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.settings import get_settings


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("ICP_SYNC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env from the checkout; a store created here is seen
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def test_given_all_sources_and_a_crm_missing_a_setting_when_synced_with_json_then_it_is_listed_with_its_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ICP_SYNC_SALESFORCE_INSTANCE_URL", "https://acme.my.salesforce.com")

    result = invoke("sync", "--source", "all", "--json")

    assert result.exit_code == 1
    [salesforce] = json.loads(result.stdout)
    assert salesforce["source"] == "salesforce"
    assert salesforce["error"].startswith("ICP_SYNC_SALESFORCE_CLIENT_ID is not set")
    assert salesforce["exit_code"] == 1
    assert result.stderr.startswith(f"error: salesforce: {salesforce['error']}")
    assert list(tmp_path.iterdir()) == []  # nothing to sync: no store created


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "human"])
def test_given_an_unknown_source_when_synced_then_json_asked_for_gets_a_json_error(
    as_json: bool,
) -> None:
    result = invoke("sync", "--source", "pipedrive", *(["--json"] if as_json else []))

    expected = "--source: unknown CRM 'pipedrive'; expected one of hubspot, salesforce, all"
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {expected}"
    if as_json:
        assert json.loads(result.stdout) == {"error": expected, "exit_code": 1}
    else:
        assert result.stdout == ""


def test_given_an_unknown_option_with_json_then_a_json_error_with_the_usage_exit_code() -> None:
    result = invoke("sync", "--sauce", "all", "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": "No such option: --sauce (Possible options: --source)",
        "exit_code": 2,
    }
    assert "Usage: " in result.stderr  # the human still gets click's usage


def test_given_json_after_a_double_dash_then_it_is_an_argument_and_errors_stay_text() -> None:
    result = invoke("setup", "--", "--json")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "error: unknown CRM '--json'; expected one of hubspot, salesforce"
    )


def test_given_an_invalid_secret_setting_when_a_json_command_runs_then_the_error_names_it_not_its_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ICP_SYNC_ADMIN_TOKEN", "short-but-secret-value")

    result = invoke("sync", "--json")

    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["exit_code"] == 1
    assert error["error"].startswith("invalid settings: ICP_SYNC_ADMIN_TOKEN: ")
    assert "short-but-secret-value" not in result.stdout + result.stderr


def test_given_an_unknown_crm_when_set_up_then_the_error_lists_the_crms_and_no_option() -> None:
    result = invoke("setup", "bogus")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: unknown CRM 'bogus'; expected one of hubspot, salesforce"
    )
