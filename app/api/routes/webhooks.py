"""The webhook endpoints: HubSpot (v3 signature), Salesforce Outbound Messages (SOAP) and
Salesforce Flow / Apex callouts (JSON). Each maps HTTP to its format's module in `app.webhooks`,
which verifies and parses the delivery and documents it (`*_openapi.DOC`).

Every endpoint does the same, in this order: refuse (401) if the secret or org id to check
against is not configured; read the body once, at most 1 MiB (413); verify where it comes from
(401); parse it (400 naming what is wrong); write its events to the inbox in one transaction;
answer 200 only after that commit. The work itself (fetch, score, write back) happens later, in
the inbox worker, so the CRM gets its answer in milliseconds and a retry never causes double
work: events are deduplicated on (source, event id).

Never a 500: a database failure answers 503 with `Retry-After`, so the CRM retries and nothing
is lost. Responses and logs never contain a secret (nor the Salesforce session id an Outbound
Message may carry, which is never stored).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from app.api.deps import Resources, ResourcesDep
from app.inbox.events import Source
from app.inbox.receive import Enqueued, record_rejected
from app.webhooks import (
    hubspot,
    hubspot_openapi,
    salesforce_json,
    salesforce_json_openapi,
    salesforce_soap,
    salesforce_soap_openapi,
)
from app.webhooks.body import read_body
from app.webhooks.common import Delivery
from app.webhooks.errors import UNAVAILABLE, WebhookError
from app.webhooks.openapi import Received

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

RETRY_AFTER_S = 30
INLINE_PARSE_BYTES = 16 * 1024


class _Unavailable(Exception):
    """The inbox could not be written: answer 503 so the CRM retries."""


@router.post("/hubspot", response_model=Received, **hubspot_openapi.DOC)
async def receive_hubspot(request: Request, resources: ResourcesDep) -> Response:
    settings = resources.settings
    secret = settings.hubspot_app_secret.get_secret_value() if settings.hubspot_app_secret else None
    raw_path = request.scope.get("raw_path") or quote(request.scope["path"]).encode("ascii")

    def require_configured() -> None:
        hubspot.require_secret(secret)

    def verify_and_parse(body: bytes) -> Delivery:
        uri = hubspot.request_uri(
            forwarded_proto=request.headers.get("x-forwarded-proto"),
            scheme=request.url.scheme,
            host=request.headers.get("host"),
            raw_path=raw_path,
            query_string=request.scope.get("query_string", b""),
        )
        hubspot.verify(
            secret=secret,
            method=request.method,
            uri=uri,
            body=body,
            signature=request.headers.get(hubspot.SIGNATURE_HEADER),
            timestamp=request.headers.get(hubspot.TIMESTAMP_HEADER),
            now_ms=int(time.time() * 1000),
        )
        return hubspot.parse_delivery(body)

    return await _receive_json(request, resources, "hubspot", require_configured, verify_and_parse)


@router.post("/salesforce/outbound-message", response_class=Response, **salesforce_soap_openapi.DOC)
async def receive_salesforce_outbound_message(
    request: Request, resources: ResourcesDep
) -> Response:
    org_id = resources.settings.salesforce_org_id

    def require_configured() -> None:
        salesforce_soap.require_org_id(org_id)

    def verify_and_parse(body: bytes) -> Delivery:
        return salesforce_soap.parse_delivery(body, org_id=org_id)

    try:
        delivery, _outcome = await _receive(
            request, resources, "salesforce", require_configured, verify_and_parse
        )
    except WebhookError as error:
        return _soap(salesforce_soap.fault(error.message), error.status)
    except _Unavailable:
        return _soap(salesforce_soap.UNAVAILABLE_FAULT, 503, {"Retry-After": str(RETRY_AFTER_S)})
    if delivery.ignored:
        logger.info("salesforce outbound message: %d notification(s) skipped", delivery.ignored)
    return _soap(salesforce_soap.ACK, 200)


@router.post("/salesforce", response_model=Received, **salesforce_json_openapi.DOC)
async def receive_salesforce_json(request: Request, resources: ResourcesDep) -> Response:
    settings = resources.settings
    secret = (
        settings.salesforce_webhook_secret.get_secret_value()
        if settings.salesforce_webhook_secret
        else None
    )

    def require_configured() -> None:
        salesforce_json.require_secret(secret)

    def verify_and_parse(body: bytes) -> Delivery:
        salesforce_json.verify(
            secret=secret,
            body=body,
            shared_secret=request.headers.get(salesforce_json.SECRET_HEADER),
            signature_hex=request.headers.get(salesforce_json.SIGNATURE_HEADER),
            timestamp=request.headers.get(salesforce_json.TIMESTAMP_HEADER),
            now_s=int(time.time()),
        )
        return salesforce_json.parse_delivery(body)

    return await _receive_json(
        request, resources, "salesforce", require_configured, verify_and_parse
    )


# --- shared ----------------------------------------------------------------------------------


async def _receive_json(
    request: Request,
    resources: Resources,
    source: Source,
    require_configured: Callable[[], None],
    verify_and_parse: Callable[[bytes], Delivery],
) -> Response:
    try:
        delivery, outcome = await _receive(
            request, resources, source, require_configured, verify_and_parse
        )
    except WebhookError as error:
        return JSONResponse({"detail": error.message, "reason": error.reason}, error.status)
    except _Unavailable:
        return JSONResponse(
            {"detail": UNAVAILABLE, "reason": "unavailable"},
            503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    return JSONResponse(
        Received(
            received=outcome.stored,
            duplicates=outcome.duplicates,
            ignored=delivery.ignored + outcome.echoes,
        ).model_dump()
    )


async def _receive(
    request: Request,
    resources: Resources,
    source: Source,
    require_configured: Callable[[], None],
    verify_and_parse: Callable[[bytes], Delivery],
) -> tuple[Delivery, Enqueued]:
    """Check the configuration, read the body, verify and parse it, then store its events:
    (delivery, what the inbox made of its events).

    Raises `WebhookError` (counted and logged) or `_Unavailable` (the database failed).
    """
    received_at = datetime.now(UTC)
    try:
        require_configured()
        body = await read_body(request.stream(), request.headers.get("content-length"))
        # A typical delivery (a few KiB) is verified and parsed faster than a thread hop
        # costs; a large one (up to 1 MiB) runs off the event loop.
        if len(body) <= INLINE_PARSE_BYTES:
            delivery = verify_and_parse(body)
        else:
            delivery = await run_in_threadpool(verify_and_parse, body)
    except WebhookError as error:
        _refused(source, error)
        raise
    except Exception:  # a bug in verifying or parsing: 503, so the CRM retries after the fix
        record_rejected(source, "unavailable")
        logger.exception("%s webhook: unexpected error while parsing, answered 503", source)
        raise _Unavailable from None
    try:
        outcome = await resources.inbox_writer.store(delivery.events, received_at)
    except SQLAlchemyError as error:
        record_rejected(source, "unavailable")
        logger.warning(
            "%s webhook: inbox unavailable, answered 503: %s", source, _first_line(error)
        )
        raise _Unavailable from None
    except Exception:  # a bug must still not turn into a 500: the CRM retries a 503
        record_rejected(source, "unavailable")
        logger.exception("%s webhook: unexpected error while storing, answered 503", source)
        raise _Unavailable from None
    return delivery, outcome


def _refused(source: Source, error: WebhookError) -> None:
    record_rejected(source, error.reason)
    logger.warning(
        "%s webhook refused with %d (%s): %s", source, error.status, error.reason, error.message
    )


def _soap(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status, headers=headers, media_type=salesforce_soap.CONTENT_TYPE)


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
