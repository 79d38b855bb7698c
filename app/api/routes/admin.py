"""Admin endpoints: the webhook inbox (`icp-sync inbox --json`) and replaying dead-lettered
events (`icp-sync inbox replay`), over HTTP.

**Disabled unless `ICP_SYNC_ADMIN_TOKEN` is set**: without a token every admin endpoint answers
404, as if it did not exist. With one, a request must carry `Authorization: Bearer <token>`;
anything else (no header, another scheme, a wrong token) answers 401 with `WWW-Authenticate:
Bearer`. The token is compared in constant time and never appears in an answer, a log line or
the OpenAPI schema (which declares the bearer scheme, not its value).

The token is checked before the request body is read, so an unauthenticated caller cannot make
the service read or parse anything (see `_AdminRoute`); the same check is also the routes'
security dependency, which is what puts the scheme in the OpenAPI schema.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import ResourcesDep, resources_of
from app.inbox import queue
from app.inbox.state import inbox_state
from app.settings import Settings

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 30
MAX_REPLAY_IDS = 1000
MAX_EVENT_ID = 2**31 - 1
"""Inbox ids are 32-bit integers on PostgreSQL: a larger one cannot exist (and would make
PostgreSQL refuse the query)."""

_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="`Authorization: Bearer <ICP_SYNC_ADMIN_TOKEN>`. Without that setting the "
    "admin endpoints are disabled and answer 404.",
)
_NOT_FOUND = "Not Found"  # what FastAPI answers for a path that does not exist


class Problem(BaseModel):
    """Why the request was refused; never contains the token."""

    detail: str = Field(description="What is wrong.")


def _authorize(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    """Raises 404 when no admin token is configured, 401 unless `credentials` is that token."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token:
        raise HTTPException(404, _NOT_FOUND)
    if credentials is None:
        logger.warning("admin: request without a bearer token refused")
        raise HTTPException(
            401,
            "missing bearer token: send Authorization: Bearer <ICP_SYNC_ADMIN_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        logger.warning("admin: request with a wrong bearer token refused")
        raise HTTPException(
            401,
            "invalid bearer token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
) -> None:
    """The security dependency of every admin route."""
    _authorize(resources_of(request).settings, credentials)


class _AdminRoute(APIRoute):
    """Authorizes the request before FastAPI reads and parses its body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authorized_first(request: Request) -> Response:
            _authorize(resources_of(request).settings, await _BEARER(request))
            return await handler(request)

        return authorized_first


_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {
        "model": Problem,
        "description": "No bearer token, another scheme, or a wrong token.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    404: {"model": Problem, "description": "Admin endpoints disabled: no ICP_SYNC_ADMIN_TOKEN."},
    503: {
        "model": Problem,
        "description": "The database is unavailable; retry after `Retry-After`.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    route_class=_AdminRoute,
    dependencies=[Security(require_admin)],
    responses=_REFUSALS,
)

Status = Literal["pending", "processing", "done", "dead"]


class InboxEvent(BaseModel):
    id: int
    source: str
    event_id: str = Field(description="The CRM's id of the notification.")
    event_type: str
    object_type: str
    object_id: str = Field(description="The record's CRM id.")
    status: Status
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    last_error: str | None = Field(description="Why the last attempt failed.")


class InboxCounts(BaseModel):
    pending: int
    processing: int
    done: int
    dead: int


class InboxState(BaseModel):
    """What `icp-sync inbox --json` prints."""

    counts: InboxCounts = Field(description="Events per status.")
    oldest_waiting_seconds: float | None = Field(
        description="Age of the oldest pending or processing event; null when none waits."
    )
    status: Status = Field(description="The status of the events listed.")
    events: list[InboxEvent] = Field(description="The newest events of that status.")


def _json_integer(value: Any) -> Any:
    """JSON Schema's integer: `7` or `7.0`, never `true` or `"7"` (which pydantic would take)."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _json_true(value: Any) -> Any:
    """`true` only: not `1` (which equals True in Python)."""
    if value is not True:
        raise PydanticCustomError("literal_error", "Input should be True")
    return value


EventIds = Annotated[
    list[Annotated[int, Field(ge=1, le=MAX_EVENT_ID), BeforeValidator(_json_integer)]],
    Field(min_length=1, max_length=MAX_REPLAY_IDS),
]


def _replay_schema(schema: dict[str, Any]) -> None:
    """Exactly one key; neither may be null (None is only what an absent key reads as), and no
    `default: null` a client could take for a value to send."""
    for name, field in schema["properties"].items():
        field.pop("default", None)
        sent = [member for member in field.pop("anyOf", []) if member != {"type": "null"}]
        schema["properties"][name] = {**field, **(sent[0] if sent else {})}
    schema["oneOf"] = [{"required": ["ids"]}, {"required": ["all_dead"]}]


class ReplayRequest(BaseModel):
    """Exactly one of `ids` and `all_dead` (neither may be null)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_replay_schema)

    ids: EventIds | None = Field(
        default=None, description="Dead-lettered event ids (see `GET /admin/inbox`)."
    )
    all_dead: Annotated[Literal[True], BeforeValidator(_json_true)] | None = Field(
        default=None, description="Replay every dead event."
    )

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        # Unknown keys are left to `extra="forbid"`, which names them.
        if isinstance(data, dict) and set(data) <= {"ids", "all_dead"} and len(data) != 1:
            raise ValueError("give exactly one of `ids` and `all_dead`")
        return data

    @field_validator("ids", "all_dead", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise ValueError(f"`{info.field_name}` may not be null")
        return value


class Replayed(BaseModel):
    """What `icp-sync inbox replay --json` prints."""

    requeued: int = Field(description="Dead-lettered events put back in the queue.")
    not_dead: list[int] = Field(
        description="Ids asked for that are not dead-lettered (unknown, pending, done): left alone."
    )


def _unavailable(error: SQLAlchemyError) -> HTTPException:
    cause = getattr(error, "orig", None) or error
    logger.warning(
        "admin: database unavailable, answered 503: %s",
        (str(cause).strip().splitlines() or [type(cause).__name__])[0],
    )
    return HTTPException(
        503,
        "the database is unavailable, retry later",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


@router.get("/inbox", response_model=InboxState, summary="The webhook inbox")
def get_inbox(
    resources: ResourcesDep,
    status: Annotated[Status, Query(description="Events to list.")] = "dead",
    limit: Annotated[int, Query(ge=1, le=10_000, description="How many to list.")] = 20,
) -> dict[str, Any]:
    """Events per status, the oldest waiting event's age, and the newest events of one status
    (dead-lettered by default) with their attempts and last error: `icp-sync inbox --json`."""
    try:
        with resources.session_factory() as session:
            return inbox_state(session, datetime.now(UTC), status=status, limit=limit)
    except SQLAlchemyError as error:
        raise _unavailable(error) from None


@router.post(
    "/inbox/replay",
    response_model=Replayed,
    summary="Replay dead-lettered events",
    responses={400: {"model": Problem, "description": "The body cannot be read (not UTF-8)."}},
)
def replay_inbox(resources: ResourcesDep, body: ReplayRequest) -> Replayed:
    """Puts dead-lettered events back in the queue with fresh attempts (after fixing what made
    them fail): `{"ids": [...]}` or `{"all_dead": true}`, as `icp-sync inbox replay`. Ids that
    are not dead-lettered are left alone and listed in `not_dead`."""
    try:
        with resources.session_factory() as session:
            done = queue.replay(session, datetime.now(UTC), None if body.all_dead else body.ids)
            session.commit()
    except SQLAlchemyError as error:
        raise _unavailable(error) from None
    logger.info("admin: %d dead-lettered events replayed", done.requeued)
    return Replayed(requeued=done.requeued, not_dead=done.not_dead)
