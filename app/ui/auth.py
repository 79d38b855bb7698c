"""Who may see the dashboard. A viewer is let in by a session cookie (set by the login form)
or by `Authorization: Bearer <admin token>` (scripts); nothing else reaches a page, a CSV or
a chart. The dashboard is off (404) when neither an admin token nor users are configured.

The cookie is signed (itsdangerous) with a key every process and replica derives alike, so a
login holds across `--workers` and restarts. It carries the user's name and a fingerprint of
the credential that let them in: changing the admin token, or a user's password, or removing
the user, ends their sessions without any server-side state.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.errors import ConfigError
from app.settings import Settings
from app.ui.throttle import LoginThrottle
from app.ui.users import Users, load_users

COOKIE = "icp_sync_ui"
ADMIN = "admin"
"""The name shown for a login with the admin token (no user name)."""
_SALT = "icp-sync-ui-session"


@dataclass(frozen=True)
class Viewer:
    name: str
    by_token: bool


class UiAuth:
    def __init__(self, settings: Settings) -> None:
        token = settings.admin_token.get_secret_value() if settings.admin_token else ""
        self._token = token
        self.users: Users = load_users(settings.ui_users_file)
        self.enabled = bool(token or self.users.hashes)
        secret = settings.ui_session_secret.get_secret_value() if settings.ui_session_secret else ""
        if not secret and token:
            secret = hmac.new(token.encode(), _SALT.encode(), hashlib.sha256).hexdigest()
        if self.users.hashes and not secret:
            raise ConfigError(
                "ICP_SYNC_UI_SESSION_SECRET: required when ICP_SYNC_UI_USERS_FILE is set and "
                "ICP_SYNC_ADMIN_TOKEN is not (it signs the dashboard's session cookies); "
                "for instance `openssl rand -hex 32`"
            )
        self.max_age = int(settings.ui_session_hours * 3600)
        self.throttle = LoginThrottle()
        self._serializer = URLSafeTimedSerializer(secret or "disabled", salt=_SALT)

    def check_login(self, name: str, password: str) -> Viewer | None:
        """The viewer `name` and `password` log in as: a configured user, or with no name (or
        `admin` when no user has that name) the admin token."""
        name = name.strip()
        if name and name in self.users.hashes:
            return Viewer(name, by_token=False) if self.users.verify(name, password) else None
        if name in ("", ADMIN) and self._is_token(password):
            return Viewer(ADMIN, by_token=True)
        if name:
            self.users.verify(name, password)  # the same delay as for a known name
        return None

    def bearer(self, authorization: str | None) -> Viewer | None:
        scheme, _, credential = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and self._is_token(credential.strip()):
            return Viewer(ADMIN, by_token=True)
        return None

    def cookie_for(self, viewer: Viewer) -> str:
        return self._serializer.dumps(
            {"u": viewer.name, "t": viewer.by_token, "k": self._key(viewer)}
        )

    def from_cookie(self, value: str | None) -> Viewer | None:
        if not value or not self.enabled:
            return None
        try:
            data: Any = self._serializer.loads(value, max_age=self.max_age)
        except BadSignature:  # a forged, altered or expired cookie
            return None
        if not isinstance(data, dict):
            return None
        viewer = Viewer(str(data.get("u")), by_token=bool(data.get("t")))
        key = self._key(viewer)
        if key is None or not hmac.compare_digest(str(data.get("k")), key):
            return None
        return viewer

    def _is_token(self, candidate: str) -> bool:
        return bool(self._token) and hmac.compare_digest(candidate.encode(), self._token.encode())

    def _key(self, viewer: Viewer) -> str | None:
        """The fingerprint of the credential behind `viewer`, None when it no longer exists."""
        credential = self._token if viewer.by_token else self.users.hash_of(viewer.name)
        if not credential:
            return None
        return hashlib.sha256(f"{viewer.name}\0{credential}".encode()).hexdigest()[:32]
