"""The `--html` option of `validate` and `plan`: a self-contained report written to a file
(:mod:`app.validation.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a self-contained HTML report with charts here."),
]


def write_html(
    path: Path,
    title: str,
    validation: dict[str, Any],
    found: list[Any],
    *,
    plan: dict[str, Any] | None = None,
) -> None:
    from app.errors import IcpSyncError
    from app.validation.report import render, score_histogram

    page = render(title, validation, score_histogram(found), plan=plan)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as error:
        raise IcpSyncError(f"--html: cannot write {path}: {error.strerror}") from None
    typer.echo(f"report written to {path}", err=True)
