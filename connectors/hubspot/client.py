"""The HubSpot API as plain JSON, through the official `hubspot-api-client`.

Every call goes through `HubSpotClient._call`, which
- counts it in `ApiStats.calls` (every attempt, retries included: that is what the quota sees);
- turns an SDK `ApiException` (duck-typed: each SDK sub-package has its own class) or a
  urllib3/socket failure into the connector error tree (`connectors.errors`), with the token
  scrubbed from the message and no response body attached;
- runs under the tenacity policy (`connectors.retry`). urllib3's own retries are switched off
  (`Retry(total=False)`), so one layer owns retrying: urllib3 would not retry POST/PATCH anyway,
  and would raise `MaxRetryError` instead of an `ApiException` when it gave up;
- waits, before each attempt, for its slot under the token's rate limits (`pacing`: one pacer
  per token in the process, fed by every answer's `X-HubSpot-RateLimit-*` headers), so the
  burst limit is not hit; `rate_limit_status` is the last status HubSpot reported.

Responses are read raw (`_preload_content=False`) and decoded as JSON, so callers get HubSpot's
documented wire shape (camelCase keys, string property values): the pure mapper and the tests
work on exactly what the API sends, and an unexpected-but-valid 2xx (which the SDK's
status→model map would silently turn into `None`) still yields its body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

import hubspot
import urllib3

from connectors.errors import (
    ConnectorError,
    NetworkError,
    RejectedError,
    error_from_response,
)
from connectors.hubspot.pacing import RateLimitPacer, RateLimitStatus, pacer_for
from connectors.retry import Retrier

logger = logging.getLogger(__name__)

ObjectType = Literal["companies", "contacts", "deals"]
Json = dict[str, Any]
Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)
"""(connect, read) seconds; the SDK applies none unless given one per request."""
REDACTED = "[redacted]"


class HubSpotClient:
    """One HubSpot account (base URL + private-app or OAuth token). Not thread-safe: give each
    worker its own client."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        retrier: Retrier,
        timeout: Timeout = DEFAULT_TIMEOUT,
        pacer: RateLimitPacer | None = None,
    ) -> None:
        if not token:
            raise ValueError("a HubSpot access token is required")
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self.pacer = pacer or pacer_for(token, clock=retrier.clock)
        self.retrier = retrier
        self.stats = retrier.stats
        sdk = hubspot.Client.create(
            access_token=token,
            host=self._base_url,
            retry=urllib3.Retry(total=False),
        )
        crm = sdk.crm
        objects = {"companies": crm.companies, "contacts": crm.contacts, "deals": crm.deals}
        self._basic = {name: api.basic_api for name, api in objects.items()}
        self._batch = {name: api.batch_api for name, api in objects.items()}
        self._search = {name: api.search_api for name, api in objects.items()}
        self._properties = crm.properties.core_api
        self._groups = crm.properties.groups_api
        self._associations = crm.associations.v4.batch_api

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self._base_url!r})"

    @property
    def rate_limit_status(self) -> RateLimitStatus:
        """The limits as HubSpot last reported them for this token (daily max and remaining:
        "API calls left today"); all None before the first answer."""
        return self.pacer.status

    def close(self) -> None:
        """Closes the connection pools (each SDK api object has its own)."""
        apis = [
            *self._basic.values(),
            *self._batch.values(),
            *self._search.values(),
            self._properties,
            self._groups,
            self._associations,
        ]
        for api in apis:
            api.api_client.close()
            api.api_client.rest_client.pool_manager.clear()

    # -- objects ---------------------------------------------------------------------------

    def list_page(
        self,
        object_type: ObjectType,
        *,
        limit: int,
        after: str | None,
        properties: Sequence[str],
        associations: Sequence[str] = (),
        archived: bool = False,
    ) -> Json:
        """`GET /crm/v3/objects/{type}`: one page, `paging.next.after` absent on the last."""
        api = self._basic[object_type]
        return self._call(
            f"{object_type}.list",
            lambda: api.get_page(
                limit=limit,
                after=after,
                properties=list(properties),
                associations=list(associations) or None,
                archived=archived,
                **self._options(),
            ),
        )

    def search(self, object_type: ObjectType, body: Mapping[str, Any]) -> Json:
        """`POST /crm/v3/objects/{type}/search` (no associations, never archived objects)."""
        api = self._search[object_type]
        return self._call(
            f"{object_type}.search",
            lambda: api.do_search(public_object_search_request=dict(body), **self._options()),
            search=True,
        )

    def batch_read(
        self, object_type: ObjectType, ids: Sequence[str], properties: Sequence[str]
    ) -> Json:
        """`POST …/batch/read` (≤100 ids); unknown ids come back as a 207 with `errors`."""
        api = self._batch[object_type]
        body = {"inputs": [{"id": i} for i in ids], "properties": list(properties)}
        return self._call(
            f"{object_type}.batch_read",
            lambda: api.read(
                batch_read_input_simple_public_object_id=body, archived=False, **self._options()
            ),
        )

    def batch_update(self, object_type: ObjectType, inputs: Sequence[Mapping[str, Any]]) -> Json:
        """`POST …/batch/update` (≤100 inputs `{id, properties}`): 200, or 207 with `errors`."""
        api = self._batch[object_type]
        body = {"inputs": [dict(item) for item in inputs]}
        return self._call(
            f"{object_type}.batch_update",
            lambda: api.update(
                batch_input_simple_public_object_batch_input=body, **self._options()
            ),
        )

    def associated_ids(
        self,
        from_type: Literal["deals", "contacts"],
        ids: Sequence[str],
        to_type: Literal["companies", "contacts"] = "companies",
    ) -> dict[str, tuple[str, ...]]:
        """Ids of the associated `to_type` records per deal or contact, through the v4
        association batch read (≤1,000 ids)."""
        if not ids:
            return {}
        body = {"inputs": [{"id": i} for i in ids]}
        payload = self._call(
            f"associations.{from_type}_{to_type}.batch_read",
            lambda: self._associations.get_page(
                from_type,
                to_type,
                batch_input_public_fetch_associations_batch_request=body,
                **self._options(),
            ),
        )
        found: dict[str, tuple[str, ...]] = {}
        for result in payload.get("results") or []:
            if not isinstance(result, Mapping):
                continue
            source = result.get("from")
            from_id = str(source.get("id")) if isinstance(source, Mapping) else None
            targets = result.get("to")
            if not isinstance(targets, list):
                targets = []
            ids = [
                str(t["toObjectId"])
                for t in targets
                if isinstance(t, Mapping) and "toObjectId" in t
            ]
            if from_id is not None:
                found[from_id] = tuple(dict.fromkeys([*found.get(from_id, ()), *ids]))
        return found

    # -- property definitions --------------------------------------------------------------

    def get_property(self, object_type: ObjectType, name: str) -> Json | None:
        """The property definition, or None if HubSpot does not know it (404)."""
        return self._or_none_if_missing(
            lambda: self._call(
                f"properties.{object_type}.get",
                lambda: self._properties.get_by_name(
                    object_type, name, archived=False, **self._options()
                ),
            )
        )

    def create_property(self, object_type: ObjectType, definition: Mapping[str, Any]) -> Json:
        return self._call(
            f"properties.{object_type}.create",
            lambda: self._properties.create(
                object_type, property_create=dict(definition), **self._options()
            ),
        )

    def update_property(
        self, object_type: ObjectType, name: str, changes: Mapping[str, Any]
    ) -> Json:
        return self._call(
            f"properties.{object_type}.update",
            lambda: self._properties.update(
                object_type, name, property_update=dict(changes), **self._options()
            ),
        )

    def get_group(self, object_type: ObjectType, name: str) -> Json | None:
        return self._or_none_if_missing(
            lambda: self._call(
                f"property_groups.{object_type}.get",
                lambda: self._groups.get_by_name(object_type, name, **self._options()),
            )
        )

    def create_group(self, object_type: ObjectType, definition: Mapping[str, Any]) -> Json:
        return self._call(
            f"property_groups.{object_type}.create",
            lambda: self._groups.create(
                object_type, property_group_create=dict(definition), **self._options()
            ),
        )

    def update_group(self, object_type: ObjectType, name: str, changes: Mapping[str, Any]) -> Json:
        return self._call(
            f"property_groups.{object_type}.update",
            lambda: self._groups.update(
                object_type, name, property_group_update=dict(changes), **self._options()
            ),
        )

    # -- plumbing --------------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        return {"_preload_content": False, "_request_timeout": self._timeout}

    @staticmethod
    def _or_none_if_missing(read: Callable[[], Json]) -> Json | None:
        try:
            return read()
        except RejectedError as error:
            if error.status == 404:
                return None
            raise

    def _call(self, operation: str, request: Callable[[], Any], *, search: bool = False) -> Json:
        def attempt() -> Json:
            with self.pacer.slot(self.retrier.sleep, search=search):
                self.stats.calls += 1
                try:
                    response = request()
                    data = response.data  # reading the body releases the connection
                except Exception as error:
                    headers = getattr(error, "headers", None)
                    if isinstance(headers, Mapping):
                        self.pacer.observe(headers, search=search, success=False)
                    translated = self._translate(error, operation)
                    if translated is None:
                        raise
                    # `from None`: the SDK exception's text embeds response headers and body.
                    raise translated from None
                self.pacer.observe(dict(response.headers or {}), search=search)
            return _decode(data)

        return self.retrier.call(operation, attempt)

    def _translate(self, error: Exception, operation: str) -> ConnectorError | None:
        """The connector error for an SDK/transport failure; None for anything else (a bug in
        our call, which should surface as is)."""
        status = getattr(error, "status", None)
        if isinstance(status, int) and hasattr(error, "body") and hasattr(error, "headers"):
            if status == 0:  # the SDK's wrapper for an SSL failure, which no retry fixes
                reason = str(getattr(error, "reason", "") or "").splitlines()
                detail = reason[0] if reason else "TLS failure"
                return ConnectorError(self._redact(f"{operation}: {detail}"))
            headers = {str(k): str(v) for k, v in dict(error.headers or {}).items()}
            return error_from_response(
                status,
                headers,
                error.body,
                operation=operation,
                now=datetime.now(UTC),
                redact=self._redact,
            )
        if isinstance(error, urllib3.exceptions.HTTPError | OSError):
            cause = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
            return NetworkError(
                self._redact(f"{operation}: {type(cause).__name__} talking to HubSpot"),
                timed_out=isinstance(cause, urllib3.exceptions.TimeoutError | TimeoutError),
            )
        return None

    def _redact(self, text: str) -> str:
        return text.replace(self._token, REDACTED)


def _decode(data: bytes | None) -> Json:
    if not data:
        return {}
    try:
        payload = json.loads(data)
    except ValueError:
        raise ConnectorError("HubSpot answered with a body that is not JSON") from None
    if not isinstance(payload, dict):
        raise ConnectorError("HubSpot answered with JSON that is not an object")
    return payload
