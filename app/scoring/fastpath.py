"""Generates one straight-line scoring function per fixed-weight plan.

The general scorer loops over the plan's rules and looks up each rule's attributes for every
record; at a hundred thousand records a second that interpretation is most of the cost. Here
the loop is unrolled once per plan into Python source whose only inputs are the record and
`now`: each criterion is a memo look-up, the score a single expression, the tier a chain of
comparisons. Every rubric value (field names, ids, thresholds, the rules themselves) reaches
the generated code as a name bound in its namespace, never as text in the source, so no rubric
content is ever compiled. `tests/app/scoring/test_scorer.py` checks that it agrees with the
reference path (`app.scoring.scorer.score_reference`) on generated rubrics and records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.rubric.model import DISQUALIFIED_TIER
from app.scoring.parse import normalise_domain
from app.scoring.results import ScoreResult
from app.scoring.rules import DomainIn

if TYPE_CHECKING:
    from app.scoring.compiled import FastScorer, Plan

_POINTS = 3  # CriterionResult.points
_REASON = 6  # CriterionResult.reason


def _read(target: str, key: str, from_properties: bool) -> list[str]:
    if from_properties:
        return [f"    {target} = properties.get({key})"]
    return [
        f"    {target} = values.get({key})",
        f"    if {target} is None:",
        f"        {target} = properties.get({key})",
    ]


def _domain_rule(
    index: int,
    rule: DomainIn,
    source: tuple[str, bool],
    normalised: dict[tuple[str, bool], str],
    namespace: dict[str, Any],
) -> list[str]:
    """Domain rules reading the same field share one normalisation per record."""
    namespace |= {"normalise_domain": normalise_domain, f"DH{index}": rule.holds_for}
    lines = []
    local = normalised.get(source)
    if local is None:
        local = normalised[source] = f"domain{len(normalised)}"
        lines += _read("raw", f"DK{index}", source[1])
        lines.append(f"    {local} = normalise_domain(raw) if raw.__class__ is str else None")
    return [
        *lines,
        f"    if {local} is not None:",
        f"        why = DH{index}({local})",
        "        if why is not None:",
        f"            flags.append(F{index})",
        f"            reasons.append(D{index}.line(why))",
    ]


def generate_scorer(plan: Plan, tiers: tuple[tuple[int, str], ...], version: str) -> FastScorer:
    from app.scoring.compiled import memo_key

    namespace: dict[str, Any] = {
        "memo_key": memo_key,
        "tuple_new": tuple.__new__,
        "ScoreResult": ScoreResult,
        "DISQUALIFIED": DISQUALIFIED_TIER,
        "VERSION": version,
        "W": plan.total_weight,
    }
    lines = [
        "def fast_score(facts, now):",
        "    values = facts.values",
        "    properties = facts.properties",
    ]
    for index, (criterion, key, from_properties) in enumerate(plan.criteria):
        namespace |= {f"K{index}": key, f"C{index}": criterion, f"w{index}": criterion.weight}
        lines += _read("raw", f"K{index}", from_properties)
        if criterion.by_value is None:
            # Recency: evaluate (its rule memoises per day count), then the result per outcome.
            namespace |= {f"E{index}": criterion.evaluate, f"B{index}": criterion.by_evaluation}
            lines += [
                f"    evaluated = E{index}(raw, now) if raw else None",
                "    if evaluated is None:",
                f"        evaluated = C{index}.evaluation(raw, now)",
                "    try:",
                f"        r{index} = B{index}[evaluated]",
                "    except KeyError:",
                f"        r{index} = C{index}.memoised_result(raw, now, W)",
            ]
        else:
            namespace[f"M{index}"] = criterion.by_value
            lines += [
                "    try:",
                f"        r{index} = M{index}[raw if raw.__class__ is str else memo_key(raw)]",
                "    except (KeyError, TypeError):",
                f"        r{index} = C{index}.memoised_result(raw, now, W)",
            ]
    count = len(plan.criteria)
    weighted = " + ".join(f"w{i} * r{i}[{_POINTS}]" for i in range(count))
    lines += [
        f"    total = int((0.0 + {weighted}) / W + 0.5)",
        "    if total > 100:",
        "        total = 100",
        "    elif total < 0:",
        "        total = 0",
        f"    reasons = [{', '.join(f'r{i}[{_REASON}]' for i in range(count))}]",
        "    flags = []",
    ]
    normalised_domains: dict[tuple[str, bool], str] = {}
    for index, (disqualifier, key, from_properties) in enumerate(plan.disqualifiers):
        namespace |= {f"DK{index}": key, f"D{index}": disqualifier, f"F{index}": disqualifier.id}
        if isinstance(disqualifier.holds, DomainIn):
            lines += _domain_rule(index, disqualifier.holds, (key, from_properties),
                                  normalised_domains, namespace)  # fmt: skip
            continue
        lines += _read("raw", f"DK{index}", from_properties)
        lines.append("    if raw is not None:")
        if disqualifier.by_value is None:
            namespace[f"H{index}"] = disqualifier.holds
            lines += [
                f"        why = H{index}(raw)",
                "        if why is not None:",
                f"            flags.append(F{index})",
                f"            reasons.append(D{index}.line(why))",
            ]
        else:
            namespace[f"DM{index}"] = disqualifier.by_value
            lines += [
                "        try:",
                f"            line = DM{index}[raw if raw.__class__ is str else memo_key(raw)]",
                "        except (KeyError, TypeError):",
                f"            line = D{index}.check(raw)",
                "        if line is not None:",
                f"            flags.append(F{index})",
                "            reasons.append(line)",
            ]
    lines.append("    if flags:")
    lines.append("        tier = DISQUALIFIED")
    for index, (min_score, name) in enumerate(tiers):
        namespace |= {f"T{index}": min_score, f"N{index}": name}
        lines.append(f"    elif total >= T{index}:")
        lines.append(f"        tier = N{index}")
    results = "".join(f"r{i}, " for i in range(count))
    lines.append(
        "    return tuple_new(ScoreResult, (total, tier, bool(flags), tuple(flags), "
        f"({results}), tuple(reasons), VERSION))"
    )
    exec(compile("\n".join(lines), "<icp-sync generated scorer>", "exec"), namespace)  # noqa: S102
    scorer: FastScorer = namespace["fast_score"]
    return scorer
