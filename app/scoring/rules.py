"""Compiles each rubric rule into a plain function, once, so scoring a record is mostly dict
look-ups.

An evaluator takes a raw value that is not None, and `now`, and returns the outcome
`(points, detail, "matched" | "unmatched")`, or None when the value is empty or cannot be read
as the rule needs. Only recency depends on `now`, and only through whole days elapsed (see
`VALUE_ONLY_RULES`); the scorer memoises on that.

A disqualifier test returns the detail of why it holds, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from app.rubric.model import Band, Criterion, Disqualifier, MatchLevel
from app.scoring.parse import (
    display_category,
    format_quantity,
    normalise_category,
    normalise_domain,
    parse_bool,
    parse_datetime,
    parse_list,
    parse_number,
)
from app.scoring.semantic_rules import semantic_criterion, semantic_disqualifier
from app.scoring.titles import MAX_TITLE, seniority_of

Outcome = tuple[float, str, Literal["matched", "unmatched"]]
Evaluator = Callable[[object, datetime], Outcome | None]
DisqualifierTest = Callable[[object], str | None]

VALUE_ONLY_RULES = frozenset(
    {"match", "bands", "any_of", "count", "boolean", "seniority", "semantic"}
)
"""Rule kinds whose outcome depends on the value alone, never on `now`."""

_SHOWN_ITEMS = 4
_SHOWN_TITLE = 60
_DAYS_MEMO_LIMIT = 4096


def _category_text(raw: object) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return None


def _shown_items(items: Iterable[str]) -> str:
    listed = list(items)
    shown = ", ".join(listed[:_SHOWN_ITEMS])
    return shown + (f" +{len(listed) - _SHOWN_ITEMS} more" if len(listed) > _SHOWN_ITEMS else "")


def _match(levels: list[MatchLevel], otherwise: float) -> Evaluator:
    compiled = [
        (
            level.label,
            level.points,
            frozenset(normalise_category(v) for v in level.values),
            tuple(f" {normalise_category(k)} " for k in level.keywords),
        )
        for level in levels
    ]

    def classify_text(text: str) -> Outcome | None:
        normal = normalise_category(text)
        if not normal:
            return None
        padded = f" {normal} "
        shown = display_category(text)
        for label, points, values, keywords in compiled:
            if normal in values or any(keyword in padded for keyword in keywords):
                return points, f"{shown} ({label})", "matched"
        return otherwise, f"{shown} (no match)", "unmatched"

    return _best_of_texts(classify_text)


def _band_text(band: Band) -> str:
    if band.min is not None and band.max is not None:
        return f"{format_quantity(band.min)}–{format_quantity(band.max)}"
    if band.min is not None:
        return f"≥ {format_quantity(band.min)}"
    assert band.max is not None
    return f"< {format_quantity(band.max)}"


def _bands(bands: list[Band], otherwise: float) -> Evaluator:
    compiled = [
        (
            -float("inf") if band.min is None else band.min,
            float("inf") if band.max is None else band.max,
            band.points,
            _band_text(band),
        )
        for band in bands
    ]

    def classify(raw: object, _now: datetime) -> Outcome | None:
        number = parse_number(raw)
        if number is None:
            return None
        shown = format_quantity(number)
        if isinstance(raw, str) and raw.strip() not in (shown, shown.replace(",", "")):
            shown = f"{shown} (read from {raw.strip()!r})"
        for low, high, points, text in compiled:
            if low <= number < high:
                return points, f"{shown} in band {text}", "matched"
        return otherwise, f"{shown}, outside every band", "unmatched"

    return classify


def _any_of(values: list[str], points: float, otherwise: float) -> Evaluator:
    wanted = frozenset(normalise_category(v) for v in values)

    def classify(raw: object, _now: datetime) -> Outcome | None:
        items = parse_list(raw)
        if items is None:
            return None
        found = [item for item in items if normalise_category(item) in wanted]
        if found:
            return points, f"has {_shown_items(found)}", "matched"
        return otherwise, f"none of the listed ({_shown_items(items)})", "unmatched"

    return classify


def _count(criterion: Criterion) -> Evaluator:
    rule = criterion.count
    assert rule is not None
    wanted = frozenset(normalise_category(v) for v in rule.values)
    steps = [(step.at_least, step.points) for step in rule.steps]
    otherwise = criterion.otherwise

    def classify(raw: object, _now: datetime) -> Outcome | None:
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw < 0:
                return None
            counted, detail = raw, str(raw)
        else:
            items = parse_list(raw)
            if items is None:
                return None
            distinct = {normalise_category(item): item for item in items}
            if wanted:
                distinct = {key: item for key, item in distinct.items() if key in wanted}
            counted = len(distinct)
            detail = f"{counted} ({_shown_items(distinct.values())})" if counted else "0"
        for at_least, points in steps:
            if counted >= at_least:
                return points, detail, "matched"
        return otherwise, detail, "unmatched"

    return classify


def _recency(criterion: Criterion) -> Evaluator:
    """Scores whole days elapsed, so the outcome for a given day count is memoised too. A date
    in the future counts as today."""
    rule = criterion.recency
    assert rule is not None
    full, zero, top = rule.full_within_days, rule.zero_after_days, float(rule.points)
    by_days: dict[int, Outcome] = {}  # bounded: one entry per day count seen

    def evaluate(raw: object, now: datetime) -> Outcome | None:
        moment = parse_datetime(raw)
        if moment is None:
            return None
        days = max(0, (now - moment).days)
        known = by_days.get(days)
        if known is not None:
            return known
        if days <= full:
            points = top
        elif days >= zero:
            points = 0.0
        else:
            points = top * (zero - days) / (zero - full)
        ago = "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"
        outcome: Outcome = (points, ago, "matched" if points > 0 else "unmatched")
        if len(by_days) < _DAYS_MEMO_LIMIT:
            by_days[days] = outcome
        return outcome

    return evaluate


def _boolean(criterion: Criterion) -> Evaluator:
    rule = criterion.boolean
    assert rule is not None
    when_true: Outcome = (rule.when_true, "yes", "matched")
    when_false: Outcome = (rule.when_false, "no", "unmatched")

    def classify(raw: object, _now: datetime) -> Outcome | None:
        flag = parse_bool(raw)
        return None if flag is None else when_true if flag else when_false

    return classify


def _seniority(criterion: Criterion) -> Evaluator:
    """Points for the seniority the title states; the reason quotes the title, names the level
    and, when the title alone would not explain it, the words that decided it."""
    rule = criterion.seniority
    assert rule is not None
    by_level = rule.points_by_level()
    otherwise = criterion.otherwise

    def classify_text(text: str) -> Outcome | None:
        shown = " ".join(text[:MAX_TITLE].split())
        if not shown:
            return None
        if len(shown) > _SHOWN_TITLE:
            shown = shown[: _SHOWN_TITLE - 1] + "…"
        found = seniority_of(text)
        why = (
            found.level
            if found.plain or not found.words
            else f'{found.level}, read from "{found.words}"'
        )
        points = by_level.get(found.level)
        if points is None:
            return otherwise, f'"{shown}" ({why})', "unmatched"
        return points, f'"{shown}" ({why})', "matched"

    return _best_of_texts(classify_text)


def _best_of_texts(classify_text: Callable[[str], Outcome | None]) -> Evaluator:
    """A text rule over a field's value: one text as it is; a list, each item, the best of
    them (a multi-select holding several industries, a contact with several titles)."""

    def classify(raw: object, _now: datetime) -> Outcome | None:
        text = _category_text(raw)
        if text is not None:
            return classify_text(text)
        outcomes = [o for o in map(classify_text, parse_list(raw) or ()) if o is not None]
        return max(outcomes, key=lambda outcome: outcome[0]) if outcomes else None

    return classify


def compile_criterion(criterion: Criterion) -> Evaluator:
    if criterion.semantic is not None:
        return semantic_criterion(criterion.semantic, criterion.otherwise)
    if criterion.recency is not None:
        return _recency(criterion)
    if criterion.match is not None:
        return _match(criterion.match, criterion.otherwise)
    if criterion.bands is not None:
        return _bands(criterion.bands, criterion.otherwise)
    if criterion.any_of is not None:
        return _any_of(criterion.any_of.values, criterion.any_of.points, criterion.otherwise)
    if criterion.count is not None:
        return _count(criterion)
    if criterion.seniority is not None:
        return _seniority(criterion)
    return _boolean(criterion)


class DomainIn:
    """`domain_in`: the value's domain (from a domain, URL or e-mail) is a listed domain or a
    sub-domain of one. Split in two steps so that the generated scorer normalises a field once
    for all the domain rules that read it."""

    def __init__(self, field: str, listed: Iterable[str]) -> None:
        self.field = field
        self.domains = frozenset(d.strip().lower().strip(".") for d in listed)
        self.sub_domains = tuple(f".{d}" for d in sorted(self.domains))

    def __call__(self, raw: object) -> str | None:
        return self.holds_for(normalise_domain(raw) if isinstance(raw, str) else None)

    def holds_for(self, found: str | None) -> str | None:
        """The detail when the already-normalised domain `found` is listed, else None."""
        if found is not None and (found in self.domains or found.endswith(self.sub_domains)):
            return f"{self.field} {found}"
        return None


def compile_disqualifier(rule: Disqualifier) -> DisqualifierTest:
    field = rule.field
    if rule.less_than is not None or rule.greater_than is not None:
        below = rule.less_than is not None
        limit = rule.less_than if below else rule.greater_than
        assert limit is not None

        def numeric(raw: object) -> str | None:
            number = parse_number(raw)
            if number is None or (number >= limit if below else number <= limit):
                return None
            sign = "<" if below else ">"
            return f"{field} {format_quantity(number)} {sign} {format_quantity(limit)}"

        return numeric
    if rule.one_of is not None:
        excluded = frozenset(normalise_category(v) for v in rule.one_of)

        def categorical(raw: object) -> str | None:
            text = _category_text(raw)
            items = (text,) if text is not None else parse_list(raw) or ()
            hits = [item for item in items if normalise_category(item) in excluded]
            return f"{field} is {display_category(hits[0])}" if hits else None

        return categorical
    if rule.domain_in is not None:
        return DomainIn(field, rule.domain_in)
    if rule.semantic is not None:
        return semantic_disqualifier(rule.semantic)

    def truthy(raw: object) -> str | None:
        return f"{field} is true" if parse_bool(raw) is True else None

    return truthy
