"""`icp-sync validate`: how well the rubric's tiers and score separate won from lost deals,
on the stored accounts and their closed deals (HubSpot deals and Salesforce Opportunities)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import (
    JsonOption,
    RubricOption,
    console,
    print_json,
    resolve_rubric,
    rubric_path,
)
from app.cli.html_report import HtmlOption
from app.cli.html_report import write_html as _write_html
from app.validation.figures import num, pct, pct_interval, ratio

if TYPE_CHECKING:
    from app.settings import Settings
    from app.validation.columns import OutcomeColumns


def register(cli: typer.Typer) -> None:
    cli.command("validate")(validate)


def validate(
    rubric_file: RubricOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only deals closed on or after this date (YYYY-MM-DD).")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only this CRM's deals: hubspot or salesforce.")
    ] = None,
    html: HtmlOption = None,
    json_output: JsonOption = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="The champion and challengers of ICP_SYNC_RUBRIC_DIR side by side, on the "
            "deals closed after all of them were scoring.",
        ),
    ] = False,
) -> None:
    """Win rate per tier and its lift over the base rate, the score's ROC AUC with a bootstrap
    interval, which criteria earn their weight, what the negative ICP would have thrown away,
    tiers by quarter (ICP decay), and warnings where the sample is too thin to conclude. The
    run's figures are kept in the store for the dashboard."""
    from app.cli.progress import progress
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.collection import collection_paused
    from app.validation.load import population_columns
    from app.validation.populations import ACCOUNTS, CONTACTS
    from app.validation.validate_report import validation_report

    first_day: date | None = None
    if since is not None:
        try:
            first_day = date.fromisoformat(since)
        except ValueError:
            raise IcpSyncError(f"--since: expected a date YYYY-MM-DD, got {since!r}") from None
    if source not in (None, "hubspot", "salesforce"):
        raise IcpSyncError(f"--source: expected hubspot or salesforce, got {source!r}")
    if compare:
        from app.cli.compare import compare_rubrics

        if rubric_file is not None or html is not None:
            raise IcpSyncError(
                "--compare takes the rubric directory's rubrics, not --rubric or --html"
            )
        compare_rubrics(first_day, source, json_output=json_output)
        return
    path = rubric_path(rubric_file)
    rubric = resolve_rubric(path)
    settings = get_settings()
    require_usable_schema(settings.database_url)
    started = datetime.now(UTC)
    engine = make_engine(settings.database_url)
    try:
        with (
            make_session_factory(engine)() as session,
            collection_paused(),
            progress("reading and scoring closed deals") as advance,
        ):
            populations = population_columns(
                session,
                compile_rubric(rubric),
                now=started,
                since=first_day,
                source=source,
                progress=advance,
            )
    finally:
        engine.dispose()
    found, contacts = populations[ACCOUNTS], populations[CONTACTS]
    with progress(f"statistics on {len(found) + len(contacts):,} closed deals"):
        report = validation_report(populations, rubric)
    _store_run(settings, path, (first_day, source), started, report, found)
    if html is not None:
        _write_html(html, f"ICP validation — rubric {rubric.version}", report, found.outcomes())
    if json_output:
        print_json(report)
        return
    _print(report)


def _store_run(
    settings: Settings,
    path: Path,
    filters: tuple[date | None, str | None],
    started: datetime,
    report: dict[str, Any],
    outcomes: OutcomeColumns,
) -> None:
    """Kept for the dashboard: a store that cannot take it only warns."""
    from app.sync.health import secret_values
    from app.validation.runs import CLI, VALIDATE, directory_name, store_quietly, validate_document

    since, source = filters
    store_quietly(
        settings.database_url,
        secret_values(settings),
        kind=VALIDATE,
        trigger=CLI,
        rubric_name=directory_name(path, settings.rubric_dir),
        rubric_version=report["rubric_version"],
        source=source,
        since=since,
        report=validate_document(report, outcomes),
        started_at=started,
        finished_at=datetime.now(UTC),
    )


def _print(report: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"rubric {report['rubric_version']}: {report['closed']} closed deals, "
        f"{report['won']} won (base win rate {pct(report['base_win_rate'])})"
        f", from {report.get('accounts', 0)} accounts"
    )
    _print_figures(report)
    contacts = report.get("contacts")
    if contacts:
        out.print(
            f"\nHubSpot contacts (their own deals, scored with their company's data, resampled"
            f" by company): {contacts['closed']} closed deals, {contacts['won']} won (base win"
            f" rate {pct(contacts['base_win_rate'])}), from {contacts['contacts']} contacts at"
            f" {contacts['companies']} companies and {contacts['without_company']} without one"
        )
        _print_figures(contacts)


def _print_figures(report: dict[str, Any]) -> None:
    """Every table of one population's figures, its verdicts and warnings."""
    from rich.table import Table

    out = console()
    tiers = Table(title="Win rate by tier", title_justify="left")
    for column in ("tier", "won", "lost", "closed", "win rate", "95% interval", "lift"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for row in report["tiers"]:
        tiers.add_row(
            row["tier"],
            str(row["won"]),
            str(row["lost"]),
            str(row["closed"]),
            pct(row["win_rate"]),
            pct_interval(row.get("win_rate_interval")),
            ratio(row["lift"]),
        )
    out.print(tiers)
    interval = report.get("auc_interval")
    out.print(
        f"score separates won from lost: ROC AUC {num(report['auc'])}"
        + (f" (95% interval {num(interval[0])}–{num(interval[1])})" if interval else "")
    )
    criteria = Table(
        title="Criteria: win rate when high (≥ 50 points) vs not", title_justify="left"
    )
    for column in (
        "criterion",
        "high: closed",
        "high: win rate",
        "low: closed",
        "low: win rate",
        "difference",
    ):
        criteria.add_column(column, justify="left" if column == "criterion" else "right")
    for row in report["criteria"]:
        criteria.add_row(
            row["criterion"],
            str(row["high_closed"]),
            pct(row["high_win_rate"]),
            str(row["low_closed"]),
            pct(row["low_win_rate"]),
            pct(row["difference"]),
        )
    out.print(criteria)
    if report["disqualifiers"]:
        flags = Table(title="Negative ICP: what it would have thrown away", title_justify="left")
        for column in ("disqualifier", "flagged", "won thrown away", "precision"):
            flags.add_column(column, justify="left" if column == "disqualifier" else "right")
        for row in report["disqualifiers"]:
            flags.add_row(
                row["flag"],
                str(row["flagged"]),
                str(row["won_thrown_away"]),
                pct(row["precision"]),
            )
        out.print(flags)
    quarters: dict[str, dict[str, Any]] = {}
    for row in report["quarters"]:
        quarters.setdefault(row["quarter"], {})[row["tier"]] = row
    if quarters:
        tier_names = [row["tier"] for row in report["tiers"]]
        decay = Table(title="Win rate by tier and quarter (closed deals)", title_justify="left")
        decay.add_column("quarter")
        for name in tier_names:
            decay.add_column(name, justify="right")
        for quarter, cells in quarters.items():
            decay.add_row(
                quarter,
                *(
                    f"{pct(cells[name]['win_rate'])} ({cells[name]['closed']})"
                    if name in cells
                    else "—"
                    for name in tier_names
                ),
            )
        out.print(decay)
    _print_verdicts(report.get("verdicts", []))
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {warning}")


def _print_verdicts(verdicts: list[dict[str, Any]]) -> None:
    """One line per verdict, plain sentences: the rubric's first (README, "Verdicts")."""
    from rich.markup import escape

    out = console()
    if not verdicts:
        return
    out.print("Verdicts:")
    for verdict in verdicts:
        good = verdict["kind"] == "rubric_separates"
        mark = "[green]✓[/green]" if good else "[red]✗[/red]" if verdict["significant"] else "•"
        out.print(f"  {mark} {escape(verdict['message'])}")
