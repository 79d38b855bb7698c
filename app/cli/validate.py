"""`icp-sync validate`: how well the rubric's tiers and score separate won from lost deals,
on the stored accounts and their closed deals (HubSpot deals and Salesforce Opportunities);
`icp-sync plan`: what a new rubric would change, before it ships."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import JsonOption, RubricOption, console, print_json, resolve_rubric

if TYPE_CHECKING:
    from rich.console import Console

    from app.validation.discarded import Discarded, DiscardedWon
    from app.validation.plan import Comparison

DQ = "disqualified"
HtmlOption = Annotated[
    Path | None,
    typer.Option("--html", help="Also write a self-contained HTML report with charts here."),
]


def register(cli: typer.Typer) -> None:
    cli.command("validate")(validate)
    cli.command("plan")(plan)


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
    tiers by quarter (ICP decay), and warnings where the sample is too thin to conclude."""
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.judge import judge
    from app.validation.load import outcomes

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
    rubric = resolve_rubric(rubric_file)
    settings = get_settings()
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            found = outcomes(
                session,
                compile_rubric(rubric),
                now=datetime.now(UTC),
                since=first_day,
                source=source,
            )
    finally:
        engine.dispose()
    report = asdict(judge(found, rubric))
    report["rubric_version"] = rubric.version
    if html is not None:
        _write_html(html, f"ICP validation — rubric {rubric.version}", report, found)
    if json_output:
        print_json(report)
        return
    _print(report)


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
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.discarded import discarded_won
    from app.validation.judge import judge
    from app.validation.load import outcomes
    from app.validation.plan import compare

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
        with make_session_factory(engine)() as session:
            comparison = compare(session, champion, challenger, now=now, source=source)
            discarded = discarded_won(session, comparison.newly_disqualified)
            found = {
                "champion": outcomes(session, champion, now=now, source=source),
                "challenger": outcomes(session, challenger, now=now, source=source),
            }
            figures = {
                name: asdict(judge(found[name], rubric))
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
        _write_html(html, title, figures["challenger"], found["challenger"], plan=report)
    if json_output:
        print_json(report)
        return
    _print_plan(report)


def _write_html(
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
    side.add_row("ROC AUC", _num(champion["auc"]), _num(challenger["auc"]))
    side.add_row(
        "ROC AUC: 95% interval",
        *(
            f"{_num(found['auc_interval'][0])}–{_num(found['auc_interval'][1])}"
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
            f"{_pct(before['win_rate'])} ({before['closed']})" if before else "—",
            f"{_pct(after['win_rate'])} ({after['closed']})" if after else "—",
        )
    out.print(side)


def _print_disqualified(out: Console, report: dict[str, Any]) -> None:
    """Every account into or out of disqualified (the first `SHOWN` of each), then the won
    deals and revenue the new disqualifiers would have thrown away."""
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


def _print(report: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"rubric {report['rubric_version']}: {report['closed']} closed deals, "
        f"{report['won']} won (base win rate {_pct(report['base_win_rate'])})"
        f", from {report.get('accounts', 0)} accounts"
    )
    tiers = Table(title="Win rate by tier", title_justify="left")
    for column in ("tier", "won", "lost", "closed", "win rate", "95% interval", "lift"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for row in report["tiers"]:
        tiers.add_row(
            row["tier"],
            str(row["won"]),
            str(row["lost"]),
            str(row["closed"]),
            _pct(row["win_rate"]),
            _span(row.get("win_rate_interval"), _pct),
            _ratio(row["lift"]),
        )
    out.print(tiers)
    interval = report.get("auc_interval")
    out.print(
        f"score separates won from lost: ROC AUC {_num(report['auc'])}"
        + (f" (95% interval {_num(interval[0])}–{_num(interval[1])})" if interval else "")
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
            _pct(row["high_win_rate"]),
            str(row["low_closed"]),
            _pct(row["low_win_rate"]),
            _pct(row["difference"]),
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
                _pct(row["precision"]),
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
                    f"{_pct(cells[name]['win_rate'])} ({cells[name]['closed']})"
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
    out = console()
    if not verdicts:
        return
    out.print("Verdicts:")
    for verdict in verdicts:
        good = verdict["kind"] == "rubric_separates"
        mark = "[green]✓[/green]" if good else "[red]✗[/red]" if verdict["significant"] else "•"
        out.print(f"  {mark} {escape(verdict['message'])}")


def _span(interval: Sequence[float] | None, show: Callable[[float | None], str]) -> str:
    return "—" if not interval else f"{show(interval[0])}–{show(interval[1])}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
