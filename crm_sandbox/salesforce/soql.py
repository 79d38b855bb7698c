"""A small SOQL subset for the Salesforce sandbox: exactly what a sync connector sends.

    SELECT f1, Rel.f2 FROM Obj [WHERE cond [AND|OR cond ...]] [ORDER BY f [ASC|DESC] [, ...]]
    [LIMIT n]

Fields may be a parent's through a lookup, `Owner.Name`, `Account.Name` (`soql_relations`).
Conditions are `field op literal` (`= != <> < <= > >=`), `field [NOT] IN (literal, ...)` or
`field LIKE 'pattern'` (`%` any run, `_` one character, case-insensitive as Salesforce's),
combined with AND / OR / NOT and parentheses. Literals: single-quoted strings (with `\\'`,
`\\\\`, `\\n` ... escapes), numbers, `true`/`false`/`null`, dates `2024-01-01`, datetimes
`2024-01-01T00:00:00Z` / `...+02:00` / `...-0500` and date literals `TODAY`, `LAST_N_DAYS:7`
(`soql_dates`). Keywords and field names are
case-insensitive. Anything else raises `SalesforceError` with `MALFORMED_QUERY` (syntax),
`INVALID_FIELD` (unknown field, or a literal of the wrong type for it) or `INVALID_TYPE`
(unknown object); nothing else ever escapes `parse`/`run`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.ids import normalize_id
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.soql_dates import (
    DateRange,
    date_range,
    is_date_literal,
    range_predicate,
)
from crm_sandbox.salesforce.soql_relations import Lookup, Relation, enrich, resolve_path
from crm_sandbox.salesforce.soql_tokens import (
    Token,
    datetime_ms,
    like_regex,
    malformed,
    tokenize,
    unquote,
)

_KEYWORDS = frozenset(
    ("select", "from", "where", "and", "or", "not", "in", "order", "by", "asc", "desc", "limit",
     "nulls", "first", "last", "null", "true", "false", "like")
)  # fmt: skip
_NUMERIC = ("int", "double", "currency", "percent")
_TEXT = ("id", "string", "picklist", "multipicklist", "reference", "url", "email", "textarea",
         "phone")  # fmt: skip

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]


@dataclass(frozen=True, slots=True)
class OrderBy:
    field: str
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query, fields resolved to their canonical names."""

    object_name: str
    fields: tuple[str, ...]
    where: Predicate | None
    order_by: tuple[OrderBy, ...]
    limit: int | None
    relations: tuple[Relation, ...] = ()

    def run(
        self, records: list[dict[str, Any]], lookup: Lookup | None = None
    ) -> list[dict[str, Any]]:
        """The matching records, ordered and limited (all fields; project with `fields`).
        `lookup` finds the parents of `relations` by id (none found without it)."""
        if self.relations:
            records = enrich(records, self.relations, lookup or (lambda _id: None))
        where = self.where
        matched = [r for r in records if where is None or where(r)]
        for order in reversed(self.order_by):
            present = [r for r in matched if r.get(order.field) is not None]
            missing = [r for r in matched if r.get(order.field) is None]
            present.sort(key=lambda r, f=order.field: r[f], reverse=order.descending)  # type: ignore[misc]
            matched = present + missing if order.nulls_last else missing + present
        if self.limit is not None:
            matched = matched[: self.limit]
        return matched


class _Parser:
    def __init__(self, text: str, schemas: Callable[[str], Mapping[str, FieldDef] | None]) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.schemas = schemas
        self.fields: Mapping[str, FieldDef] = {}
        self.object_name = ""
        self.relations: dict[str, Relation] = {}

    # --- token helpers ----------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, what: str) -> Token:
        token = self.peek()
        if token is None:
            raise malformed(f"unexpected end of query, expecting {what}")
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.lower() in words

    def keyword(self, word: str) -> None:
        token = self.next(word.upper())
        if token.kind != "word" or token.text.lower() != word:
            raise malformed(f"unexpected token: '{token.text}', expecting {word.upper()}")

    def punct(self, char: str) -> None:
        token = self.next(f"'{char}'")
        if token.kind != "punct" or token.text != char:
            raise malformed(f"unexpected token: '{token.text}', expecting '{char}'")

    def field_name(self) -> FieldDef:
        token = self.next("a field name")
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise malformed(f"unexpected token: '{token.text}', expecting a field name")
        return self.resolve(token)

    def resolve(self, token: Token) -> FieldDef:
        if "." in token.text:
            return resolve_path(token.text, token.position, self.fields, self.schemas,
                                self.text, self.relations)  # fmt: skip
        for name, definition in self.fields.items():
            if name.lower() == token.text.lower():
                return definition
        raise SalesforceError(
            "INVALID_FIELD",
            f"\n{self.text}\nERROR at Row:1:Column:{token.position + 1}\nNo such column "
            f"'{token.text}' on entity '{self.object_name}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
        )

    # --- grammar ----------------------------------------------------------------------------

    def query(self) -> Query:
        self.keyword("select")
        raw_fields: list[Token] = []
        while True:
            token = self.next("a field name")
            if token.kind != "word" or token.text.lower() in _KEYWORDS:
                raise malformed(f"unexpected token: '{token.text}', expecting a field name")
            raw_fields.append(token)
            separator = self.peek()
            if separator is None or separator.text != ",":
                break
            self.index += 1
        self.keyword("from")
        object_token = self.next("an object name")
        if object_token.kind != "word":
            raise malformed(f"unexpected token: '{object_token.text}', expecting an object")
        fields = self.schemas(object_token.text)
        if fields is None:
            raise SalesforceError(
                "INVALID_TYPE",
                f"\n{self.text}\nERROR at Row:1:Column:{object_token.position + 1}\n"
                f"sObject type '{object_token.text}' is not supported.",
            )
        self.fields = fields
        self.object_name = object_token.text
        selected = [self.resolve(token).name for token in raw_fields]  # after FROM, as SF does
        where: Predicate | None = None
        if self.at_keyword("where"):
            self.index += 1
            where = self.disjunction()
        order_by: list[OrderBy] = []
        if self.at_keyword("order"):
            self.index += 1
            self.keyword("by")
            while True:
                definition = self.field_name()
                descending = False
                if self.at_keyword("asc", "desc"):
                    descending = self.next("ASC").text.lower() == "desc"
                nulls_last = descending
                if self.at_keyword("nulls"):
                    self.index += 1
                    word = self.next("FIRST or LAST").text.lower()
                    if word not in ("first", "last"):
                        raise malformed(f"unexpected token: '{word}', expecting FIRST or LAST")
                    nulls_last = word == "last"
                order_by.append(OrderBy(definition.name, descending, nulls_last))
                separator = self.peek()
                if separator is None or separator.text != ",":
                    break
                self.index += 1
        limit: int | None = None
        if self.at_keyword("limit"):
            self.index += 1
            number = self.next("a number")
            if number.kind != "number" or not number.text.isdigit():
                raise malformed(f"unexpected token: '{number.text}', expecting a number")
            limit = int(number.text)
        rest = self.peek()
        if rest is not None:
            raise malformed(f"unexpected token: '{rest.text}'")
        return Query(object_name="", fields=tuple(selected), where=where,
                     order_by=tuple(order_by), limit=limit,
                     relations=tuple(self.relations.values()))  # fmt: skip

    def disjunction(self) -> Predicate:
        terms = [self.conjunction()]
        while self.at_keyword("or"):
            self.index += 1
            terms.append(self.conjunction())
        if len(terms) == 1:
            return terms[0]
        return lambda record: any(term(record) for term in terms)

    def conjunction(self) -> Predicate:
        terms = [self.negation()]
        while self.at_keyword("and"):
            self.index += 1
            terms.append(self.negation())
        if len(terms) == 1:
            return terms[0]
        return lambda record: all(term(record) for term in terms)

    def negation(self) -> Predicate:
        if self.at_keyword("not"):
            self.index += 1
            inner = self.negation()
            return lambda record: not inner(record)
        token = self.peek()
        if token is not None and token.text == "(":
            self.index += 1
            inner = self.disjunction()
            self.punct(")")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        definition = self.field_name()
        name = definition.name
        negate = False
        if self.at_keyword("not"):
            self.index += 1
            negate = True
            if not self.at_keyword("in"):
                raise malformed("unexpected token: 'NOT', expecting IN")
        if self.at_keyword("in"):
            self.index += 1
            self.punct("(")
            values = [self.literal(definition)]
            while (token := self.peek()) is not None and token.text == ",":
                self.index += 1
                values.append(self.literal(definition))
            self.punct(")")
            options = [v for v in values if v is not None]
            if negate:
                return lambda record: record.get(name) is not None and record[name] not in options
            return lambda record: record.get(name) in options
        if self.at_keyword("like"):
            self.index += 1
            return self.like(definition)
        token = self.next("an operator")
        if token.kind != "op":
            raise malformed(f"unexpected token: '{token.text}', expecting an operator")
        operator = "!=" if token.text == "<>" else token.text
        value = self.literal(definition)
        if isinstance(value, DateRange):
            return range_predicate(name, operator, value, definition.type == "datetime")
        if value is None:
            if operator == "=":
                return lambda record: record.get(name) is None
            if operator == "!=":
                return lambda record: record.get(name) is not None
            raise malformed(f"invalid operator on null: '{token.text}'")
        if definition.type == "boolean" and operator not in ("=", "!="):
            raise malformed(f"invalid operator on boolean field {name}: '{token.text}'")
        return _comparison(name, operator, value, definition.type in ("id", "reference"))

    def like(self, definition: FieldDef) -> Predicate:
        """`field LIKE 'pattern'` on a text field: `%` any run, `_` one character, `\\%` and
        `\\_` themselves; case-insensitive; null never matches."""
        token = self.next("a value")
        if token.kind != "string" or definition.type not in _TEXT or definition.type == "id":
            raise malformed(f"invalid operator on field {definition.name}: LIKE '{token.text}'")
        pattern = like_regex(token.text[1:-1])
        name = definition.name
        return lambda record: (
            record.get(name) is not None and bool(pattern.fullmatch(str(record[name])))
        )

    def literal(self, definition: FieldDef) -> Any:
        token = self.next("a value")
        kind, text, name, field_type = token.kind, token.text, definition.name, definition.type
        if kind == "word" and text.lower() == "null":
            return None
        if kind == "word" and field_type in ("date", "datetime") and is_date_literal(text):
            return date_range(text)
        if field_type == "boolean":
            if kind == "word" and text.lower() in ("true", "false"):
                return text.lower() == "true"
        elif field_type in _NUMERIC:
            if kind == "number":
                return float(text) if "." in text else int(text)
        elif field_type == "datetime":
            if kind == "datetime":
                return datetime_ms(text)
        elif field_type == "date":
            if kind == "date":
                try:
                    date.fromisoformat(text)
                except ValueError:
                    raise malformed(f"invalid date: {text}") from None
                return text
        elif field_type in _TEXT and kind == "string":
            value = unquote(text)
            if field_type in ("id", "reference") and len(value) in (15, 18):
                return normalize_id(value) or value
            return value
        if kind in ("word", "op", "punct") and text.lower() not in ("true", "false"):
            raise malformed(f"unexpected token: '{text}', expecting a value")
        raise SalesforceError(
            "INVALID_FIELD",
            f"\n{self.text}\nERROR at Row:1:Column:{token.position + 1}\n"
            f"value of filter criterion for field '{name}' must be of type {field_type} "
            "and should not be enclosed in quotes",
        )


def _comparison(name: str, operator: str, value: Any, is_id: bool) -> Predicate:
    def compare(record: Record) -> bool:
        current = record.get(name)
        if current is None:
            return operator == "!="
        if is_id:
            current = str(current)
        try:
            if operator == "=":
                return bool(current == value)
            if operator == "!=":
                return bool(current != value)
            if operator == "<":
                return bool(current < value)
            if operator == "<=":
                return bool(current <= value)
            if operator == ">":
                return bool(current > value)
            return bool(current >= value)
        except TypeError:
            return False

    return compare


def parse(text: str, schemas: Callable[[str], tuple[str, Mapping[str, FieldDef]] | None]) -> Query:
    """Parses `text`; `schemas(name)` gives (canonical object name, its fields) or None."""
    resolved: dict[str, str] = {}

    def lookup(name: str) -> Mapping[str, FieldDef] | None:
        found = schemas(name)
        if found is None:
            return None
        resolved.setdefault("name", found[0])  # the FROM object: looked up first
        return found[1]

    try:
        parser = _Parser(text, lookup)
        parser.object_name = ""
        query = parser.query()
    except SalesforceError:
        raise
    except (IndexError, ValueError, OverflowError, RecursionError) as error:
        raise malformed(f"unable to parse query: {error}") from None
    return Query(
        object_name=resolved["name"],
        fields=query.fields,
        where=query.where,
        order_by=query.order_by,
        limit=query.limit,
        relations=query.relations,
    )
