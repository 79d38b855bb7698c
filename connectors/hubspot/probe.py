"""Read-only HubSpot calls that say what a token may do, for `icp-sync doctor`.

- `token_info()`: `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": …}`
  answers `{"userId", "hubId", "appId", "scopes": [...]}` for a private-app token (HubSpot's
  private-apps guide; the endpoint needs no scope). The token goes in the body *and* as the
  bearer header, which EU tokens need. A server without the endpoint (404) gives None.
- `company_properties()` / `contact_properties()`: `GET /crm/v3/properties/{companies|contacts}`
  (PublicApiSpecs/CRM/Properties, v3): every property definition, and the limits as that answer's
  `X-HubSpot-RateLimit-*` headers give them (daily ones on every non-search answer to a
  private-app token, hubspot.md §9). The call waits for its slot in the token's shared pacer
  and feeds it the headers, as every `HubSpotClient` call does (`connectors.hubspot.pacing`).

Failures are the connector errors (`connectors.errors.error_from_response`), the token
scrubbed from every message. The SDK has no token-info call and drops response headers, hence
plain HTTP here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.errors import ConnectorError, NetworkError, error_from_response
from connectors.hubspot.pacing import RateLimitStatus, pacer_for

TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"  # noqa: S105 - a path
PROPERTIES_PATH = "/crm/v3/properties/{}"
DEFAULT_TIMEOUT = 15.0
REDACTED = "[redacted]"
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Properties:
    definitions: list[Json]
    limits: RateLimitStatus


class HubSpotProbe:
    """One HubSpot account (base URL + token), read only."""

    def __init__(self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not token:
            raise ValueError("a HubSpot access token is required")
        self._token = token
        self._pacer = pacer_for(token)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"HubSpotProbe(base_url={str(self._http.base_url)!r})"

    def close(self) -> None:
        self._http.close()

    def token_info(self) -> Json | None:
        """The token's hub, app and scopes; None when the server has no such endpoint."""
        response = self._send(
            "access-token-info", "POST", TOKEN_INFO_PATH, {"tokenKey": self._token}, ok_404=True
        )
        return None if response.status_code == 404 else _json(response)

    def company_properties(self) -> Properties:
        return self._properties("companies")

    def contact_properties(self) -> Properties:
        return self._properties("contacts")

    def _properties(self, object_type: str) -> Properties:
        with self._pacer.slot(time.sleep):
            response = self._send(
                f"properties.{object_type}.list",
                "GET",
                PROPERTIES_PATH.format(object_type),
                paced=True,
            )
        results = _json(response).get("results")
        definitions = (
            [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
        )
        return Properties(definitions, self._pacer.status)

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        ok_404: bool = False,
        paced: bool = False,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TransportError as error:
            raise NetworkError(
                self._redact(f"{operation}: {type(error).__name__} talking to HubSpot"),
                timed_out=isinstance(error, httpx.TimeoutException),
            ) from None
        if paced:
            self._pacer.observe(dict(response.headers), success=response.status_code < 400)
        if response.status_code < 400 or (ok_404 and response.status_code == 404):
            return response
        raise error_from_response(
            response.status_code,
            dict(response.headers),
            response.content,
            operation=operation,
            now=datetime.now(UTC),
            redact=self._redact,
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._token, REDACTED)


def _json(response: httpx.Response) -> Json:
    try:
        payload = response.json()
    except (ValueError, json.JSONDecodeError):
        raise ConnectorError("HubSpot answered with a body that is not JSON") from None
    if not isinstance(payload, dict):
        raise ConnectorError("HubSpot answered with JSON that is not an object")
    return payload
