"""The accounts list's filters, sorting and page, parsed from a query string.

Every value is checked here, and a bad one raises `BadParameter` naming the field and the
value, which the page shows as a 400 (never FastAPI's 422 JSON, never a 500). An empty value
is no filter: a GET form sends its empty fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import urlencode

SOURCES = ("hubspot", "salesforce")
KINDS = ("company", "contact", "account", "lead")
SORTS = ("name", "score", "tier", "updated")
"""`updated`: when the CRM last changed the record (its own modified time), newest first."""
DIRECTIONS = ("asc", "desc")
DEFAULT_DIRECTION = {"name": "asc", "score": "desc", "tier": "asc", "updated": "desc"}
PAGE_SIZE = 50
MAX_TEXT = 200
MAX_PAGE = 1_000_000


class BadParameter(ValueError):
    def __init__(self, field: str, value: str, expected: str) -> None:
        super().__init__(f"{field}: {value!r} is not {expected}")
        self.field = field
        self.value = value


@dataclass(frozen=True)
class AccountFilter:
    q: str | None = None
    source: str | None = None
    kind: str | None = None
    tier: str | None = None
    flag: str | None = None
    min_score: int | None = None
    max_score: int | None = None
    changed_since: date | None = None
    sort: str = "name"
    dir: str = "asc"
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AccountFilter:
        def given(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        sort = _one_of("sort", given("sort"), SORTS) or "name"
        found = cls(
            q=_text("q", given("q")),
            source=_one_of("source", given("source"), SOURCES),
            kind=_one_of("kind", given("kind"), KINDS),
            tier=_text("tier", given("tier")),
            flag=_text("flag", given("flag")),
            min_score=_score("min_score", given("min_score")),
            max_score=_score("max_score", given("max_score")),
            changed_since=_day("changed_since", given("changed_since")),
            sort=sort,
            dir=_one_of("dir", given("dir"), DIRECTIONS) or DEFAULT_DIRECTION[sort],
            page=_page(given("page")),
        )
        low, high = found.min_score, found.max_score
        if low is not None and high is not None and low > high:
            raise BadParameter("max_score", str(high), f"at least min_score ({low})")
        return found

    def query(self, **changes: str | int | None) -> str:
        """This filter's query string with `changes` applied (None removes a parameter);
        defaults are left out so links stay short."""
        values: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        if values.get("page") == 1:
            values.pop("page")
        pairs = [(k, str(v)) for k, v in values.items() if v is not None]
        return urlencode(pairs)

    def filters_only(self) -> str:
        """The filters without sorting or page: what the CSV export takes."""
        return self.query(sort=None, dir=None, page=None)


def _text(field: str, value: str | None) -> str | None:
    if value is not None and len(value) > MAX_TEXT:
        raise BadParameter(field, value[:40] + "…", f"at most {MAX_TEXT} characters")
    return value


def _one_of(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadParameter(field, value, "one of " + ", ".join(allowed))
    return value


def _score(field: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isdecimal() and len(value) <= 3 and int(value) <= 100):
        raise BadParameter(field, value, "a whole number from 0 to 100")
    return int(value)


def _day(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(field, value, "a day as YYYY-MM-DD") from None


def _page(value: str | None) -> int:
    if value is None:
        return 1
    if not (value.isdecimal() and len(value) <= 7 and 1 <= int(value) <= MAX_PAGE):
        raise BadParameter("page", value, f"a whole number from 1 to {MAX_PAGE:,}")
    return int(value)
