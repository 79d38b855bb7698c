"""Generates one straight-line scoring function per fixed-weight plan.

The general scorer loops over the plan's rules and looks up each rule's attributes for every
record; at a hundred thousand records a second that interpretation is most of the cost. Here
the loop is unrolled once per plan into Python source whose only inputs are the record and
`now`: each criterion is a memo look-up, the score a single expression, the tier an index into
a table of the 101 possible scores. Every rubric value (field names, ids, thresholds, the rules
themselves) reaches the generated code as a name bound in its namespace, never as text in the
source, so no rubric content is ever compiled. `tests/app/scoring/test_scorer.py` checks that
it agrees with the reference path (`app.scoring.scorer.score_reference`) on generated rubrics
and records.

The memos are the plan's own: a criterion's result carries its contribution, which depends on
the plan's total weight, and two plans of one rubric (a lead-only criterion) differ in it.

What a record costs beyond its memo look-ups, and how it is kept small (issue 18, point 4):
- recency reads the common timestamp shapes (ISO-8601 in UTC or without an offset) inline, as
  `app.scoring.parse.parse_datetime`'s first branch does, and memoises the result per whole
  days elapsed; any other shape goes through the rule itself;
- the domain rules reading one field share one normalisation and one test against all their
  listed domains together; each rule's own test runs only when that one passes;
- reasons and flags are tuples from the start, and the result is built in one step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.rubric.model import DISQUALIFIED_TIER
from app.scoring.parse import MAX_TEXT, normalise_domain
from app.scoring.results import CriterionResult, ScoreResult
from app.scoring.rules import DomainIn

if TYPE_CHECKING:
    from app.scoring.compiled import CompiledCriterion, FastScorer, Plan

MEMO_LIMIT = 16_384  # entries per criterion and plan; a few MiB at most
_POINTS = 3  # CriterionResult.points
_REASON = 6  # CriterionResult.reason
_HIGHEST_SCORE = 100


def _remember(
    criterion: CompiledCriterion,
    memo: dict[object, CriterionResult],
    raw: object,
    now: datetime,
    total_weight: float,
) -> CriterionResult:
    """A value-only criterion's result for `raw`, kept in `memo` under `memo_key(raw)`."""
    from app.scoring.compiled import memo_key

    result = criterion.result(criterion.evaluation(raw, now), total_weight)
    if len(memo) < MEMO_LIMIT:
        with suppress(TypeError):  # an unhashable value, such as a nested list
            memo[memo_key(raw)] = result
    return result


def _remember_days(
    criterion: CompiledCriterion,
    memo: dict[int, CriterionResult],
    days: int,
    raw: object,
    now: datetime,
    total_weight: float,
) -> CriterionResult:
    """A recency result for a timestamp `days` whole days before `now` (negative: after)."""
    result = criterion.result(criterion.evaluation(raw, now), total_weight)
    if len(memo) < MEMO_LIMIT:
        memo[days] = result
    return result


def _by_evaluation(
    criterion: CompiledCriterion,
    memo: dict[object, CriterionResult],
    raw: object,
    now: datetime,
    total_weight: float,
) -> CriterionResult:
    """A time-dependent criterion's result for any value, memoised per evaluation."""
    evaluation = criterion.evaluation(raw, now)
    result = memo.get(evaluation)
    if result is None:
        result = criterion.result(evaluation, total_weight)
        if len(memo) < MEMO_LIMIT:
            memo[evaluation] = result
    return result


def _read(target: str, key: str, from_properties: bool, indent: str = "    ") -> list[str]:
    if from_properties:
        return [f"{indent}{target} = properties.get({key})"]
    return [
        f"{indent}{target} = values.get({key})",
        f"{indent}if {target} is None:",
        f"{indent}    {target} = properties.get({key})",
    ]


class _Reads:
    """Reads each field once per record: a field that several rules read (employees for a
    criterion and a disqualifier) is kept in a local, the others are read straight into `raw`."""

    def __init__(self, plan: Plan) -> None:
        sources = Counter(
            (key, from_properties)
            for _, key, from_properties in (*plan.criteria, *plan.disqualifiers)
        )
        self.locals = {
            source: f"v{n}" for n, source in enumerate(s for s, c in sources.items() if c > 1)
        }
        self.loaded: set[str] = set()

    def __call__(self, key_name: str, key: str, from_properties: bool) -> list[str]:
        local = self.locals.get((key, from_properties))
        if local is None:
            return _read("raw", key_name, from_properties)
        lines = [] if local in self.loaded else _read(local, key_name, from_properties)
        self.loaded.add(local)
        return [*lines, f"    raw = {local}"]


def _value_only(index: int, namespace: dict[str, Any]) -> list[str]:
    namespace[f"M{index}"] = {}
    return [
        "    try:",
        f"        r{index} = M{index}[raw if raw.__class__ is str else memo_key(raw)]",
        "    except (KeyError, TypeError):",
        f"        r{index} = remember(C{index}, M{index}, raw, now, W)",
    ]


def _recency(
    index: int, criterion: CompiledCriterion, total_weight: float, namespace: dict[str, Any]
) -> list[str]:
    """Inline: `parse_datetime`'s first branch (ISO-8601 text read by `fromisoformat`), for a
    moment in UTC or without an offset (taken as UTC, as `parse_datetime` takes it)."""
    namespace |= {
        f"RD{index}": {},
        f"RE{index}": {},
        f"MISSING{index}": criterion.result(criterion.when_missing, total_weight),
    }
    return [
        "    if raw is None or raw == '':",
        f"        r{index} = MISSING{index}",
        "    else:",
        "        moment = None",
        "        if raw.__class__ is str and len(raw) <= MAX_TEXT and not raw.isdigit():",
        "            try:",
        "                moment = fromisoformat(raw)",
        "            except ValueError:",
        "                pass",
        "            else:",
        "                if moment.tzinfo is None:",
        "                    moment = moment.replace(tzinfo=UTC)",
        "        if moment is not None and moment.tzinfo is UTC:",
        "            days = (now - moment).days",
        "            try:",
        f"                r{index} = RD{index}[days]",
        "            except KeyError:",
        f"                r{index} = remember_days(C{index}, RD{index}, days, raw, now, W)",
        "        else:",
        f"            r{index} = by_evaluation(C{index}, RE{index}, raw, now, W)",
    ]


def _flagged(index: int, line: str, indent: str) -> list[str]:
    return [f"{indent}flags += (F{index},)", f"{indent}reasons += ({line},)"]


def _domain_rules(plan: Plan, namespace: dict[str, Any]) -> dict[tuple[str, bool], str]:
    """Per field the domain rules read: the name of its normalised domain in the generated
    code, with every domain those rules list (`DA…`) and their sub-domain suffixes (`DS…`)."""
    names: dict[tuple[str, bool], str] = {}
    for disqualifier, key, from_properties in plan.disqualifiers:
        rule = disqualifier.holds
        if not isinstance(rule, DomainIn):
            continue
        name = names.setdefault((key, from_properties), f"domain{len(names)}")
        namespace[f"DA_{name}"] = namespace.get(f"DA_{name}", frozenset()) | rule.domains
        namespace[f"DS_{name}"] = (*namespace.get(f"DS_{name}", ()), *rule.sub_domains)
    return names


def _disqualifiers(plan: Plan, namespace: dict[str, Any], read: _Reads) -> list[str]:
    lines: list[str] = []
    domains = _domain_rules(plan, namespace)
    normalised: set[str] = set()
    for index, (disqualifier, key, from_properties) in enumerate(plan.disqualifiers):
        namespace |= {f"DK{index}": key, f"D{index}": disqualifier, f"F{index}": disqualifier.id}
        rule = disqualifier.holds
        if isinstance(rule, DomainIn):
            name = domains[(key, from_properties)]
            if name not in normalised:
                normalised.add(name)
                lines += read(f"DK{index}", key, from_properties)
                lines += [
                    f"    {name} = normalise_domain(raw) if raw.__class__ is str else None",
                    f"    listed_{name} = {name} is not None and "
                    f"({name} in DA_{name} or {name}.endswith(DS_{name}))",
                ]
            namespace[f"DH{index}"] = rule.holds_for
            lines += [
                f"    if listed_{name}:",
                f"        why = DH{index}({name})",
                "        if why is not None:",
                *_flagged(index, f"D{index}.line(why)", "            "),
            ]
            continue
        lines += read(f"DK{index}", key, from_properties)
        lines.append("    if raw is not None:")
        if disqualifier.by_value is None:
            namespace[f"H{index}"] = rule
            lines += [
                f"        why = H{index}(raw)",
                "        if why is not None:",
                *_flagged(index, f"D{index}.line(why)", "            "),
            ]
        else:
            namespace[f"DM{index}"] = disqualifier.by_value
            lines += [
                "        try:",
                f"            line = DM{index}[raw if raw.__class__ is str else memo_key(raw)]",
                "        except (KeyError, TypeError):",
                f"            line = D{index}.check(raw)",
                "        if line is not None:",
                *_flagged(index, "line", "            "),
            ]
    return lines


def generate_scorer(plan: Plan, tier_for: Callable[[int], str], version: str) -> FastScorer:
    """`tier_for(score)` names the tier of a score that no disqualifier overrides."""
    from app.scoring.compiled import memo_key

    namespace: dict[str, Any] = {
        "memo_key": memo_key,
        "remember": _remember,
        "remember_days": _remember_days,
        "by_evaluation": _by_evaluation,
        "normalise_domain": normalise_domain,
        "fromisoformat": datetime.fromisoformat,
        "UTC": UTC,
        "MAX_TEXT": MAX_TEXT,
        "tuple_new": tuple.__new__,
        "ScoreResult": ScoreResult,
        "DISQUALIFIED": DISQUALIFIED_TIER,
        "TIER": tuple(tier_for(total) for total in range(_HIGHEST_SCORE + 1)),
        "VERSION": version,
        "W": plan.total_weight,
    }
    read = _Reads(plan)
    lines = [
        "def fast_score(facts, now):",
        "    values = facts.values",
        "    properties = facts.properties",
    ]
    for index, (criterion, key, from_properties) in enumerate(plan.criteria):
        namespace |= {f"K{index}": key, f"C{index}": criterion, f"w{index}": criterion.weight}
        lines += read(f"K{index}", key, from_properties)
        if criterion.value_only:
            lines += _value_only(index, namespace)
        else:
            lines += _recency(index, criterion, plan.total_weight, namespace)
    count = len(plan.criteria)
    weighted = " + ".join(f"w{i} * r{i}[{_POINTS}]" for i in range(count))
    results = "".join(f"r{i}, " for i in range(count))
    lines += [
        f"    total = int((0.0 + {weighted}) / W + 0.5)",
        f"    if total > {_HIGHEST_SCORE}:",
        f"        total = {_HIGHEST_SCORE}",
        "    elif total < 0:",
        "        total = 0",
        f"    reasons = ({''.join(f'r{i}[{_REASON}], ' for i in range(count))})",
        "    flags = ()",
        *_disqualifiers(plan, namespace, read),
        "    if flags:",
        "        return tuple_new(ScoreResult, "
        f"(total, DISQUALIFIED, True, flags, ({results}), reasons, VERSION))",
        "    return tuple_new(ScoreResult, "
        f"(total, TIER[total], False, flags, ({results}), reasons, VERSION))",
    ]
    exec(compile("\n".join(lines), "<icp-sync generated scorer>", "exec"), namespace)  # noqa: S102
    scorer: FastScorer = namespace["fast_score"]
    return scorer
