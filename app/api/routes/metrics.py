"""`/metrics`: the service's Prometheus metrics (see `app/metrics.py` for what each means)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.api.deps import ResourcesDep
from app.sync.health import StreamHealth, read_health

logger = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
_exporting = threading.Lock()
"""One scrape at a time rewrites the sync gauges (cleared first: a stream that stopped failing
loses its error series)."""


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def prometheus_metrics(resources: ResourcesDep) -> Response:
    """Webhook events received, processed and failed, inbox depth, end-to-end latency, CRM API
    calls and rate-limit answers, sync durations and failures, and per CRM stream the last
    successful sync and the failures in a row since, in the Prometheus text format."""
    with _exporting:
        try:
            with resources.session_factory() as session:
                health = read_health(session)
        except SQLAlchemyError as error:  # the other metrics are still worth serving
            logger.warning("metrics: sync health unreadable: %s", type(error).__name__)
        else:
            _export(health)
        body = generate_latest(metrics.REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _export(health: Sequence[StreamHealth]) -> None:
    gauges = (
        metrics.SYNC_LAST_SUCCESS,
        metrics.SYNC_LAST_FAILURE,
        metrics.SYNC_CONSECUTIVE_FAILURES,
        metrics.SYNC_LAST_ERROR,
    )
    for gauge in gauges:
        gauge.clear()
    for h in health:
        if h.last_success_at is not None:
            metrics.SYNC_LAST_SUCCESS.labels(h.source, h.stream).set(h.last_success_at.timestamp())
        if h.last_failure_at is not None:
            metrics.SYNC_LAST_FAILURE.labels(h.source, h.stream).set(h.last_failure_at.timestamp())
        metrics.SYNC_CONSECUTIVE_FAILURES.labels(h.source, h.stream).set(h.consecutive_failures)
        if h.consecutive_failures and h.last_error_type:
            metrics.SYNC_LAST_ERROR.labels(h.source, h.stream, h.last_error_type).set(1)
