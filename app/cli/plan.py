"""`icp-sync plan`: what a new rubric would change, before it ships."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import JsonOption, console, resolve_rubric, rubric_path
from app.cli.html_report import HtmlOption
from app.cli.html_report import write_html as _write_html
from app.validation.figures import num, pct

if TYPE_CHECKING:
    from rich.console import Console

    from app.settings import Settings
    from app.validation.plan import Comparison
    from app.validation.plan_report import PlanReport


def register(cli: typer.Typer) -> None:
    cli.command("plan")(plan)


def plan(
    rubric_file: Annotated[
        Path, typer.Option("--rubric", help="The new rubric (challenger) to preview.")
    ],
    current: Annotated[
        Path | None,
        typer.Option(
            help="The rubric in use (champion). Default: ICP_SYNC_RUBRIC, else the shipped default."
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only this CRM's accounts: hubspot or salesforce.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Changed accounts to list.")] = 20,
    html: HtmlOption = None,
    json_output: JsonOption = False,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Also write every account whose tier changes into or out of disqualified "
            "to this CSV file.",
        ),
    ] = None,
) -> None:
    """Preview a rubric change on every stored account before it ships: the tier transition
    matrix, the accounts that change, every account newly disqualified or no longer
    disqualified, the won deals and revenue the new disqualifiers would have thrown away, and
    the validation figures of both rubrics side by side. Nothing is written to a CRM; the
    run's figures are kept in the store for the dashboard."""
    from app.cli.progress import progress
    from app.errors import IcpSyncError
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.collection import collection_paused
    from app.validation.json_out import Lazy, write_json
    from app.validation.plan_report import plan_inputs, plan_report

    if source not in (None, "hubspot", "salesforce"):
        raise IcpSyncError(f"--source: expected hubspot or salesforce, got {source!r}")
    champion_path = rubric_path(current)
    champion_rubric = resolve_rubric(champion_path)
    challenger_rubric = resolve_rubric(rubric_file)
    now = datetime.now(UTC)
    settings = get_settings()
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session, collection_paused():
            with progress("reading and scoring accounts and closed deals") as advance:
                inputs = plan_inputs(
                    session,
                    champion_rubric,
                    challenger_rubric,
                    now=now,
                    source=source,
                    keep=limit,
                    progress=advance,
                )
            with progress("statistics on both rubrics' closed deals"):
                planned = plan_report(inputs, champion_rubric, challenger_rubric, keep=limit)
    finally:
        engine.dispose()
    report, comparison = planned.document, planned.comparison
    _store_run(settings, (champion_path, rubric_file), source, now, planned)
    if csv_path is not None:
        _write_csv(csv_path, comparison)
    if html is not None:
        title = f"ICP plan — {challenger_rubric.version} against {champion_rubric.version}"
        figures = report["validation"]["challenger"]
        _write_html(html, title, figures, planned.challenger_outcomes.outcomes(), plan=report)
    if json_output:
        lazy = ("newly_disqualified", "no_longer_disqualified")

        def lazily(part: dict[str, Any]) -> dict[str, Any]:
            return {k: Lazy(v) if k in lazy else v for k, v in part.items()}

        document = lazily(report)
        if "contacts" in report:
            document["contacts"] = lazily(report["contacts"])
        write_json(document, sys.stdout)
        return
    _print_plan(report)


def _store_run(
    settings: Settings,
    paths: tuple[Path, Path],
    source: str | None,
    started: datetime,
    planned: PlanReport,
) -> None:
    """Kept for the dashboard: a store that cannot take it only warns."""
    from app.sync.health import secret_values
    from app.validation.runs import CLI, PLAN, directory_name, plan_document, store_quietly

    champion, challenger = paths
    report = planned.document
    store_quietly(
        settings.database_url,
        secret_values(settings),
        kind=PLAN,
        trigger=CLI,
        rubric_name=directory_name(champion, settings.rubric_dir),
        rubric_version=report["champion_version"],
        challenger_name=directory_name(challenger, settings.rubric_dir),
        challenger_version=report["challenger_version"],
        source=source,
        report=plan_document(report, planned.challenger_outcomes),
        started_at=started,
        finished_at=datetime.now(UTC),
    )


def _write_csv(path: Path, comparison: Comparison) -> None:
    from itertools import chain

    from app.errors import IcpSyncError
    from app.validation.plan_csv import write_changes

    rows = chain(comparison.newly_disqualified, comparison.no_longer_disqualified)
    if comparison.contacts is not None:  # after the accounts: a contact's type says so
        contacts = comparison.contacts
        rows = chain(rows, contacts.newly_disqualified, contacts.no_longer_disqualified)
    try:
        written = write_changes(path, rows)
    except OSError as error:
        raise IcpSyncError(f"--csv: cannot write {path}: {error.strerror}") from None
    typer.echo(f"{written} accounts into or out of disqualified written to {path}", err=True)


def _print_plan(report: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"{report['challenger_version']} against {report['champion_version']}: "
        f"{report['changed']} of {report['accounts']} accounts change, "
        f"{len(report['newly_disqualified'])} newly disqualified, "
        f"{len(report['no_longer_disqualified'])} no longer disqualified (nothing written)"
    )
    listed = [row["tier"] for row in report["validation"]["champion"]["tiers"]]
    _print_movement(out, report, listed, "Tier transitions")
    _print_disqualified(out, report)
    _print_side_by_side(out, report["validation"], "Validation on closed deals")
    contacts = report.get("contacts")
    if contacts is None:
        return
    out.print(
        f"\nHubSpot contacts (scored with their company's data): {contacts['changed']} of"
        f" {contacts['contacts']} contacts change, {len(contacts['newly_disqualified'])} newly"
        f" disqualified, {len(contacts['no_longer_disqualified'])} no longer disqualified"
    )
    _print_movement(out, contacts, listed, "Contacts: tier transitions")
    _print_lists(out, contacts)
    if contacts["validation"]["champion"] and contacts["validation"]["challenger"]:
        title = "Validation on contacts' closed deals (resampled by company)"
        _print_side_by_side(out, contacts["validation"], title)


def _print_movement(out: Console, part: dict[str, Any], listed: list[str], title: str) -> None:
    """The tier transition matrix and the largest changes of accounts (or contacts)."""
    from rich.markup import escape
    from rich.table import Table

    seen = {t for row in part["transitions"].values() for t in row} | set(part["transitions"])
    tiers = [t for t in listed if t in seen] + sorted(seen - set(listed))
    matrix = Table(title=f"{title} (rows: now, columns: with the new rubric)", title_justify="left")
    matrix.add_column("now")
    for tier in tiers:
        matrix.add_column(tier, justify="right")
    for tier in tiers:
        row = part["transitions"].get(tier, {})
        matrix.add_row(tier, *(str(row.get(other, 0)) for other in tiers))
    out.print(matrix)
    if part["changes"]:
        changes = Table(title="Largest changes", title_justify="left")
        for column in ("crm", "id", "name", "tier", "score"):
            changes.add_column(column)
        for change in part["changes"]:
            changes.add_row(
                change["source"],
                change["crm_id"],
                escape(change["name"] or ""),
                f"{change['tier_before']} → {change['tier_after']}",
                f"{change['score_before']} → {change['score_after']}",
            )
        out.print(changes)


def _print_side_by_side(out: Console, validation: dict[str, Any], title: str) -> None:
    from rich.table import Table

    side = Table(title=f"{title}: champion vs challenger", title_justify="left")
    for column in ("figure", "champion", "challenger"):
        side.add_column(column, justify="left" if column == "figure" else "right")
    champion, challenger = validation["champion"], validation["challenger"]
    side.add_row("ROC AUC", num(champion["auc"]), num(challenger["auc"]))
    side.add_row(
        "ROC AUC: 95% interval",
        *(
            f"{num(found['auc_interval'][0])}–{num(found['auc_interval'][1])}"
            if found.get("auc_interval")
            else "—"
            for found in (champion, challenger)
        ),
    )
    for name in [row["tier"] for row in champion["tiers"]]:
        before = next((r for r in champion["tiers"] if r["tier"] == name), None)
        after = next((r for r in challenger["tiers"] if r["tier"] == name), None)
        side.add_row(
            f"{name} win rate (closed)",
            f"{pct(before['win_rate'])} ({before['closed']})" if before else "—",
            f"{pct(after['win_rate'])} ({after['closed']})" if after else "—",
        )
    out.print(side)


def _print_disqualified(out: Console, report: dict[str, Any]) -> None:
    """Every account into or out of disqualified (the first `SHOWN` of each), then the won
    deals and revenue the new disqualifiers would have thrown away."""
    from rich.table import Table

    _print_lists(out, report)
    discarded = report["discarded"]
    if not report["newly_disqualified"]:
        return
    table = Table(
        title="Won deals the new disqualifiers would have thrown away", title_justify="left"
    )
    for column in ("new disqualifier", "accounts", "won deals", "revenue", "no amount"):
        table.add_column(column, justify="left" if column == "new disqualifier" else "right")
    for row in (*discarded["by_flag"], discarded["total"]):
        table.add_row(
            row["flag"] or "all (a deal once)",
            str(row["accounts"]),
            str(row["won_deals"]),
            f"{row['revenue']:,.2f}",
            str(row["won_deals_without_amount"]),
        )
    out.print(table)


def _print_lists(out: Console, part: dict[str, Any]) -> None:
    """Every account (or contact) into or out of disqualified, the first `SHOWN` of each."""
    from rich.markup import escape
    from rich.table import Table

    from app.validation.plan import SHOWN

    for key, title in (
        ("newly_disqualified", "Newly disqualified"),
        ("no_longer_disqualified", "No longer disqualified"),
    ):
        rows = part[key]
        if not rows:
            continue
        shown = (
            f"the first {SHOWN} of {len(rows)} (--json and --csv list every one)"
            if len(rows) > SHOWN
            else f"all {len(rows)}"
        )
        table = Table(title=f"{title}: {shown}", title_justify="left")
        for column in ("crm", "type", "id", "name", "tier", "score", "flags"):
            table.add_column(column)
        for change in rows[:SHOWN]:
            flags = [f"+{f}" for f in change["flags_added"]]
            flags += [f"-{f}" for f in change["flags_removed"]]
            table.add_row(
                change["source"],
                change["object_type"],
                escape(change["crm_id"]),
                escape(change["name"] or ""),
                f"{change['tier_before']} → {change['tier_after']}",
                f"{change['score_before']} → {change['score_after']}",
                " ".join(flags),
            )
        out.print(table)
