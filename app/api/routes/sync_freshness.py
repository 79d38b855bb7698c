"""`/healthz/sync`: are the CRMs' syncs fresh? 503 when a configured CRM has a stream whose
last successful sync is older than `sync_stale_minutes` (or never succeeded).

Apart from liveness (`/healthz`) and readiness (`/readyz`) on purpose: a CRM that refuses our
token must not take the webhook receiver out of a load balancer, yet someone must hear of it.
The body says when and how often, not why (the error may be sensitive; this endpoint may be
public): the error is in the log, `/metrics` (its type) and `icp-sync status`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ResourcesDep
from app.crm import configured_sources
from app.sync.health import freshness, read_health, stale_after

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz/sync")
def sync_freshness(resources: ResourcesDep) -> JSONResponse:
    settings = resources.settings
    max_age = stale_after(settings.sync_stale_minutes)
    try:
        with resources.session_factory() as session:
            health = read_health(session)
    except SQLAlchemyError as error:
        logger.warning("sync freshness: store unreadable: %s", type(error).__name__)
        return JSONResponse({"status": "unknown", "reason": "store unreadable"}, 503)
    now = datetime.now(UTC)
    sources = freshness(health, configured_sources(settings), now, max_age)
    stale = any(s.stale for s in sources)
    body: dict[str, Any] = {
        "status": "stale" if stale else "fresh",
        "stale_after_minutes": settings.sync_stale_minutes,
        "sources": [
            {
                "source": s.source,
                "stale": s.stale,
                "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
                "consecutive_failures": s.consecutive_failures,
            }
            for s in sources
        ],
    }
    return JSONResponse(body, status_code=503 if stale else 200)
