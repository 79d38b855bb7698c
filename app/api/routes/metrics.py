"""`/metrics`: the service's Prometheus metrics (see `app/metrics.py` for what each means)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.metrics import registry_to_serve

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def prometheus_metrics() -> Response:
    """Webhook events received, processed and failed, inbox depth, end-to-end latency, CRM API
    calls and rate-limit answers, and sync durations, in the Prometheus text format; under
    `serve --workers N`, summed over the N processes."""
    return Response(generate_latest(registry_to_serve()), media_type=CONTENT_TYPE_LATEST)
