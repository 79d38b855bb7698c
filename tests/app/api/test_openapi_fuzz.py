"""schemathesis against the service's own OpenAPI schema, on SQLite and PostgreSQL: for every
operation, requests generated from the schema (valid and invalid, every phase: examples,
coverage, fuzzing) never get a 5xx, and every answer is one the schema documents. All of
schemathesis' built-in checks run: not_a_server_error, status_code_conformance,
content_type_conformance, response_headers_conformance, response_schema_conformance,
negative_data_rejection (schema-invalid data refused), positive_data_acceptance (schema-valid
data accepted), missing_required_header, unsupported_method, ignored_auth (the admin endpoints
refuse requests without the token or with another one), and the stateful ones.

Every secret is configured and every request carries valid credentials, so the generated bodies
reach the parsers and the database instead of all stopping at a 401: the admin token as
schemathesis' own credentials for the declared bearer scheme, the HubSpot v3 signature and the
Salesforce HMAC computed over the exact bytes sent (a `requests` auth hook sees the final URL
and body). Outbound Messages are not signed; their org id is configured.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import get_client, shutdown_lifespans

from app.api.app import create_app
from app.settings import Settings
from app.webhooks.hubspot import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_v3
from app.webhooks.salesforce_json import SIGNATURE_HEADER as SF_SIGNATURE_HEADER
from app.webhooks.salesforce_json import TIMESTAMP_HEADER as SF_TIMESTAMP_HEADER
from app.webhooks.salesforce_json import signature as salesforce_signature

pytestmark = pytest.mark.slow  # schemathesis fuzzes every operation

ADMIN_TOKEN = "adm-fuzz-5d1e7c2b9a4f08e6d3c17b2a95e0f4d8"
HUBSPOT_SECRET = "hs-fuzz-secret-41c9"
SALESFORCE_SECRET = "sf-fuzz-secret-e80a"
ORG_ID = "00D5e0000000001EAA"
SECRETS = (ADMIN_TOKEN, HUBSPOT_SECRET, SALESFORCE_SECRET)


class _SignWebhooks(requests.auth.AuthBase):
    """Signs a webhook request the way its CRM would, over the URL and body as sent."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            raw = body.encode("utf-8", "surrogatepass")
        elif isinstance(body, bytes):
            raw = body
        else:
            raise AssertionError(f"a streamed body cannot be signed: {type(body).__name__}")
        path = urlsplit(request.url or "").path
        if path == "/webhooks/hubspot":
            stamp = str(int(time.time() * 1000))
            request.headers[TIMESTAMP_HEADER] = stamp
            request.headers[SIGNATURE_HEADER] = signature_v3(
                HUBSPOT_SECRET, request.method or "POST", str(request.url), raw, stamp
            )
        elif path == "/webhooks/salesforce":
            stamp = str(int(time.time()))
            request.headers[SF_TIMESTAMP_HEADER] = stamp
            request.headers[SF_SIGNATURE_HEADER] = salesforce_signature(
                SALESFORCE_SECRET, stamp, raw
            )
        return request


def _openapi_document() -> dict[str, Any]:
    """The schema the service serves at `/openapi.json` (the same whatever its settings)."""
    app = create_app(Settings(database_url="sqlite://"))
    try:
        return app.openapi()
    finally:
        app.state.resources.engine.dispose()


class _ServiceUnderTest:
    """The ASGI app schemathesis sends every request to, its own probes included: it forwards to
    the app the current test started (each test has its own store)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "no app started for this test"
        await self.app(scope, receive, send)


OPENAPI = _openapi_document()
SERVICE = _ServiceUnderTest()
CONFIG = schemathesis.Config.from_dict(
    {
        # The admin token, as schemathesis' own credentials for the declared bearer scheme: it
        # sends it, and also checks that requests without it or with another one are refused.
        "auth": {"openapi": {"AdminToken": {"bearer": ADMIN_TOKEN}}},
        # Text the inbox can store: PostgreSQL refuses NUL characters and unpaired surrogates,
        # so the service refuses them with a 400 (the schema's patterns say so for the fields
        # it reads; an event's free-form extra keys are stored too, and the same holds there).
        "generation": {"allow-x00": False, "codec": "utf-8"},
    }
)
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)
schema.app = SERVICE


@pytest.fixture
def service(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The real app on a store of its own, with every secret configured, started (migrations
    applied) by its lifespan until the end of the test."""
    SERVICE.app = create_app(
        Settings(
            database_url=database_url,
            admin_token=ADMIN_TOKEN,
            hubspot_app_secret=HUBSPOT_SECRET,
            salesforce_org_id=ORG_ID,
            salesforce_webhook_secret=SALESFORCE_SECRET,
        )
    )
    with get_client(SERVICE) as client:  # starts the lifespan, which schemathesis keeps running
        assert client.get("/openapi.json").json() == OPENAPI
    # Every request goes to the app in-process: one that tried the network would be a bug here.
    monkeypatch.setattr(socket, "getaddrinfo", _no_network)
    try:
        yield SERVICE.app
    finally:
        shutdown_lifespans()  # stops the app's inbox writer and disposes of its engine
        SERVICE.app = None


def _no_network(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError(f"a request left the process: getaddrinfo{args}")


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    for secret in SECRETS:
        assert secret not in caplog.text


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_given_any_generated_request_when_sent_then_no_5xx_and_the_answer_is_documented(
    case: schemathesis.Case[Any], service: FastAPI
) -> None:
    response = case.call_and_validate(auth=_SignWebhooks())

    for secret in SECRETS:
        assert secret not in response.text
