"""Salesforce access tokens: which OAuth flow, the token request, and what its errors mean.

Two server-to-server flows, neither with a refresh token (a new token is simply requested
again when the session expires):

* **client credentials** (`client_secret` given): `grant_type=client_credentials` with the
  consumer key and secret in the form; the connected app names the user it runs as.
* **JWT bearer** (`username` and `private_key` given): an RS256 assertion signed with the
  key whose certificate is uploaded to the connected app, `iss` = consumer key, `sub` = the
  integration user, `aud` = the login host, valid for three minutes.

Both POST to `{instance_url}/services/oauth2/token` (the My Domain host: client credentials
require it). The answer's `instance_url` is the REST base from then on. A 400
(`invalid_client`, `invalid_grant`…) is an `AuthError` carrying Salesforce's code and
description; the secret, the key and the assertion never appear in a message or a repr.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from connectors.errors import AuthError, ConnectorError, NetworkError, RetryableError

TOKEN_PATH = "/services/oauth2/token"  # noqa: S105 - a URL path, no secret
JWT_LIFETIME_S = 180
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Token:
    """An access token and the instance URL it is good for. The token stays out of `repr`.
    `user_id`: the user the token acts as, the last segment of the answer's `id` identity URL
    (`https://login.salesforce.com/id/<orgId>/<userId>`, OAuth token response), if given."""

    access_token: str = field(repr=False)
    instance_url: str
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """The OAuth 2.0 client credentials flow."""

    client_id: str
    client_secret: str = field(repr=False)
    flow: str = "client_credentials"

    def form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret,)


@dataclass(frozen=True, slots=True)
class JwtBearer:
    """The OAuth 2.0 JWT bearer flow; `key` is the parsed RSA private key."""

    client_id: str
    username: str
    key: RSAPrivateKey = field(repr=False)
    audience: str
    clock: Clock = field(default=time.time, repr=False)
    flow: str = "jwt_bearer"

    def form(self) -> dict[str, str]:
        claims = {
            "iss": self.client_id,
            "sub": self.username,
            "aud": self.audience,
            "exp": int(self.clock()) + JWT_LIFETIME_S,
        }
        return {"grant_type": JWT_GRANT, "assertion": jwt.encode(claims, self.key, "RS256")}

    def secrets(self) -> tuple[str, ...]:
        return ()


Grant = ClientCredentials | JwtBearer


def _no_redaction(text: str) -> str:
    return text


def choose_grant(
    *,
    client_id: str,
    client_secret: str | None,
    username: str | None,
    private_key: str | None,
    audience: str,
) -> Grant:
    """Client credentials when a secret is given, else JWT bearer from a username and a PEM
    private key; ValueError naming what is missing (or unreadable) otherwise."""
    if not client_id:
        raise ValueError("Salesforce auth needs client_id (the connected app's consumer key)")
    if client_secret:
        return ClientCredentials(client_id, client_secret)
    if username and private_key:
        return JwtBearer(client_id, username, _rsa_key(private_key), audience)
    if username:
        missing = "private_key (PEM) for the JWT bearer flow, or client_secret"
    elif private_key:
        missing = "username (the integration user) for the JWT bearer flow, or client_secret"
    else:
        missing = "client_secret (client credentials) or username and private_key (JWT bearer)"
    raise ValueError(f"Salesforce auth needs {missing}")


def request_token(
    session: requests.Session,
    login_url: str,
    grant: Grant,
    *,
    timeout: float | tuple[float, float],
    redact: Callable[[str], str] = _no_redaction,
) -> Token:
    """One token request. Raises `AuthError` for a refused grant, `RetryableError` for a 5xx,
    `NetworkError` when no answer came, `ConnectorError` for an answer that is no token.
    Messages pass through `redact` (Salesforce's description is quoted as it came)."""
    url = login_url.rstrip("/") + TOKEN_PATH
    try:
        response = session.post(url, data=grant.form(), timeout=timeout)
    except requests.exceptions.SSLError:
        raise ConnectorError("oauth2/token: TLS failure talking to Salesforce") from None
    except requests.RequestException as error:
        raise NetworkError(
            f"oauth2/token: {type(error).__name__} talking to Salesforce",
            timed_out=isinstance(error, requests.Timeout),
        ) from None
    payload = _json(response)
    if response.status_code >= 500:
        status = response.status_code
        raise RetryableError(f"oauth2/token: HTTP {status} from Salesforce", status=status)
    if response.status_code >= 300:
        code = _text(payload.get("error")) or "refused"
        description = _text(payload.get("error_description")) or "no description"
        raise AuthError(
            redact(
                f"oauth2/token: Salesforce refused the {grant.flow} grant: HTTP "
                f"{response.status_code} {code}: {description}"
            ),
            status=response.status_code,
            category=code,
        )
    access_token = _text(payload.get("access_token"))
    if access_token is None:
        raise ConnectorError("oauth2/token: Salesforce answered without an access_token")
    identity = _text(payload.get("id")) or ""
    return Token(
        access_token,
        _text(payload.get("instance_url")) or login_url.rstrip("/"),
        identity.rstrip("/").rpartition("/")[2] or None,
    )


def _rsa_key(pem: str) -> RSAPrivateKey:
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("private_key is not a readable, unencrypted PEM private key") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("private_key must be an RSA key: Salesforce signs JWTs with RS256")
    return key


def _json(response: requests.Response) -> Mapping[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
