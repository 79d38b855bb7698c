"""Reads a rubric file and turns every problem into `key.path[i].name: message, got <value>`.

This is the rubric's only I/O; everything after `load_rubric` works on the validated model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.errors import RubricError
from app.rubric.model import Criterion, Rubric

DEFAULT_RUBRIC_PATH = Path(__file__).with_name("default.yaml")
MAX_RUBRIC_BYTES = 1024 * 1024

_MESSAGES = {
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "invalid_key": "a key must be text",
    "string_pattern_mismatch": "expected lower-case letters, digits and _, starting with a letter",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last one
    silently, which would hide an edit)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's, but a value its constructors cannot build (a date like 2024-13-45, a
        number of more than 4,300 digits) is reported at its line and column instead of
        escaping as a bare ValueError."""
        try:
            return super().construct_object(node, deep)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value: {_reason(error)}", node.start_mark
            ) from None


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        mark = key_node.start_mark
        try:
            earlier = first_line.setdefault(key, mark.line + 1)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", mark
            ) from None
        if earlier != mark.line + 1:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (lines {earlier} and {mark.line + 1})", mark
            )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)


def _reason(error: ValueError) -> str:
    text = str(error)
    if text.startswith("Exceeds the limit"):  # int("9" * 5000)
        return "a number with more than 4300 digits"
    return text


def format_location(location: Sequence[int | str]) -> str:
    """`('layers', 'firmo', 'criteria', 1, 'min')` → `layers.firmo.criteria[1].min`."""
    text = ""
    for part in location:
        if part == "[key]":  # pydantic's marker for an invalid dict key; the key is named already
            continue
        if isinstance(part, int):
            text += f"[{_shown_value(part, limit=None)}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _shown_value(value: object, *, limit: int | None = 60) -> str:
    try:
        shown = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for int → str
        shown = "a number with more than 4300 digits"
    return shown if limit is None or len(shown) <= limit else shown[: limit - 3] + "..."


def describe_error(error: ErrorDetails, document: object = None) -> str:
    """One line per validation problem: where, what was expected, what was found. Given the
    `document` validated, a mapping key that is not text is named by its value (pydantic
    writes the key `false` as 0, which would read like a list position)."""
    kind = error["type"]
    message = _MESSAGES.get(kind)
    if message is None:
        message = error["msg"].removeprefix("Value error, ")
        if kind == "too_short":
            minimum = (error.get("ctx") or {}).get("min_length", 1)
            message = f"expected at least {minimum} {'entry' if minimum == 1 else 'entries'}"
        elif kind not in ("value_error", "assertion_error") and message.startswith("Input should"):
            message = "expected" + message.removeprefix("Input should be").removeprefix(
                "Input should"
            )
    value = error.get("input")
    scalar = value is None or isinstance(value, str | int | float | bool)
    got = f", got {_shown_value(value)}" if scalar and kind != "missing" else ""
    return f"{format_location(_keys_named(error['loc'], document))}: {message}{got}"


def _keys_named(location: Sequence[int | str], document: object) -> list[int | str]:
    """`location` with each part that is a key of a mapping in `document` spelt as text."""
    named: list[int | str] = []
    node = document
    for part in location:
        if isinstance(node, dict) and part != "[key]":
            key = next((k for k in node if k == part and not isinstance(k, str)), part)
            named.append(part if isinstance(key, str) else _shown_value(key, limit=None))
            node = node.get(key)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            named.append(part)
            node = node[part]
        else:
            named.append(part)
            node = None
    return named


def parse_rubric(document: object, source: str = "<rubric>") -> Rubric:
    """Validates an already-parsed document (a dict from YAML or JSON)."""
    if not isinstance(document, dict):
        found = "an empty file" if document is None else f"{type(document).__name__}"
        raise RubricError(
            source, [f"(top level): expected a mapping of keys to values, got {found}"]
        )
    try:
        rubric = Rubric.model_validate(document)
    except ValidationError as error:
        raise RubricError(source, [describe_error(e, document) for e in error.errors()]) from None
    _refuse_without_model(rubric, source)
    return rubric


def _refuse_without_model(rubric: Rubric, source: str) -> None:
    """A rubric that reads text by meaning is refused, not scored without that criterion, when
    the local model is not installed."""
    rules = rubric.semantic_rules
    if not rules:
        return
    from app.semantic.model import INSTALL_HINT, available

    if not available():
        kinds = ["criterion" if isinstance(rule, Criterion) else "disqualifier" for rule in rules]
        named = ", ".join(f"{kind} {rule.id!r}" for kind, rule in zip(kinds, rules, strict=True))
        raise RubricError(source, [f"{named}: `semantic` reads text by meaning; {INSTALL_HINT}"])


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Reads and validates a rubric file; the shipped default when `path` is None."""
    path = Path(path) if path is not None else DEFAULT_RUBRIC_PATH
    try:
        if path.stat().st_size > MAX_RUBRIC_BYTES:
            raise RubricError(str(path), [f"file is larger than {MAX_RUBRIC_BYTES} bytes"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(str(path), ["file not found"]) from None
    except IsADirectoryError:
        raise RubricError(str(path), ["is a directory, expected a YAML file"]) from None
    except UnicodeDecodeError as error:
        raise RubricError(str(path), [f"not UTF-8 text (byte {error.start})"]) from None
    except OSError as error:
        raise RubricError(str(path), [f"cannot read: {error.strerror}"]) from None
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise RubricError(str(path), [f"{where}YAML syntax error: {problem}"]) from None
    except yaml.YAMLError as error:
        raise RubricError(str(path), [f"YAML syntax error: {error}"]) from None
    except RecursionError:  # `[[[[…]]]]` thousands deep
        raise RubricError(str(path), ["YAML nested too deeply"]) from None
    return parse_rubric(document, str(path))
