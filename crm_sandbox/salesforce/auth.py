"""OAuth for the sandbox org: `POST /services/oauth2/token` and the access tokens it issues.

- `client_credentials`: the client id and secret in the form or as HTTP Basic;
- JWT bearer (`assertion`): an RS256 JWT signed with the key whose certificate the connected
  app holds (`connected_app`), `iss` the consumer key, `sub` the username of an active user
  pre-approved for the app, `aud` login/test.salesforce.com or the My Domain (instance) URL,
  `exp` in the future and at most 5 min ahead. Every refusal is a 400 with Salesforce's body,
  `{"error": …, "error_description": …}`, as real orgs answer them:
  a bad signature or an unreadable assertion, `invalid_grant` "invalid assertion"
  (github.com/frankkessler/salesforce-laravel-oauth2-rest/issues/68); an unknown consumer key,
  `invalid_client_id` "client identifier invalid" (github.com/omniphx/forrest/issues/184);
  another audience, `invalid_grant` "audience is invalid"
  (salesforce.stackexchange.com/questions/184363); an expired assertion, `invalid_grant`
  "expired authorization code" (github.com/simple-salesforce/simple-salesforce/issues/491,
  salesforce.stackexchange.com/questions/282513); a user who is unknown, inactive or not
  approved for the app, `invalid_grant` "user hasn't approved this consumer"
  (salesforce.stackexchange.com/questions/207685, raw HTTP 400 answer quoted there).

Tokens live `token_ttl_s`; `expire_all()` revokes every one (the next data-API call gets 401
INVALID_SESSION_ID and the client must authenticate again).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_sandbox.salesforce.connected_app import ConnectedApp
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
    #: The connected app's certificate and approved users; None: JWT bearer is refused.
    connected_app: ConnectedApp | None = None
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
            user_id = state.integration_user_id
        elif grant == JWT_BEARER:
            verdict = check_jwt(form.get("assertion", ""), auth)
            if isinstance(verdict, JwtRefusal):
                return answer(_oauth_error(verdict.error, verdict.description), 400)
            user_id = verdict
        else:
            return answer(_oauth_error("unsupported_grant_type", "grant type not supported"), 400)
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


@dataclass(frozen=True, slots=True)
class JwtRefusal:
    """Why an assertion is refused: the OAuth `error` and Salesforce's `error_description`."""

    error: str
    description: str


INVALID_ASSERTION = JwtRefusal("invalid_grant", "invalid assertion")
NOT_APPROVED = JwtRefusal("invalid_grant", "user hasn't approved this consumer")


def check_jwt(assertion: str, auth: SalesforceAuth) -> str | JwtRefusal:
    """The id of the user a JWT bearer assertion signs in, or why it is refused. The consumer
    key (`iss`) is looked at first, unverified, as Salesforce must: it names the connected app
    whose certificate verifies the signature."""
    app = auth.connected_app
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return INVALID_ASSERTION
    if not isinstance(unverified, dict) or unverified.get("iss") != auth.client_id:
        return JwtRefusal("invalid_client_id", "client identifier invalid")
    if app is None or header.get("alg") != "RS256":
        return INVALID_ASSERTION
    try:
        claims = _verified_claims(assertion, app.public_key())
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return INVALID_ASSERTION
    if claims.get("aud") not in (*JWT_AUDIENCES, auth.instance_url):
        return JwtRefusal("invalid_grant", "audience is invalid")
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return JwtRefusal("invalid_grant", "expired authorization code")
    if exp > now + MAX_JWT_AHEAD_S:
        return INVALID_ASSERTION
    subject = claims.get("sub")
    if not isinstance(subject, str) or subject.lower() not in app.approved_users:
        return NOT_APPROVED
    return app.approved_users[subject.lower()]


def _verified_claims(assertion: str, key: RSAPublicKey) -> dict[str, Any]:
    """The claims once the RS256 signature checks out; the claims themselves are checked by
    the caller (in Salesforce's order, each with its own answer)."""
    claims: Any = jwt.decode(
        assertion,
        key,
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_aud": False, "verify_iss": False},
    )
    if not isinstance(claims, dict):
        raise ValueError("claims are not an object")
    return claims
