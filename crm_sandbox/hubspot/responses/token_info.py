"""`POST /oauth/v2/private-apps/get/access-token-info`: what a private-app token is.

Per HubSpot's private-apps guide ("Get access token info"; developers.hubspot.com, legacy
private apps overview): the body is `{"tokenKey": "<token>"}`, the `Authorization` header is
optional (the key is the credential) and no scope is required; the answer is
`{"userId": …, "hubId": …, "appId": …, "scopes": [...]}`, numbers for the ids. `icp-sync
doctor` compares `scopes` with what it needs. An unknown key is answered 401
`INVALID_AUTHENTICATION` (HubSpot's status for it is unconfirmed); a body without a
`tokenKey` string, 400. The call does not count against the rate limits (unconfirmed either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_sandbox.hubspot.errors import HubSpotApiError, JsonObject, validation_error

TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"  # noqa: S105 - a path


@dataclass(slots=True)
class PrivateApp:
    """The private app behind the sandbox's token: its account, ids and granted scopes
    (`scopes` may be replaced while serving)."""

    token: str = field(repr=False)
    scopes: frozenset[str]
    hub_id: int
    app_id: int = 3_100_001
    user_id: int = 7_100_001


def token_info(app: PrivateApp, body: Any) -> JsonObject:
    """The answer for a request `body`, or the `HubSpotApiError` to answer instead."""
    key = body.get("tokenKey") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key:
        raise validation_error('Invalid input: the body must be {"tokenKey": "<access token>"}')
    if key != app.token:
        raise HubSpotApiError(
            401, "The access token provided is invalid or has expired.", "INVALID_AUTHENTICATION"
        )
    return {
        "userId": app.user_id,
        "hubId": app.hub_id,
        "appId": app.app_id,
        "scopes": sorted(app.scopes),
    }
