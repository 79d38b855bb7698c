"""`icp-sync setup CRM` and `icp-sync sync`: the scheduled job, run by hand."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.cli.common import JsonOption, RubricOption, console, print_json, resolve_rubric


def register(cli: typer.Typer) -> None:
    cli.command("setup")(setup)
    cli.command("sync")(sync)


def setup(
    source: Annotated[str, typer.Argument(help="The CRM: hubspot.")],
    rubric_file: RubricOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create the property group and properties the writeback needs (safe to run again)."""
    from app.crm import make_connector
    from app.settings import get_settings

    rubric = resolve_rubric(rubric_file)
    changes = make_connector(source, get_settings(), rubric).ensure_schema()
    if json_output:
        print_json({"source": source, "changes": [asdict(change) for change in changes]})
        return
    table = Table(title=f"{source}: writeback properties", title_justify="left")
    for column in ("kind", "name", "action"):
        table.add_column(column)
    for change in changes:
        table.add_row(change.kind, change.name, change.action)
    console().print(table)


class _Bars:
    """Rich progress bars for a sync (totals are unknown up front, so they count up)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, Any] = {}

    def _task(self, name: str) -> Any:
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=None)
        return self._tasks[name]

    def pulled(self, stream: str, records: int) -> None:
        self._progress.advance(self._task(f"pull {stream}"), records)

    def written(self, records: int, failed: int) -> None:
        self._progress.advance(self._task("write back"), records + failed)


def sync(
    source: Annotated[str, typer.Option("--source", help="The CRM to sync: hubspot.")] = "hubspot",
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Pull every record, not only those changed since the last sync."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written; write nothing anywhere.")
    ] = False,
    rubric_file: RubricOption = None,
    json_output: JsonOption = False,
) -> None:
    """Pull changed accounts and deals, score them, and write back what changed."""
    from app.crm import make_connector
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head
    from app.sync.orchestrator import run_sync

    settings = get_settings()
    rubric = resolve_rubric(rubric_file)
    connector = make_connector(source, settings, rubric)
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} records"),
            TimeElapsedColumn(),
            console=console(),
            transient=True,
            disable=json_output,
        ) as progress:
            report = run_sync(
                connector,
                make_session_factory(engine),
                compile_rubric(rubric),
                full=full,
                dry_run=dry_run,
                progress=_Bars(progress),
            )
    finally:
        engine.dispose()
    summary = {
        "source": report.source,
        "full": report.full,
        "dry_run": report.dry_run,
        "pulled": dict(report.pulled),
        "scored": report.rescore.scored,
        "changed": report.rescore.changed,
        "tier_changes": [
            {"from": old, "to": new, "accounts": count}
            for (old, new), count in sorted(report.rescore.transitions.items())
        ],
        "deleted_in_crm": report.deleted,
        "written": report.written,
        "failed": report.failed,
        "planned_writes": report.planned if dry_run else None,
        "plan_sample": [asdict(write) for write in report.plan_sample] if dry_run else None,
        "api_calls": report.api_calls,
        "rate_limited": report.rate_limited,
        "retries": report.retries,
        "seconds": round(report.seconds, 2),
    }
    if json_output:
        print_json(summary)
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    out = console()
    title = f"{summary['source']} sync" + (
        " (dry run: nothing written)" if summary["dry_run"] else ""
    )
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    for stream, count in summary["pulled"].items():
        table.add_row(f"pulled {stream}", str(count))
    table.add_row("scored", str(summary["scored"]))
    table.add_row("changed score/tier/flags", str(summary["changed"]))
    if summary["deleted_in_crm"]:
        table.add_row("deleted in the CRM (no longer written)", str(summary["deleted_in_crm"]))
    if summary["dry_run"]:
        table.add_row("would write", str(summary["planned_writes"]))
    else:
        table.add_row("written", str(summary["written"]))
        table.add_row("failed (retried next sync)", str(summary["failed"]))
    table.add_row("API calls", str(summary["api_calls"]))
    table.add_row("rate-limited (429)", str(summary["rate_limited"]))
    table.add_row("seconds", str(summary["seconds"]))
    out.print(table)
    if summary["tier_changes"]:
        changes = Table(title="Tier changes", title_justify="left")
        for column in ("from", "to", "accounts"):
            changes.add_column(column, justify="right" if column == "accounts" else "left")
        for change in summary["tier_changes"]:
            changes.add_row(change["from"], change["to"], str(change["accounts"]))
        out.print(changes)
    if summary["dry_run"] and summary["plan_sample"]:
        sample = Table(title="First planned writes", title_justify="left")
        for column in ("crm id", "name", "values"):
            sample.add_column(column)
        for write in summary["plan_sample"]:
            values = ", ".join(f"{k}={v}" for k, v in write["values"].items() if k != "icp_reasons")
            sample.add_row(write["crm_id"], escape(write["name"] or ""), escape(values))
        out.print(sample)
