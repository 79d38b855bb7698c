"""Who the dashboard lets in: the admin token or a configured user; a signed session cookie
tied to the credential that made it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from pydantic import SecretStr

from app.errors import ConfigError
from app.settings import Settings
from app.ui.auth import ADMIN, UiAuth, Viewer
from app.ui.users import hash_password

TOKEN = "ui-7f3c9e0b41d2a6c85e19b07d4f2a3c61"
SECRET = "sess-0b41d2a6c85e19b07d4f2a3c617f3c9e"


def settings(tmp_path: Path, users: str | None = None, **fields: object) -> Settings:
    path = None
    if users is not None:
        path = tmp_path / "users"
        path.write_text(users, encoding="utf-8")
    return Settings(
        database_url="sqlite://",
        ui_users_file=path,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def alice_line() -> str:
    return f"alice:{hash_password('alice password 1')}\n"


def test_given_nothing_configured_when_built_then_the_dashboard_is_off(tmp_path: Path) -> None:
    auth = UiAuth(settings(tmp_path))
    assert not auth.enabled
    assert auth.check_login("", "") is None
    assert auth.from_cookie("anything") is None


def test_given_the_admin_token_when_logging_in_without_a_name_then_the_viewer_is_admin(
    tmp_path: Path,
) -> None:
    auth = UiAuth(settings(tmp_path, admin_token=SecretStr(TOKEN)))

    assert auth.check_login("", TOKEN) == Viewer(ADMIN, by_token=True)
    assert auth.check_login("admin", TOKEN) == Viewer(ADMIN, by_token=True)
    assert auth.check_login("", TOKEN[:-1]) is None
    assert auth.bearer(f"Bearer {TOKEN}") == Viewer(ADMIN, by_token=True)
    assert auth.bearer(f"Basic {TOKEN}") is None
    assert auth.bearer(None) is None


def test_given_users_when_logging_in_then_only_the_right_password_lets_each_in(
    tmp_path: Path, alice_line: str
) -> None:
    auth = UiAuth(settings(tmp_path, alice_line, admin_token=SecretStr(TOKEN)))

    assert auth.check_login("alice", "alice password 1") == Viewer("alice", by_token=False)
    assert auth.check_login("alice", "alice password 2") is None
    assert auth.check_login("alice", TOKEN) is None  # a user's name never takes the token
    assert auth.check_login("mallory", "alice password 1") is None


def test_given_a_cookie_when_read_back_then_it_is_the_viewer_and_tampering_is_refused(
    tmp_path: Path, alice_line: str
) -> None:
    auth = UiAuth(settings(tmp_path, alice_line, ui_session_secret=SecretStr(SECRET)))
    cookie = auth.cookie_for(Viewer("alice", by_token=False))

    assert auth.from_cookie(cookie) == Viewer("alice", by_token=False)
    assert auth.from_cookie(cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]) is None
    forged = URLSafeTimedSerializer("another key", salt="icp-sync-ui-session").dumps(
        {"u": "alice", "t": False, "k": "x"}
    )
    assert auth.from_cookie(forged) is None
    assert auth.from_cookie("") is None


def test_given_another_process_with_the_same_settings_when_reading_a_cookie_then_it_accepts_it(
    tmp_path: Path,
) -> None:
    """What makes a login hold across `--workers` and restarts: the key is derived, not drawn."""
    first = UiAuth(settings(tmp_path, admin_token=SecretStr(TOKEN)))
    second = UiAuth(settings(tmp_path, admin_token=SecretStr(TOKEN)))

    assert second.from_cookie(first.cookie_for(Viewer(ADMIN, by_token=True))) is not None


def test_given_a_changed_password_or_token_when_an_old_cookie_comes_back_then_it_is_refused(
    tmp_path: Path, alice_line: str
) -> None:
    before = UiAuth(settings(tmp_path, alice_line, ui_session_secret=SecretStr(SECRET)))
    alice = before.cookie_for(Viewer("alice", by_token=False))
    changed = f"alice:{hash_password('alice password 2')}\n"
    after = UiAuth(settings(tmp_path, changed, ui_session_secret=SecretStr(SECRET)))
    assert after.from_cookie(alice) is None

    old_token = UiAuth(
        settings(tmp_path, ui_session_secret=SecretStr(SECRET), admin_token=SecretStr(TOKEN))
    )
    admin = old_token.cookie_for(Viewer(ADMIN, by_token=True))
    new_token = UiAuth(
        settings(tmp_path, ui_session_secret=SecretStr(SECRET), admin_token=SecretStr(TOKEN[::-1]))
    )
    assert new_token.from_cookie(admin) is None


def test_given_an_expired_cookie_when_read_then_it_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = UiAuth(settings(tmp_path, admin_token=SecretStr(TOKEN), ui_session_hours=1))
    cookie = auth.cookie_for(Viewer(ADMIN, by_token=True))
    later = time.time() + 3600 + 5
    monkeypatch.setattr(time, "time", lambda: later)  # the clock itsdangerous reads
    assert auth.from_cookie(cookie) is None


def test_given_users_without_a_secret_or_token_when_built_then_the_setting_is_named(
    tmp_path: Path, alice_line: str
) -> None:
    with pytest.raises(ConfigError, match="ICP_SYNC_UI_SESSION_SECRET: required"):
        UiAuth(settings(tmp_path, alice_line))
