"""SOQL date literals: `TODAY`, `YESTERDAY`, `LAST_N_DAYS:n`, `THIS_MONTH`… as the range of days
each stands for (SOQL and SOSL Reference, "Date Formats and Date Literals in WHERE"), and how
`=`, `!=`, `<`, `<=`, `>`, `>=` compare a value with a range.

Days are UTC days (the sandbox's users are all in UTC), counted from the wall clock, as a real
org counts them. `LAST_N_DAYS:n` runs from n days ago through today, `NEXT_N_DAYS:n` from
tomorrow for n days, `N_DAYS_AGO:n` is that one day; weeks start on Sunday (en_US). An unknown
literal or a bad `n` is `MALFORMED_QUERY`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm_sandbox.salesforce.soql_tokens import malformed

MAX_N = 100_000  # beyond this Salesforce's date range overflows; refuse rather than guess


@dataclass(frozen=True, slots=True)
class DateRange:
    """The days `[start, end)` a date literal stands for."""

    literal: str
    start: date
    end: date

    def start_ms(self) -> int:
        return _ms(self.start)

    def end_ms(self) -> int:
        return _ms(self.end)


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _month(day: date, shift: int) -> date:
    months = day.year * 12 + day.month - 1 + shift
    return date(months // 12, months % 12 + 1, 1)


def _fixed(today: date) -> dict[str, tuple[date, date]]:
    week = today - timedelta(days=(today.weekday() + 1) % 7)  # the Sunday starting this week
    year = date(today.year, 1, 1)
    return {
        "TODAY": (today, today + timedelta(days=1)),
        "YESTERDAY": (today - timedelta(days=1), today),
        "TOMORROW": (today + timedelta(days=1), today + timedelta(days=2)),
        "LAST_WEEK": (week - timedelta(days=7), week),
        "THIS_WEEK": (week, week + timedelta(days=7)),
        "NEXT_WEEK": (week + timedelta(days=7), week + timedelta(days=14)),
        "LAST_MONTH": (_month(today, -1), _month(today, 0)),
        "THIS_MONTH": (_month(today, 0), _month(today, 1)),
        "NEXT_MONTH": (_month(today, 1), _month(today, 2)),
        "LAST_90_DAYS": (today - timedelta(days=90), today + timedelta(days=1)),
        "NEXT_90_DAYS": (today + timedelta(days=1), today + timedelta(days=91)),
        "LAST_YEAR": (date(today.year - 1, 1, 1), year),
        "THIS_YEAR": (year, date(today.year + 1, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
    }


_WITH_N: dict[str, Callable[[date, int], tuple[date, date]]] = {
    "LAST_N_DAYS": lambda t, n: (t - timedelta(days=n), t + timedelta(days=1)),
    "NEXT_N_DAYS": lambda t, n: (t + timedelta(days=1), t + timedelta(days=n + 1)),
    "N_DAYS_AGO": lambda t, n: (t - timedelta(days=n), t - timedelta(days=n - 1)),
    "N_DAYS_FROM_NOW": lambda t, n: (t + timedelta(days=n), t + timedelta(days=n + 1)),
    "LAST_N_WEEKS": lambda t, n: (t - timedelta(days=7 * n), t + timedelta(days=1)),
    "NEXT_N_WEEKS": lambda t, n: (t + timedelta(days=1), t + timedelta(days=7 * n + 1)),
    "LAST_N_MONTHS": lambda t, n: (_month(t, -n), _month(t, 0)),
    "NEXT_N_MONTHS": lambda t, n: (_month(t, 1), _month(t, n + 1)),
}


def is_date_literal(text: str) -> bool:
    """Whether a word is one of the literals (`TODAY`) or looks like one taking `:n`."""
    name = text.split(":", 1)[0].upper()
    return name in _WITH_N or name in _fixed(date(2000, 1, 1))


def date_range(text: str, today: date | None = None) -> DateRange:
    """The range a literal stands for; `MALFORMED_QUERY` naming it if it is not one."""
    day = today or datetime.fromtimestamp(time.time(), UTC).date()
    name, colon, count = text.partition(":")
    name = name.upper()
    if not colon:
        fixed = _fixed(day).get(name)
        if fixed is None:
            raise malformed(f"unexpected token: '{text}'")
        return DateRange(text, *fixed)
    make = _WITH_N.get(name)
    if make is None or not count.isdigit() or int(count) > MAX_N:
        raise malformed(f"Invalid date literal: '{text}'; expecting for example {name}:30")
    return DateRange(text, *make(day, int(count)))


def range_predicate(
    name: str, operator: str, dates: DateRange, is_datetime: bool
) -> Callable[[Mapping[str, Any]], bool]:
    """`field op literal` over a record: `=` within the range, `<` before it, `>` after it."""
    if is_datetime:
        low, high = dates.start_ms(), dates.end_ms()
    else:
        low, high = dates.start.toordinal(), dates.end.toordinal()

    def test(record: Mapping[str, Any]) -> bool:
        value = record.get(name)
        if value is None:
            return operator == "!="
        key = int(value) if is_datetime else date.fromisoformat(str(value)).toordinal()
        return {
            "=": low <= key < high,
            "!=": not low <= key < high,
            "<": key < low,
            "<=": key < high,
            ">": key >= high,
            ">=": key >= low,
        }[operator]

    return test
