"""`icp-sync plan`: what a new rubric would change, before it ships."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import JsonOption, console, print_json, resolve_rubric
from app.cli.html_report import HtmlOption
from app.cli.html_report import write_html as _write_html
from app.validation.figures import num, pct

if TYPE_CHECKING:
    from rich.console import Console

    from app.validation.discarded import Discarded, DiscardedWon
    from app.validation.plan import Comparison


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
    the validation figures of both rubrics side by side. Nothing is stored and nothing is
    written to a CRM."""
    from app.cli.progress import progress
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.accounts import ScoredAccounts
    from app.validation.collection import collection_paused
    from app.validation.discarded import discarded_won
    from app.validation.load import outcome_columns
    from app.validation.plan import compare
    from app.validation.rubric_validation import validate_rubric

    if source not in (None, "hubspot", "salesforce"):
        raise IcpSyncError(f"--source: expected hubspot or salesforce, got {source!r}")
    champion_rubric = resolve_rubric(current)
    challenger_rubric = resolve_rubric(rubric_file)
    champion, challenger = compile_rubric(champion_rubric), compile_rubric(challenger_rubric)
    now = datetime.now(UTC)
    settings = get_settings()
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session, collection_paused():
            with progress("reading and scoring accounts and closed deals") as advance:
                accounts = ScoredAccounts(session, now=now, source=source, progress=advance)
                comparison = compare(
                    session, champion, challenger, now=now, source=source, accounts=accounts
                )
                discarded = discarded_won(session, comparison.newly_disqualified)
                found = {
                    name: outcome_columns(
                        session, rubric, now=now, source=source, accounts=accounts
                    )
                    for name, rubric in (("champion", champion), ("challenger", challenger))
                }
            with progress("statistics on both rubrics' closed deals"):
                figures = {
                    name: asdict(validate_rubric(found[name], rubric))
                    for name, rubric in (
                        ("champion", champion_rubric),
                        ("challenger", challenger_rubric),
                    )
                }
    finally:
        engine.dispose()
    report = {
        "champion_version": champion_rubric.version,
        "challenger_version": challenger_rubric.version,
        "accounts": comparison.accounts,
        "changed": len(comparison.changed),
        "transitions": comparison.transitions,
        "newly_disqualified": [asdict(c) for c in comparison.newly_disqualified],
        "changes": [asdict(c) for c in comparison.changed[:limit]],
        "validation": figures,
        "no_longer_disqualified": [asdict(c) for c in comparison.no_longer_disqualified],
        "discarded": _discarded_json(discarded),
    }
    if csv_path is not None:
        _write_csv(csv_path, comparison)
    if html is not None:
        title = f"ICP plan — {challenger_rubric.version} against {champion_rubric.version}"
        _write_html(html, title, figures["challenger"], found["challenger"].outcomes(), plan=report)
    if json_output:
        print_json(report)
        return
    _print_plan(report)


def _discarded_json(discarded: DiscardedWon) -> dict[str, Any]:
    """The won deals thrown away, revenue as a JSON number (`Deal.amount` has cents only)."""

    def row(found: Discarded) -> dict[str, Any]:
        return {**asdict(found), "revenue": float(found.revenue)}

    return {"total": row(discarded.total), "by_flag": [row(r) for r in discarded.by_flag]}


def _write_csv(path: Path, comparison: Comparison) -> None:
    from app.errors import IcpSyncError
    from app.validation.plan_csv import write_changes

    rows = (*comparison.newly_disqualified, *comparison.no_longer_disqualified)
    try:
        written = write_changes(path, rows)
    except OSError as error:
        raise IcpSyncError(f"--csv: cannot write {path}: {error.strerror}") from None
    typer.echo(f"{written} accounts into or out of disqualified written to {path}", err=True)


def _print_plan(report: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.print(
        f"{report['challenger_version']} against {report['champion_version']}: "
        f"{report['changed']} of {report['accounts']} accounts change, "
        f"{len(report['newly_disqualified'])} newly disqualified, "
        f"{len(report['no_longer_disqualified'])} no longer disqualified (nothing written)"
    )
    listed = [row["tier"] for row in report["validation"]["champion"]["tiers"]]
    seen = {t for row in report["transitions"].values() for t in row} | set(report["transitions"])
    tiers = [t for t in listed if t in seen] + sorted(seen - set(listed))
    matrix = Table(
        title="Tier transitions (rows: now, columns: with the new rubric)", title_justify="left"
    )
    matrix.add_column("now")
    for tier in tiers:
        matrix.add_column(tier, justify="right")
    for tier in tiers:
        row = report["transitions"].get(tier, {})
        matrix.add_row(tier, *(str(row.get(other, 0)) for other in tiers))
    out.print(matrix)
    if report["changes"]:
        changes = Table(title="Largest changes", title_justify="left")
        for column in ("crm", "id", "name", "tier", "score"):
            changes.add_column(column)
        for change in report["changes"]:
            changes.add_row(
                change["source"],
                change["crm_id"],
                escape(change["name"] or ""),
                f"{change['tier_before']} → {change['tier_after']}",
                f"{change['score_before']} → {change['score_after']}",
            )
        out.print(changes)
    _print_disqualified(out, report)
    side = Table(title="Validation on closed deals: champion vs challenger", title_justify="left")
    for column in ("figure", "champion", "challenger"):
        side.add_column(column, justify="left" if column == "figure" else "right")
    champion, challenger = report["validation"]["champion"], report["validation"]["challenger"]
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
    from rich.markup import escape
    from rich.table import Table

    from app.validation.plan import SHOWN

    for key, title in (
        ("newly_disqualified", "Newly disqualified"),
        ("no_longer_disqualified", "No longer disqualified"),
    ):
        rows = report[key]
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
