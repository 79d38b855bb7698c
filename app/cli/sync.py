"""`icp-sync setup CRM` and `icp-sync sync`: the scheduled job, run by hand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import (
    JsonOption,
    RubricOption,
    console,
    error_document,
    print_error,
    print_json,
    resolve_rubric,
    user_error_message,
    user_error_types,
)
from app.errors import IcpSyncError

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from app.sync.challengers import Rubrics
    from connectors.base import CrmConnector, SchemaChange


def register(cli: typer.Typer) -> None:
    cli.command("setup")(setup)
    cli.command("sync")(sync)


SALES_PROFILES_STEP = (
    "The integration user can read and edit the ICP fields (permission set "
    "ICP_Sync_Integration). For sales users to see them, an admin grants their profiles or "
    "permission sets read access: Setup → Object Manager → Account and Lead → Fields & "
    "Relationships → each ICP_* field → Set Field-Level Security."
)


def setup(
    source: Annotated[str, typer.Argument(help="The CRM: hubspot or salesforce.")],
    rubric_file: RubricOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create the properties (HubSpot) or custom fields (Salesforce) the writeback needs, and
    on Salesforce give the integration user access to them (safe to run again). Exits 1 with
    the Setup steps an admin takes when the user may not grant itself field access."""
    from app.crm import make_connector
    from app.settings import get_settings
    from connectors.salesforce.field_access import FieldAccessDenied

    rubric = resolve_rubric(rubric_file)
    connector = make_connector(source, get_settings(), rubric)
    try:
        changes = connector.ensure_schema()
    except FieldAccessDenied as denied:
        _report_setup(source, denied.changes, json_output, error=str(denied), steps=denied.steps)
        raise typer.Exit(1) from None
    finally:
        connector.close()
    note = SALES_PROFILES_STEP if source == "salesforce" else None
    _report_setup(source, changes, json_output, note=note)


def _report_setup(
    source: str,
    changes: list[SchemaChange],
    json_output: bool,
    *,
    note: str | None = None,
    error: str | None = None,
    steps: list[str] | None = None,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    if json_output:
        body: dict[str, Any] = {"source": source, "changes": [asdict(c) for c in changes]}
        body.update({"error": error, "steps": steps} if error else {"next": note})
        print_json(body)
    else:
        title = "writeback custom fields" if source == "salesforce" else "writeback properties"
        table = Table(title=f"{source}: {title}", title_justify="left")
        for column in ("kind", "name", "action"):
            table.add_column(column)
        for change in changes:
            table.add_row(change.kind, change.name, change.action)
        console().print(table)
        if note:
            console().print(f"[bold]Next:[/bold] {escape(note)}")
        for number, step in enumerate(steps or [], 1):
            console().print(f"{number}. {escape(step)}")
    if error:  # as main's handler prints a user error
        print_error(error)


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
    source: Annotated[
        str,
        typer.Option(
            "--source", help="The CRM to sync: hubspot, salesforce, or all (those configured)."
        ),
    ] = "hubspot",
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
    """Pull changed accounts (and leads) and deals, score them, and write back what changed.
    One sync per CRM at a time (with `serve`'s schedule and other replicas too): exits 3,
    saying which sync runs since when, if another holds that CRM's sync lock. With `--source
    all`, a CRM that fails does not stop the others; with `--json`, each CRM's report or its
    error (`source`, `error`, `exit_code`) is printed, the failed ones included."""
    from app.cli.rubrics import resolve_rubrics
    from app.crm import ALL, make_connector, resolve_sources
    from app.settings import get_settings
    from app.store.engine import make_engine
    from app.store.migrate import require_usable_schema, upgrade_to_head
    from app.sync.challengers import compiled as compiled_rubrics
    from app.sync.health import secret_values

    settings = get_settings()
    rubrics = resolve_rubrics(rubric_file, settings)
    rubric = rubrics.champion.rubric
    challengers = [c.rubric for c in rubrics.challengers]
    names = resolve_sources(source, settings)
    outcomes: dict[str, dict[str, Any]] = {}
    with ExitStack() as connectors:
        ready: list[CrmConnector] = []
        for name in names:
            try:
                ready.append(
                    connectors.enter_context(
                        closing(make_connector(name, settings, rubric, also=challengers))
                    )
                )
            except IcpSyncError as error:  # its settings are missing or wrong: the others run
                outcomes[name] = error_document(str(error), SYNC_FAILED_EXIT, source=name)
        if ready:
            compiled = compiled_rubrics(rubrics)
            # A dry run changes nothing, the schema included; a sync migrates a new store.
            (require_usable_schema if dry_run else upgrade_to_head)(settings.database_url)
            engine = make_engine(settings.database_url)
            try:
                for connector in ready:
                    outcomes[connector.source] = _outcome(
                        connector,
                        engine,
                        compiled,
                        full,
                        dry_run,
                        json_output,
                        settings.drift,
                        secret_values(settings),
                    )
            finally:
                engine.dispose()
    _report([outcomes[name] for name in names], all_sources=source == ALL, json_output=json_output)


SYNC_FAILED_EXIT = 1
SYNC_RUNNING_EXIT = 3
"""`icp-sync sync`'s exit code when another sync of that CRM holds its lock."""


def _outcome(
    connector: CrmConnector,
    engine: Engine,
    compiled: Rubrics,
    full: bool,
    dry_run: bool,
    quiet: bool,
    drift: str,
    secrets: list[str],
) -> dict[str, Any]:
    """One CRM's sync: its report, or the error it ended with (secret-free, as the main
    handler would print it) and the exit code that error leads to."""
    from app.store.engine import make_session_factory

    source = connector.source
    try:
        with _sync_lock(engine, source, full, dry_run) as running:
            if running:
                message = f"a sync is already running ({running})"
                return error_document(message, SYNC_RUNNING_EXIT, source=source)
            return _sync_one(
                connector,
                make_session_factory(engine),
                compiled,
                full,
                dry_run,
                quiet=quiet,
                drift=drift,
                secrets=secrets,
            )
    except user_error_types() as error:
        return error_document(user_error_message(error), SYNC_FAILED_EXIT, source=source)


def _report(runs: list[dict[str, Any]], *, all_sources: bool, json_output: bool) -> None:
    """Prints every outcome (JSON: a list with `--source all`, else the one object), each
    error also on stderr, and exits 1 if a CRM failed, else 3 if one was busy."""
    failed = [run for run in runs if "error" in run]
    if json_output:
        print_json(runs if all_sources else runs[0])
    else:
        for run in runs:
            if "error" not in run:
                _print_summary(run)
    for run in failed:
        print_error(f"{run['source']}: {run['error']}")
    if failed:
        codes = {run["exit_code"] for run in failed}
        raise typer.Exit(SYNC_FAILED_EXIT if SYNC_FAILED_EXIT in codes else SYNC_RUNNING_EXIT)


@contextmanager
def _sync_lock(engine: Engine, source: str, full: bool, dry_run: bool) -> Iterator[str | None]:
    """Holds the CRM's sync lock for the block and yields None; or, when another process
    holds it, yields who (a dry run writes nothing, so it runs beside any sync, unlocked)."""
    from app.store.locks import cluster_lock, holder_name, lock_holder, sync_lock_name

    if dry_run:
        yield None
        return
    holder = holder_name(f"icp-sync sync{' --full' if full else ''}")
    with cluster_lock(engine, sync_lock_name(source), holder) as held:
        yield None if held else lock_holder(engine, sync_lock_name(source))


def _sync_one(
    connector: CrmConnector,
    session_factory: sessionmaker[Session],
    rubrics: Rubrics,
    full: bool,
    dry_run: bool,
    *,
    quiet: bool,
    drift: str,
    secrets: list[str],
) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from app.sync.orchestrator import run_sync

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
        disable=quiet,
    ) as progress:
        report = run_sync(
            connector,
            session_factory,
            rubrics.champion,
            full=full,
            dry_run=dry_run,
            progress=_Bars(progress),
            drift=drift,
            secrets=secrets,
            challengers=rubrics.challengers,
        )
    return {
        "source": report.source,
        "full": report.full,
        "dry_run": report.dry_run,
        "pulled": dict(report.pulled),
        "scored": report.rescore.scored,
        "changed": report.rescore.changed,
        "challenger_scores": report.rescore.shadow_scored,
        "tier_changes": [
            {"from": old, "to": new, "accounts": count}
            for (old, new), count in sorted(report.rescore.transitions.items())
        ],
        "deleted_in_crm": report.deleted,
        "resumed_full_pulls": report.resumed,
        "completed_full_sync": report.completed_full_sync,
        "written": report.written,
        "confirmed_in_crm": report.confirmed,
        "drifted": report.drifted,
        "failed": report.failed,
        "planned_writes": report.planned if dry_run else None,
        "plan_sample": [asdict(write) for write in report.plan_sample] if dry_run else None,
        "api_calls": report.api_calls,
        "rate_limited": report.rate_limited,
        "retries": report.retries,
        "retried": dict(report.retry_causes.most_common()),
        "reauthentications": report.reauthentications,
        "seconds": round(report.seconds, 2),
    }


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    title = f"{summary['source']} sync" + (
        " (dry run: nothing written)" if summary["dry_run"] else ""
    )
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    for stream, count in summary["pulled"].items():
        table.add_row(f"pulled {stream}", str(count))
    if summary["resumed_full_pulls"]:
        table.add_row("full pulls resumed", ", ".join(summary["resumed_full_pulls"]))
    table.add_row("scored", str(summary["scored"]))
    table.add_row("changed score/tier/flags", str(summary["changed"]))
    if summary["challenger_scores"]:
        table.add_row("challenger scores (shadow, not written)", str(summary["challenger_scores"]))
    if summary["deleted_in_crm"]:
        table.add_row("deleted in the CRM (no longer written)", str(summary["deleted_in_crm"]))
    if summary["drifted"]:
        table.add_row("changed in the CRM by someone else (drift)", str(summary["drifted"]))
    if summary["dry_run"]:
        table.add_row("would write", str(summary["planned_writes"]))
    else:
        table.add_row("written", str(summary["written"]))
        if summary["confirmed_in_crm"]:
            table.add_row("found written by an interrupted run", str(summary["confirmed_in_crm"]))
        table.add_row("failed (retried next sync)", str(summary["failed"]))
    table.add_row("API calls", str(summary["api_calls"]))
    table.add_row("rate-limited (429)", str(summary["rate_limited"]))
    if summary["retries"]:
        causes = ", ".join(f"{count} {cause}" for cause, count in summary["retried"].items())
        table.add_row(f"retried ({causes})", str(summary["retries"]))
    if summary["reauthentications"]:
        table.add_row("expired sessions renewed", str(summary["reauthentications"]))
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
            values = ", ".join(
                f"{k}={v}"
                for k, v in write["values"].items()
                if k.lower() != "icp_reasons__c" and k != "icp_reasons"
            )
            sample.add_row(write["crm_id"], escape(write["name"] or ""), escape(values))
        out.print(sample)
