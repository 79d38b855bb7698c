"""The SOQL subset's lexer: a query's text as tokens, and the literals' values.

Tokens are single-quoted strings (with `\\'`, `\\\\`, `\\n` ... escapes), datetimes
(`2024-01-01T00:00:00Z` / `...+02:00` / `...-0500`), dates, numbers, operators, punctuation and
words (keywords, field and object names, relationship paths `Owner.Name`, date literals
`TODAY`, `LAST_N_DAYS:30`). What is not one raises `MALFORMED_QUERY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.values import parse_datetime_ms

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?\d+(?:\.\d+)?)
    |(?P<op><=|>=|!=|<>|=|<|>)
    |(?P<punct>[(),])
    |(?P<word>[A-Za-z_][A-Za-z0-9_.]*(?::[A-Za-z0-9_+-]*)?)
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    position: int


def malformed(message: str) -> SalesforceError:
    """A syntax error (`MALFORMED_QUERY`)."""
    return SalesforceError("MALFORMED_QUERY", message)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise malformed(f"unexpected token: '{text[position : position + 20].strip()}'")
        kind = match.lastgroup or ""
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def unquote(text: str) -> str:
    body = text[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                raise malformed(f"Invalid string literal '{text}'. Illegal character sequence "
                                f"'\\{escaped}' in string literal.")  # fmt: skip
            out.append(_ESCAPES[escaped])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def datetime_ms(text: str) -> int:
    try:
        return parse_datetime_ms(text)
    except ValueError:
        raise malformed(f"invalid datetime: {text}") from None


def like_regex(body: str) -> re.Pattern[str]:
    """A LIKE pattern (the quoted literal's body) as a regular expression."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(re.escape(body[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)
