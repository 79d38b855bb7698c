"""Settings come from ICP_SYNC_* variables and .env, and never reveal secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.errors import ConfigError
from app.settings import DEFAULT_DATABASE_URL, Settings, display_database_url, get_settings
from app.settings_sources import anything_configured

SECRET = "pat-na1-0123-very-secret-token"
ADMIN_TOKEN = "adm-4f1c9e07b2d85a3e6c0f9b1d7a24e8c5"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(__import__("os").environ):
        if name.startswith("ICP_SYNC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_given_no_configuration_when_settings_are_read_then_the_store_is_sqlite_in_the_working_directory() -> (
    None
):
    settings = Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///./icp-sync.db"
    assert settings.rubric is None
    assert settings.hubspot_token is None


def test_given_prefixed_variables_when_settings_are_read_then_they_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", "postgresql+psycopg://icp@db/icp")
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", SECRET)
    monkeypatch.setenv("ICP_SYNC_RUBRIC", "rubrics/q4.yaml")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://icp@db/icp"
    assert settings.hubspot_token is not None
    assert settings.hubspot_token.get_secret_value() == SECRET
    assert str(settings.rubric) == "rubrics/q4.yaml"


def test_given_a_dotenv_file_when_settings_are_read_then_it_applies_below_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "ICP_SYNC_SALESFORCE_CLIENT_SECRET=from-dotenv\n"
        f"ICP_SYNC_ADMIN_TOKEN=dotenv-{ADMIN_TOKEN}\n"
    )
    monkeypatch.setenv("ICP_SYNC_ADMIN_TOKEN", f"env-{ADMIN_TOKEN}")
    settings = Settings()
    assert settings.salesforce_client_secret is not None
    assert settings.salesforce_client_secret.get_secret_value() == "from-dotenv"
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == f"env-{ADMIN_TOKEN}"


def test_given_secrets_when_settings_are_printed_or_dumped_then_no_secret_appears(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = [
        "HUBSPOT_TOKEN", "HUBSPOT_APP_SECRET", "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_PRIVATE_KEY", "SALESFORCE_WEBHOOK_SECRET", "ADMIN_TOKEN",
    ]  # fmt: skip
    for index, name in enumerate(names):
        monkeypatch.setenv(f"ICP_SYNC_{name}", f"{SECRET}-{index}-{ADMIN_TOKEN}")
    settings = Settings()
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET not in text


def test_given_a_database_url_with_a_password_when_displayed_then_the_password_is_masked() -> None:
    shown = display_database_url("postgresql+psycopg://icp:hunter2@db:5432/icp")
    assert "hunter2" not in shown
    assert shown == "postgresql+psycopg://icp:***@db:5432/icp"
    assert display_database_url("not a url") == "<unparseable database URL>"


def test_given_an_invalid_setting_when_read_then_the_error_names_the_variable_not_the_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_BASE_URL", "ftp//secret-looking-value")
    monkeypatch.setenv("ICP_SYNC_HUBSPOT_TOKEN", SECRET)
    with pytest.raises(ConfigError) as raised:
        get_settings()
    message = str(raised.value)
    assert "ICP_SYNC_HUBSPOT_BASE_URL: expected an https:// URL" in message
    assert "secret-looking-value" not in message
    assert SECRET not in message


@pytest.mark.parametrize("name", ["HUBSPOT_BASE_URL", "SALESFORCE_INSTANCE_URL"])
def test_given_a_plain_http_crm_url_on_another_host_when_read_then_refused_naming_setting_and_host(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"ICP_SYNC_{name}", "http://icp:hunter2@crm.example.com:8080/api?k=v")
    with pytest.raises(ConfigError) as raised:
        get_settings()
    message = str(raised.value)
    assert (
        f"ICP_SYNC_{name}: expected an https:// URL, got http://crm.example.com:8080: the token "
        "and CRM data would cross the network unencrypted"
    ) in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123",  # the HubSpot sandbox
        "http://localhost:8123/",
        "http://[::1]:8123",
        "http://127.0.0.2",
        "https://acme.my.salesforce.com",
        "https://127.0.0.1:8443",  # the Salesforce sandbox
    ],
)
def test_given_an_https_or_loopback_http_crm_url_when_read_then_accepted(url: str) -> None:
    settings = Settings(hubspot_base_url=url, salesforce_instance_url=url)
    assert settings.hubspot_base_url == settings.salesforce_instance_url == url.rstrip("/")


@pytest.mark.parametrize(
    "token",
    ["Q", "adm-7f3c9e0b41d2a6", "ab" * 16, "changeme" * 4],
    ids=["one character", "18 characters", "32 of 2 characters", "a word repeated"],
)
def test_given_a_weak_admin_token_when_read_then_refused_naming_the_setting_not_the_value(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("ICP_SYNC_ADMIN_TOKEN", token)
    with pytest.raises(ConfigError) as raised:
        get_settings()
    message = str(raised.value)
    assert message.startswith(
        "invalid settings: ICP_SYNC_ADMIN_TOKEN: too easy to guess: use at least 32 random "
        "characters (for instance `openssl rand -hex 32`), or leave it unset"
    )
    assert token not in message


@pytest.mark.parametrize("token", [ADMIN_TOKEN, ""], ids=["32+ random", "empty (disabled)"])
def test_given_a_strong_or_empty_admin_token_when_read_then_accepted(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("ICP_SYNC_ADMIN_TOKEN", token)
    admin_token = get_settings().admin_token
    assert admin_token is not None
    assert admin_token.get_secret_value() == token


@pytest.mark.parametrize("days", ["0", "0.5", "0.99"])
def test_given_a_retention_shorter_than_the_crms_redelivery_window_then_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, days: str
) -> None:
    monkeypatch.setenv("ICP_SYNC_RETENTION_DAYS", days)
    with pytest.raises(ConfigError) as raised:
        get_settings()
    assert f"ICP_SYNC_RETENTION_DAYS: {float(days):g} days is shorter than the CRMs' " in str(
        raised.value
    )


def test_given_no_retention_setting_then_a_week_and_a_day_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().retention_days == 7
    monkeypatch.setenv("ICP_SYNC_RETENTION_DAYS", "1")
    assert Settings().retention_days == 1


@pytest.mark.parametrize("minutes", ["0", "1441"])
def test_given_a_retention_interval_outside_a_minute_to_a_day_then_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, minutes: str
) -> None:
    monkeypatch.setenv("ICP_SYNC_RETENTION_INTERVAL_MINUTES", minutes)
    with pytest.raises(ConfigError) as raised:
        get_settings()
    assert "ICP_SYNC_RETENTION_INTERVAL_MINUTES" in str(raised.value)


def test_given_nothing_configured_then_anything_configured_says_so_and_the_settings_are_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # What lets `score` skip reading the settings (app.cli.common.rubric_path).
    assert not anything_configured()
    assert Settings() == Settings.model_construct()

    monkeypatch.setenv("icp_sync_log_format", "console")
    assert anything_configured()
    monkeypatch.delenv("icp_sync_log_format")
    (tmp_path / ".env").write_text("")
    assert anything_configured()
