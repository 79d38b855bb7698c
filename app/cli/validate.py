"""`icp-sync validate`: how well the rubric's tiers and score separate won from lost deals,
on the stored accounts and their closed deals (HubSpot deals and Salesforce Opportunities);
`icp-sync plan`: what a new rubric would change, before it ships."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import JsonOption, RubricOption, console, print_json, resolve_rubric

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
) -> None:
    """Win rate per tier and its lift over the base rate, the score's ROC AUC with a bootstrap
    interval, which criteria earn their weight, what the negative ICP would have thrown away,
    tiers by quarter (ICP decay), and warnings where the sample is too thin to conclude."""
    from app.cli.progress import progress
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.load import outcomes
    from app.validation.stats import summarise

    first_day: date | None = None
    if since is not None:
        try:
            first_day = date.fromisoformat(since)
        except ValueError:
            raise IcpSyncError(f"--since: expected a date YYYY-MM-DD, got {since!r}") from None
    if source not in (None, "hubspot", "salesforce"):
        raise IcpSyncError(f"--source: expected hubspot or salesforce, got {source!r}")
    rubric = resolve_rubric(rubric_file)
    settings = get_settings()
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with (
            make_session_factory(engine)() as session,
            progress("reading and scoring closed deals") as advance,
        ):
            found = outcomes(
                session,
                compile_rubric(rubric),
                now=datetime.now(UTC),
                since=first_day,
                source=source,
                progress=advance,
            )
    finally:
        engine.dispose()
    tiers = [tier.name for tier in rubric.tiers] + ["disqualified"]
    with progress(f"statistics on {len(found):,} closed deals"):
        report = asdict(summarise(found, tiers))
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
) -> None:
    """Preview a rubric change on every stored account before it ships: the tier transition
    matrix, the accounts that change, the newly disqualified, and the validation figures of
    both rubrics side by side. Nothing is stored and nothing is written to a CRM."""
    from app.cli.progress import progress
    from app.errors import IcpSyncError
    from app.scoring import compile_rubric
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.validation.accounts import ScoredAccounts
    from app.validation.load import outcomes
    from app.validation.plan import compare
    from app.validation.stats import summarise

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
            with progress("reading and scoring accounts and closed deals") as advance:
                accounts = ScoredAccounts(session, now=now, source=source, progress=advance)
                comparison = compare(
                    session, champion, challenger, now=now, source=source, accounts=accounts
                )
                found = {
                    "champion": outcomes(
                        session, champion, now=now, source=source, accounts=accounts
                    ),
                    "challenger": outcomes(
                        session, challenger, now=now, source=source, accounts=accounts
                    ),
                }
            with progress("statistics on both rubrics' closed deals"):
                figures = {
                    name: asdict(
                        summarise(found[name], [t.name for t in rubric.tiers] + ["disqualified"])
                    )
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
    }
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


def _print_plan(report: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"{report['challenger_version']} against {report['champion_version']}: "
        f"{report['changed']} of {report['accounts']} accounts change, "
        f"{len(report['newly_disqualified'])} newly disqualified (nothing written)"
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
    side = Table(title="Validation on closed deals: champion vs challenger", title_justify="left")
    for column in ("figure", "champion", "challenger"):
        side.add_column(column, justify="left" if column == "figure" else "right")
    champion, challenger = report["validation"]["champion"], report["validation"]["challenger"]
    side.add_row("ROC AUC", _num(champion["auc"]), _num(challenger["auc"]))
    for name in [row["tier"] for row in champion["tiers"]]:
        before = next((r for r in champion["tiers"] if r["tier"] == name), None)
        after = next((r for r in challenger["tiers"] if r["tier"] == name), None)
        side.add_row(
            f"{name} win rate (closed)",
            f"{_pct(before['win_rate'])} ({before['closed']})" if before else "—",
            f"{_pct(after['win_rate'])} ({after['closed']})" if after else "—",
        )
    out.print(side)


def _print(report: dict[str, Any]) -> None:
    out = console()
    out.print(
        f"rubric {report['rubric_version']}: {report['closed']} closed deals, "
        f"{report['won']} won (base win rate {_pct(report['base_win_rate'])})"
    )
    tiers = Table(title="Win rate by tier", title_justify="left")
    for column in ("tier", "won", "lost", "closed", "win rate", "lift"):
        tiers.add_column(column, justify="left" if column == "tier" else "right")
    for row in report["tiers"]:
        tiers.add_row(
            row["tier"],
            str(row["won"]),
            str(row["lost"]),
            str(row["closed"]),
            _pct(row["win_rate"]),
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
    for warning in report["warnings"]:
        out.print(f"[yellow]warning:[/yellow] {warning}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
