"""`/metrics`: the service's Prometheus metrics (see `app/metrics.py` for what each means)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ResourcesDep
from app.metrics import registry_to_serve, sync_health_registry
from app.sync.health import StreamHealth, read_health

logger = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def prometheus_metrics(resources: ResourcesDep) -> Response:
    """Webhook events received, processed and failed, inbox depth, end-to-end latency, CRM API
    calls and rate-limit answers, sync durations and failures (under `serve --workers N`,
    summed over the N processes), and per CRM stream the last successful sync and the failures
    in a row since (read from the store), in the Prometheus text format."""
    health: list[StreamHealth] = []
    try:
        with resources.session_factory() as session:
            health = list(read_health(session))
    except SQLAlchemyError as error:  # the other metrics are still worth serving
        logger.warning("metrics: sync health unreadable: %s", type(error).__name__)
    body = generate_latest(registry_to_serve()) + generate_latest(sync_health_registry(health))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
