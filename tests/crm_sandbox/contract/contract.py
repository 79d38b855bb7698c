"""The contract cases' shared parts: the published schemas (`schemas/`), the validator, and
the table row a test module parametrizes over.

`schemas/hubspot/*.json` are components of HubSpot's OpenAPI specs and `schemas/salesforce/*.json`
Salesforce's documented answers, each citing its source in `$comment`. A case names a file and
one of its `$defs` (or the whole file); `violations` lists where an answer breaks it, formats
(`date-time`, `uuid`) included. The sandbox is checked against them, never the other way round:
a schema is only ever loosened with the reason written in its `$comment`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

SCHEMAS = Path(__file__).parent / "schemas"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the sandbox sent back: status and parsed JSON body (None when it had none)."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Case:
    """One operation (or one documented error answer of it) the connectors call.

    `covers`: the client methods (`Class.method`) whose HTTP call this case makes; `send` makes
    the call the way the connector does and returns the answer; `schema` is `file#Definition`
    (or a file alone) under `schemas/`; `pending`, when set, is why the sandbox cannot pass yet
    (a strict xfail: it must fail until that changes).
    """

    name: str
    status: int
    schema: str | None
    send: Callable[..., Answer]
    covers: tuple[str, ...] = ()
    pending: str | None = None
    marks: Sequence[pytest.MarkDecorator] = field(default=())

    def param(self) -> Any:
        marks = list(self.marks)
        if self.pending is not None:
            marks.append(pytest.mark.xfail(strict=True, reason=self.pending))
        return pytest.param(self, id=self.name, marks=marks)


@functools.cache
def validator(schema: str) -> jsonschema_rs.Validator:
    """The validator of `file#Definition` (or of a whole file); KeyError if there is none."""
    file, _, definition = schema.partition("#")
    document: dict[str, Any] = json.loads((SCHEMAS / file).read_text())
    if definition:
        if definition not in document.get("$defs", {}):
            raise KeyError(f"{file} has no $defs/{definition}")
        document = {**document, "$ref": f"#/$defs/{definition}"}
    return jsonschema_rs.validator_for(document, validate_formats=True)


def violations(schema: str, body: object) -> list[str]:
    """Every place `body` breaks `schema` (`file#Definition`), as `path: message`."""
    return [
        f"{'/'.join(str(p) for p in error.instance_path) or '(root)'}: {error.message}"
        for error in validator(schema).iter_errors(body)
    ]


def check(case: Case, answer: Answer) -> None:
    """Asserts the answer has the case's status and, when it has a schema, conforms to it."""
    assert answer.status == case.status, (
        f"{case.name}: HTTP {answer.status}, expected {case.status}: {answer.body!r:.500}"
    )
    if case.schema is None:
        assert answer.body is None, f"{case.name}: expected no body, got {answer.body!r:.300}"
        return
    problems = violations(case.schema, answer.body)
    assert not problems, f"{case.name} breaks {case.schema}:\n" + "\n".join(problems[:20])


def assert_every_call_covered(
    cls: type,
    cases: Sequence[Case],
    *,
    not_http: frozenset[str],
    functions: Sequence[str] = (),
) -> None:
    """Every public method of `cls` (but `not_http`) and every function named in `functions`
    is in some case's `covers`: a call the connector gains without a contract case fails."""
    covered = {name for case in cases for name in case.covers}
    methods = (
        f"{cls.__name__}.{name}"
        for name, value in vars(cls).items()
        if not name.startswith("_") and callable(value) and name not in not_http
    )
    missing = sorted(name for name in (*methods, *functions) if name not in covered)
    assert not missing, f"add a contract case (Case.covers) for {missing}"


def json_or_none(content: bytes) -> Any:
    return json.loads(content) if content else None
