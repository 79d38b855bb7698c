"""`icp-sync rubric check FILE`: validate a rubric and show what it scores."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import JsonOption, console, print_json
from app.errors import RubricError

if TYPE_CHECKING:
    from app.rubric import Rubric

cli = typer.Typer(help="Validate and inspect rubric files.", no_args_is_help=True)


def object_type_notes(rubric: Rubric) -> list[str]:
    """A note per `applies_to` that names no object type records come as (a typo such as
    `leads` would leave the criterion out of every score without an error)."""
    from app.rubric.model import OBJECT_TYPES

    scoped = [("criterion", c.id, c.applies_to) for _, c in rubric.criteria] + [
        ("disqualifier", d.id, d.applies_to) for d in rubric.disqualifiers
    ]
    return [
        f"{kind} {name}: applies_to {unknown!r} is not an object type records come as "
        f"({', '.join(OBJECT_TYPES)}), so it never applies"
        for kind, name, applies_to in scoped
        for unknown in applies_to or ()
        if unknown not in OBJECT_TYPES
    ]


def rubric_summary(rubric: Rubric) -> dict[str, Any]:
    total = rubric.total_weight
    return {
        "valid": True,
        "name": rubric.name,
        "version": rubric.version,
        "total_weight": total,
        "layers": {
            name: {
                "weight": sum(c.weight for c in layer.criteria),
                "criteria": [
                    {
                        "id": c.id,
                        "field": c.field,
                        "rule": c.rule_kind,
                        "weight": c.weight,
                        "share_percent": round(100 * c.weight / total, 1),
                        "missing": c.missing,
                        "applies_to": c.applies_to,
                    }
                    for c in layer.criteria
                ],
            }
            for name, layer in rubric.layers.items()
        },
        "tiers": [tier.model_dump() for tier in rubric.tiers],
        "disqualifiers": [
            {"id": d.id, "field": d.field, "reason": d.reason} for d in rubric.disqualifiers
        ],
        "fields": rubric.fields,
        "notes": object_type_notes(rubric),
    }


@cli.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The rubric YAML file to validate.")],
    json_output: JsonOption = False,
) -> None:
    """Validate a rubric file; print its layers, weights, tiers and disqualifiers."""
    from app.rubric import load_rubric

    try:
        rubric = load_rubric(file)
    except RubricError as error:
        if not json_output:
            raise
        print_json({"valid": False, "file": str(file), "errors": list(error.problems)})
        raise typer.Exit(1) from None
    if json_output:
        print_json(rubric_summary(rubric))
        return
    _print_summary(rubric, file)


def _print_summary(rubric: Rubric, file: Path) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold green]✓[/] {file}: valid — {rubric.name}, version {rubric.version}")
    total = rubric.total_weight
    criteria = Table(title="Criteria", title_justify="left")
    for column in ("layer", "criterion", "field", "rule", "weight", "share"):
        criteria.add_column(column, justify="right" if column in ("weight", "share") else "left")
    for layer, c in rubric.criteria:
        scope = f" ({', '.join(c.applies_to)} only)" if c.applies_to else ""
        criteria.add_row(
            layer,
            c.id + scope,
            ", ".join(c.semantic.fields) if c.semantic else c.field,
            c.rule_kind,
            f"{c.weight:g}",
            f"{100 * c.weight / total:.0f}%",
        )
    out.print(criteria)
    if total != 100:
        out.print(
            f"note: weights sum to {total:g}, not 100; scores are normalised by the total, "
            "so each weight counts as its share above."
        )
    for note in object_type_notes(rubric):
        out.print(f"note: {note}")
    tiers = Table(title="Tiers", title_justify="left")
    tiers.add_column("tier")
    tiers.add_column("label")
    tiers.add_column("score")
    upper = 100
    for tier in rubric.tiers:
        tiers.add_row(tier.name, tier.label, f"{tier.min_score}–{upper}")
        upper = tier.min_score - 1
    tiers.add_row("disqualified", "Disqualified", "any disqualifier holds")
    out.print(tiers)
    if rubric.disqualifiers:
        negative = Table(title="Disqualifiers (negative ICP)", title_justify="left")
        negative.add_column("flag")
        negative.add_column("field")
        negative.add_column("reason")
        for d in rubric.disqualifiers:
            negative.add_row(
                d.id, ", ".join(d.semantic.fields) if d.semantic else d.field, d.reason
            )
        out.print(negative)
