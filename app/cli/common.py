"""What the CLI commands share: rubric resolution, `--as-of`, and JSON output."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from app.errors import IcpSyncError
from app.rubric import DEFAULT_RUBRIC_PATH, Rubric, load_rubric
from app.settings import get_settings

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
RubricOption = Annotated[
    Path | None,
    typer.Option(
        "--rubric",
        help="Rubric YAML file. Default: ICP_SYNC_RUBRIC, else the shipped default rubric.",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Score as of this ISO-8601 date or time (UTC if no offset); default: now. "
        "Recency criteria count days up to it.",
    ),
]


def console() -> Console:
    return Console(highlight=False)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def rubric_path(option: Path | None) -> Path:
    if option is not None:
        return option
    return get_settings().rubric or DEFAULT_RUBRIC_PATH


def resolve_rubric(option: Path | None) -> Rubric:
    return load_rubric(rubric_path(option))


def as_of(option: str | None) -> datetime:
    if option is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(option)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise IcpSyncError(
            f"--as-of: expected an ISO-8601 date or time such as 2026-11-23, got {option!r}"
        ) from None
