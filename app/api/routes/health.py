"""Liveness and readiness probes.

`/readyz` answers 503 (never 500) with a short reason when the database cannot be reached or
is not at the newest migration; details go to the log only, as this endpoint may be public.
"""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ResourcesDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (says nothing about the database)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(resources: ResourcesDep) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at the head revision."""
    try:
        with resources.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        logger.warning("readiness: database unreachable: %s", _first_line(error))
        return _unavailable("database unreachable")
    except Exception:  # a probe must answer, whatever went wrong
        logger.exception("readiness: unexpected error while checking the database")
        return _unavailable("database check failed")
    if revision != resources.head_revision:
        return _unavailable(
            f"database at revision {revision}, expected {resources.head_revision}",
            revision=revision,
        )
    return JSONResponse({"status": "ready", "revision": revision})


def _unavailable(reason: str, *, revision: str | None = None) -> JSONResponse:
    body = {"status": "unavailable", "reason": reason, "revision": revision}
    return JSONResponse(body, status_code=503)


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
