"""Liveness and readiness probes.

`/readyz` answers 503 (never 500) with a short reason when the database cannot be reached or
its schema is not one this code runs on: not yet migrated to this code's head, or migrated by a
newer release beyond what this one supports. A newer schema that still runs this code (an
expand migration of a rolling upgrade, see app.store.compat) keeps it ready. Details go to the
log only, as this endpoint may be public.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ResourcesDep
from app.store.migrate import schema_status_of

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (says nothing about the database)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(resources: ResourcesDep) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at this code's head revision, or
    at a newer one marked compatible with it."""
    try:
        with resources.engine.connect() as connection:
            status = schema_status_of(connection)
    except SQLAlchemyError as error:
        logger.warning("readiness: database unreachable: %s", _first_line(error))
        return _unavailable("database unreachable")
    except Exception:  # a probe must answer, whatever went wrong
        logger.exception("readiness: unexpected error while checking the database")
        return _unavailable("database check failed")
    revision = status.revision
    if status.state == "incompatible":
        return _unavailable(
            f"database at revision {revision}, newer than {status.head} and not compatible with it",
            revision=revision,
        )
    if not status.usable:
        return _unavailable(
            f"database at revision {revision}, expected {status.head}", revision=revision
        )
    return JSONResponse({"status": "ready", "revision": revision})


def _unavailable(reason: str, *, revision: str | None = None) -> JSONResponse:
    body = {"status": "unavailable", "reason": reason, "revision": revision}
    return JSONResponse(body, status_code=503)


def _first_line(error: SQLAlchemyError) -> str:
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__
