"""The dashboard's users file: one `name:hash` line each (blank lines and `#` comments
ignored), the hash an argon2id hash made by `icp-sync ui-password`. Passwords themselves are
never stored; a file that cannot be used refuses the service's start, naming the line."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import ConfigError

_HASHER = PasswordHasher()
_NAME = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


@dataclass(frozen=True)
class Users:
    hashes: dict[str, str]

    def verify(self, name: str, password: str) -> bool:
        """Whether `password` is `name`'s; an unknown name costs the same time as a known one,
        so the answer's delay does not tell which names exist."""
        stored = self.hashes.get(name) or _unknown_user_hash()
        try:
            return _HASHER.verify(stored, password) and name in self.hashes
        except (VerificationError, InvalidHashError):
            return False

    def hash_of(self, name: str) -> str | None:
        return self.hashes.get(name)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_name(name: str, where: str = "user name") -> None:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: {name[:64]!r} must be 1-64 letters, digits or . _ @ + -")


def parse_users(text: str, origin: str) -> Users:
    hashes: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, hashed = line.partition(":")
        where = f"{origin} line {number}"
        check_name(name, f"{where}: user name")
        if not hashed.startswith("$argon2"):
            raise ConfigError(
                f"{where}: user {name!r} has no argon2 hash after the colon; make one with "
                "`icp-sync ui-password`"
            )
        if name in hashes:
            raise ConfigError(f"{where}: user {name!r} is listed twice")
        hashes[name] = hashed
    return Users(hashes)


def load_users(path: Path | None) -> Users:
    if path is None:
        return Users({})
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"ICP_SYNC_UI_USERS_FILE: cannot read {str(path)!r}: {error.strerror}"
        ) from None
    return parse_users(text, f"ICP_SYNC_UI_USERS_FILE {str(path)!r}")


@cache
def _unknown_user_hash() -> str:
    return _HASHER.hash(secrets.token_hex(16))
