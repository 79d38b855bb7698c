"""Structured logs for the service: one JSON object per line (or readable console lines), with
the request or event id bound by the code handling it.

Everything goes through the standard `logging` module, so library logs (uvicorn, APScheduler,
SQLAlchemy) come out in the same format; structlog renders them. Bind context with
`structlog.contextvars.bind_contextvars(request_id=...)`.

Left out: uvicorn's `color_message` (the message again, with ANSI colour codes) and the lines
of a probe or scrape that succeeded (`_QuietProbes`): an orchestrator calls /readyz every few
seconds, which would bury the requests that matter.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

LEVEL = logging.INFO
PROBE_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")
_ALEMBIC_PER_CONNECTION = frozenset({"Context impl %s.", "Will assume %s DDL."})
"""What alembic logs each time it looks at a database, as /readyz does on every call."""


class _QuietProbes(logging.Filter):
    """Drops the access line of a request to a probe path (`PROBE_PATHS`, and below them)
    answered below 400, and alembic's per-connection lines; a probe that fails is logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "alembic.runtime.migration":
            return record.msg not in _ALEMBIC_PER_CONNECTION
        if record.name != "uvicorn.access":
            return True
        # uvicorn's access line: '%s - "%s %s HTTP/%s" %d' % (client, method, path, version, status)
        args = record.args
        if not (isinstance(args, tuple) and len(args) == 5):
            return True
        path, status = args[2], args[4]
        if not (isinstance(path, str) and isinstance(status, int)) or status >= 400:
            return True
        path = path.partition("?")[0]
        return not any(path == probe or path.startswith(f"{probe}/") for probe in PROBE_PATHS)


def _drop_color_message(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event.pop("color_message", None)
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is when a line is logged, not as it was when logging was
    configured: a command run in-process (a test's CliRunner, which swaps stderr and closes
    its own afterwards) must not leave later lines writing to a closed stream."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(log_format: str = "json", level: int = LEVEL) -> None:
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.setFormatter(formatter)
    handler.addFilter(_QuietProbes())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
