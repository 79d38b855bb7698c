"""`icp-sync score` (a file of accounts, offline) and `icp-sync explain` (one record)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import (
    AsOfOption,
    JsonOption,
    RubricOption,
    as_of,
    console,
    print_json,
    resolve_rubric,
)
from app.errors import IcpSyncError

if TYPE_CHECKING:
    from app.scoring import AccountFacts, CompiledRubric, ScoreResult

# The rubric model (pydantic) and the scorer are imported inside the commands: `--help` and
# the other commands do without them.

TABLE_ROWS = 50
DEFAULT_OBJECT_TYPE = "account"
"""app.accounts_file's, for `explain --set` (a test keeps the two equal)."""

InputOption = Annotated[
    Path,
    typer.Option("--input", "-i", help="Accounts file: .csv (header row) or .jsonl."),
]


def register(cli: typer.Typer) -> None:
    cli.command("score")(score_file)
    cli.command("explain")(explain)


def score_file(
    input_file: InputOption,
    rubric_file: RubricOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write every result to this .csv or .jsonl file."),
    ] = None,
    as_of_option: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Score every account in a CSV or JSONL file with the rubric (nothing is stored)."""
    from app.accounts_file import read_accounts, result_record
    from app.scoring import compile_rubric, score
    from app.semantic.stream import enriched

    if output is not None and _same_file(input_file, output):
        raise IcpSyncError(f"--output: {output} is the input file; choose another file")
    from app.gc_policy import apply_gc_policy

    rubric = compile_rubric(resolve_rubric(rubric_file))
    apply_gc_policy()
    now = as_of(as_of_option)
    records = enriched(rubric, read_accounts(input_file), now)
    scored = ((facts, score(facts, rubric, now)) for facts in records)
    if output is not None:
        tiers = _write(scored, output)
        summary = _summary(rubric, now, tiers)
        if json_output:
            print_json({**summary, "output": str(output)})
        else:
            _print_tiers(rubric, tiers, f"Scored {sum(tiers.values())} records into {output}")
        return
    if json_output:
        results = [result_record(facts, result) for facts, result in scored]
        tiers = Counter(record["tier"] for record in results)
        print_json({**_summary(rubric, now, tiers), "results": results})
        return
    tiers = _print_table(scored, rubric)
    _print_tiers(rubric, tiers, f"Scored {sum(tiers.values())} records")


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve() or (
            first.exists() and second.exists() and first.samefile(second)
        )
    except OSError:
        return False


def _write(scored: Any, output: Path) -> Counter[str]:
    from app.accounts_file import ResultWriter

    tiers: Counter[str] = Counter()
    with ResultWriter(output) as writer:
        for facts, result in scored:
            writer.write(facts, result)
            tiers[result.tier] += 1
    return tiers


def _summary(rubric: CompiledRubric, now: datetime, tiers: Counter[str]) -> dict[str, Any]:
    return {
        "rubric_version": rubric.written_version,
        "as_of": now.isoformat(),
        "count": sum(tiers.values()),
        "tiers": {name: tiers.get(name, 0) for name in _tier_names(rubric)},
    }


def _tier_names(rubric: CompiledRubric) -> list[str]:
    from app.rubric.model import DISQUALIFIED_TIER

    return [name for _, name in rubric.tiers] + [DISQUALIFIED_TIER]


def _tier_text(rubric: CompiledRubric, tier: str) -> str:
    from rich.markup import escape

    from app.rubric.model import DISQUALIFIED_TIER

    labels = {t.name: t.label for t in rubric.rubric.tiers}
    style = "red" if tier == DISQUALIFIED_TIER else "green" if tier == rubric.tiers[0][1] else ""
    label = escape(labels.get(tier, "Disqualified"))
    return f"[{style}]{label}[/]" if style else label


def _print_table(scored: Any, rubric: CompiledRubric) -> Counter[str]:
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_lines=False)
    for column in ("id", "name", "score", "tier", "flags"):
        table.add_column(column, justify="right" if column == "score" else "left")
    tiers: Counter[str] = Counter()
    hidden = 0
    for facts, result in scored:
        tiers[result.tier] += 1
        if len(table.rows) >= TABLE_ROWS:
            hidden += 1
            continue
        table.add_row(
            escape(facts.id),
            escape(str(facts.values.get("name") or "")),
            str(result.score),
            _tier_text(rubric, result.tier),
            escape(", ".join(result.flags)),
        )
    out = console()
    out.print(table)
    if hidden:
        out.print(f"… and {hidden} more rows: use --output FILE or --json for all of them.")
    out.print("Every reason of a record: icp-sync explain --input FILE --record ID")
    return tiers


def _print_tiers(rubric: CompiledRubric, tiers: Counter[str], title: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    total = sum(tiers.values()) or 1
    table = Table(title=f"{title}, rubric {escape(rubric.written_version)}", title_justify="left")
    table.add_column("tier")
    table.add_column("records", justify="right")
    table.add_column("share", justify="right")
    for name in _tier_names(rubric):
        table.add_row(
            _tier_text(rubric, name),
            str(tiers.get(name, 0)),
            f"{100 * tiers.get(name, 0) / total:.0f}%",
        )
    console().print(table)


def _parse_assignments(assignments: list[str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for assignment in assignments:
        field, sep, value = assignment.partition("=")
        if not sep or not field.strip():
            raise IcpSyncError(f"--set: expected FIELD=VALUE, got {assignment!r}")
        values[field.strip()] = value
    return values


def _find_record(input_file: Path, record: str) -> AccountFacts:
    from app.accounts_file import read_accounts

    for position, facts in enumerate(read_accounts(input_file), start=1):
        if record in (facts.id, str(position)):
            return facts
    raise IcpSyncError(f"--record: no record with id or row number {record!r} in {input_file}")


def explain(
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="Accounts file (.csv or .jsonl).")
    ] = None,
    record: Annotated[
        str | None,
        typer.Option("--record", "-r", help="Id (or 1-based row number) of the record in --input."),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="FIELD=VALUE, repeatable: score these values instead of a file."
        ),
    ] = None,
    object_type: Annotated[
        str,
        typer.Option(
            "--object-type", help="Object type for --set: company, account, lead, contact."
        ),
    ] = DEFAULT_OBJECT_TYPE,
    rubric_file: RubricOption = None,
    as_of_option: AsOfOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show how one record scores: every criterion's points and reason, and each disqualifier."""
    from app.accounts_file import result_record
    from app.scoring import AccountFacts, compile_rubric, score
    from app.semantic.stream import enriched

    if assignments and (input_file or record):
        raise IcpSyncError("use either --input with --record, or --set, not both")
    if assignments:
        facts = AccountFacts(
            id="(--set)", values=_parse_assignments(assignments), object_type=object_type
        )
    elif input_file is not None and record is not None:
        facts = _find_record(input_file, record)
    else:
        raise IcpSyncError("give --input FILE --record ID, or one or more --set FIELD=VALUE")
    rubric = compile_rubric(resolve_rubric(rubric_file))
    now = as_of(as_of_option)
    facts = next(enriched(rubric, [facts], now))
    result = score(facts, rubric, now)
    if json_output:
        print_json({**result_record(facts, result), "as_of": now.isoformat()})
        return
    _print_explanation(facts, result, rubric)


def _print_explanation(facts: AccountFacts, result: ScoreResult, rubric: CompiledRubric) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    name = facts.values.get("name")
    title = f"{escape(facts.id)}" + (f" — {escape(str(name))}" if name else "")
    out.print(
        f"[bold]{title}[/]: score [bold]{result.score}[/] → {_tier_text(rubric, result.tier)}"
    )
    table = Table()
    table.add_column("criterion", no_wrap=True)
    table.add_column("weight", justify="right")
    table.add_column("points", justify="right")
    table.add_column("reason, and what it adds to the score", overflow="fold")
    for c in result.criteria:
        table.add_row(
            c.id,
            f"{c.weight:g}",
            "—" if c.points is None else f"{c.points:.0f}",
            escape(c.reason),
        )
    out.print(table)
    layers: dict[str, float] = defaultdict(float)
    for c in result.criteria:
        layers[c.layer] += c.contribution
    out.print("by layer: " + ", ".join(f"{layer} {points:.1f}" for layer, points in layers.items()))
    if result.disqualified:
        for reason in result.reasons[len(result.criteria) :]:
            out.print(f"[red]✗[/] {escape(reason)}")
    else:
        out.print("no disqualifier holds")
