"""The users file: `name:argon2hash` lines; a line that cannot be used is refused, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ConfigError
from app.ui.users import hash_password, load_users, parse_users

ALICE_HASH = hash_password("alice's long password")


def test_given_a_users_file_when_read_then_each_user_verifies_with_their_password_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "users"
    path.write_text(f"# the RevOps team\n\nalice:{ALICE_HASH}\n", encoding="utf-8")

    users = load_users(path)

    assert users.verify("alice", "alice's long password")
    assert not users.verify("alice", "alice's long passworD")
    assert not users.verify("bob", "alice's long password")
    assert "alice's long password" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("alice:secret", "line 2: user 'alice' has no argon2 hash after the colon"),
        (f"bad name:{ALICE_HASH}", "line 2: user name: 'bad name' must be"),
        (f"alice:{ALICE_HASH}", "line 2: user 'alice' is listed twice"),
    ],
)
def test_given_a_bad_line_when_parsed_then_the_error_names_the_line_and_user(
    line: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        parse_users(f"alice:{ALICE_HASH}\n{line}\n", "users.txt")
    assert "secret" not in str(raised.value) or "has no argon2 hash" in str(raised.value)


def test_given_a_missing_users_file_when_loaded_then_the_setting_and_path_are_named(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"ICP_SYNC_UI_USERS_FILE: cannot read .*nowhere"):
        load_users(tmp_path / "nowhere")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_given_any_text_when_parsed_then_users_or_a_config_error_never_anything_else(
    text: str,
) -> None:
    message = None
    try:
        users = parse_users(text, "users.txt")
    except ConfigError as error:
        message = str(error)
    if message is not None:
        assert "users.txt line" in message
    else:
        assert all(hashed.startswith("$argon2") for hashed in users.hashes.values())
