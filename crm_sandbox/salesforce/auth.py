"""OAuth for the sandbox org: `POST /services/oauth2/token` and the access tokens it issues.

- `client_credentials`: the client id and secret in the form or as HTTP Basic;
- JWT bearer (`assertion`): an RS256-shaped JWT whose `iss` is the client id, `aud` one of
  login/test.salesforce.com or the instance URL, `sub` set, `exp` in the future and at most
  5 min ahead. **The JWT signature is not verified**: the sandbox checks structure and claims.

Tokens live `token_ttl_s`; `expire_all()` revokes every one (the next data-API call gets 401
INVALID_SESSION_ID and the client must authenticate again).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_sandbox.salesforce.ids import PREFIXES, make_id
from crm_sandbox.salesforce.limits import ApiUsage
from crm_sandbox.salesforce.state import SalesforceState

JWT_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_JWT_AHEAD_S = 300
_ORG_ID = make_id(PREFIXES["Organization"], 1)


@dataclass
class SalesforceAuth:
    """Issued tokens and their expiry (monotonic seconds). `expire_all()` forces re-auth."""

    client_id: str
    client_secret: str
    token_ttl_s: float = 7200.0
    instance_url: str = ""
    tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue(self) -> str:
        token = f"{_ORG_ID[:15]}!AQ0{secrets.token_urlsafe(32)}"
        with self._lock:
            self.tokens[token] = time.monotonic() + self.token_ttl_s
        return token

    def valid(self, token: str) -> bool:
        with self._lock:
            expires = self.tokens.get(token)
            return expires is not None and time.monotonic() < expires

    def expire_all(self) -> None:
        with self._lock:
            self.tokens.clear()


def token_endpoint(
    auth: SalesforceAuth, state: SalesforceState, usage: ApiUsage
) -> Callable[[Request], Awaitable[Response]]:
    """The `POST /services/oauth2/token` endpoint."""

    def answer(body: dict[str, Any], status: int = 200) -> Response:
        return JSONResponse(body, status_code=status, headers={"Sforce-Limit-Info": usage.header()})

    async def token(request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            if not _client_authenticated(form, request.headers.get("authorization", ""), auth):
                return answer(_oauth_error("invalid_client", "invalid client credentials"), 400)
        elif grant == JWT_BEARER:
            problem = check_jwt(form.get("assertion", ""), auth)
            if problem:
                return answer(_oauth_error("invalid_grant", problem), 400)
        else:
            return answer(_oauth_error("unsupported_grant_type", "grant type not supported"), 400)
        user_id = state.integration_user_id
        return answer(
            {
                "access_token": auth.issue(),
                "instance_url": auth.instance_url,
                "id": f"https://login.salesforce.com/id/{state.org_id}/{user_id}",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
                "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
                "scope": "api",
            }
        )

    return token


def _client_authenticated(form: dict[str, str], authorization: str, auth: SalesforceAuth) -> bool:
    client_id: str | None = form.get("client_id")
    client_secret = form.get("client_secret")
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:], validate=True).decode()
            client_id, _, client_secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = None
    return client_id == auth.client_id and client_secret == auth.client_secret


def _oauth_error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def check_jwt(assertion: str, auth: SalesforceAuth) -> str | None:
    """What is wrong with a JWT bearer assertion, or None. Signature not verified."""
    parts = assertion.split(".")
    if len(parts) != 3 or not all(parts):
        return "invalid assertion"
    try:
        header, claims = _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return "invalid assertion"
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        return "invalid assertion: alg must be RS256"
    if not isinstance(claims, dict):
        return "invalid assertion"
    if claims.get("iss") != auth.client_id:
        return "invalid client identifier"
    audiences = (*JWT_AUDIENCES, auth.instance_url)
    if claims.get("aud") not in audiences:
        return "audience is invalid"
    if not claims.get("sub"):
        return "user hasn't approved this consumer"
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return "expired authorization code"
    if exp > now + MAX_JWT_AHEAD_S:
        return "invalid assertion: exp too far in the future"
    return None


def _b64json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))
