"""`icp-sync rescore`: roll the current rubric out to every stored account, from the store."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from app.cli.common import (
    JsonOption,
    RubricOption,
    console,
    print_error,
    print_json,
)

RESCORE_BUSY_EXIT = 3
"""As `icp-sync sync`'s: another process holds a CRM's sync lock."""


def register(cli: typer.Typer) -> None:
    cli.command("rescore")(rescore)


def rescore(
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="The CRM to roll out to: hubspot, salesforce, or all (those configured; "
            "the default).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would change (tier transitions, writes); "
                     "write nothing anywhere."),
    ] = False,
    rubric_file: RubricOption = None,
    json_output: JsonOption = False,
) -> None:  # fmt: skip
    """Score every stored live account and lead with the current rubric, from the store (no CRM
    pull), and write back what changed, batched and paced as a sync writes; then record the
    rubric as rolled out (what `serve` checks at start). Takes each CRM's sync lock: exits 3,
    naming the holder, when a sync or another roll-out of that CRM runs."""
    from app.cli.rubrics import resolve_rubrics
    from app.crm import ALL, resolve_sources
    from app.settings import get_settings
    from app.store.engine import make_engine
    from app.store.migrate import require_usable_schema, upgrade_to_head
    from app.sync.challengers import compiled
    from app.sync.rollout import roll_out

    settings = get_settings()
    rubrics = compiled(resolve_rubrics(rubric_file, settings))
    resolve_sources(source or ALL, settings)  # an unknown CRM, or none configured: named
    source = None if source == ALL else source
    (require_usable_schema if dry_run else upgrade_to_head)(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        report = roll_out(
            settings,
            rubrics.champion.rubric,
            engine,
            source=source,
            dry_run=dry_run,
            reason="icp-sync rescore",
            challengers=rubrics.challengers,
        )
    finally:
        engine.dispose()
    document = report.as_json()
    if json_output:
        print_json(document)
    else:
        _print(document)
    for entry in report.busy:
        print_error(f"{entry.source}: a sync is already running ({entry.busy})")
    if report.busy:
        raise typer.Exit(RESCORE_BUSY_EXIT)


def _print(document: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    for entry in document["sources"]:
        if entry["busy"]:
            continue
        title = f"{entry['source']}: rubric {document['rubric_version']}" + (
            " (dry run: nothing written)" if document["dry_run"] else ""
        )
        table = Table(title=title, title_justify="left")
        table.add_column("")
        table.add_column("count", justify="right")
        table.add_row("previously rolled out", entry["previous_version"] or "not recorded")
        table.add_row("accounts and leads", str(entry["accounts"]))
        table.add_row("rescored", str(entry["scored"]))
        table.add_row("changed score/tier/flags/version", str(entry["changed"]))
        if document["dry_run"]:
            table.add_row("would write", str(entry["planned_writes"]))
        else:
            table.add_row("written", str(entry["written"] + entry["confirmed_in_crm"]))
            table.add_row("failed (retried later)", str(entry["failed"]))
            table.add_row("left on another version", str(entry["left_on_other_version"]))
            table.add_row("complete", "yes" if entry["completed"] else "no")
        table.add_row("seconds", str(entry["seconds"]))
        out.print(table)
        if entry["tier_changes"]:
            changes = Table(title="Tier changes", title_justify="left")
            for column in ("from", "to", "accounts"):
                changes.add_column(column, justify="right" if column == "accounts" else "left")
            for change in entry["tier_changes"]:
                changes.add_row(change["from"], change["to"], str(change["accounts"]))
            out.print(changes)
