"""The rubric loader against garbage: hypothesis puts junk — wrong types, nulls, NaN and
infinities, numbers past Python's 4,300-digit limit, huge and unicode strings, nested lists and
mappings, non-text keys — at any key of a rubric that uses every rule kind, or adds junk keys
anywhere, then loads it as a document and as a YAML file. Every case ends in the loader's own
`RubricError` whose problems each name a key path related to where the junk went (and show the
value when it is a scalar), or in a valid rubric that then compiles and scores a record 0-100."""

from __future__ import annotations

import copy
import gc
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from app.errors import RubricError
from app.rubric.loader import format_location, load_rubric, parse_rubric
from app.rubric.model import DISQUALIFIED_TIER, Rubric
from app.scoring import AccountFacts, compile_rubric, score

pytestmark = pytest.mark.slow  # hypothesis loads hundreds of junk rubrics

Path_ = tuple[str | int, ...]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
HUGE_INT = 10**5000  # past Python's 4,300-digit limit for int → str


def every_kind() -> dict[str, Any]:
    """A valid rubric with every rule kind, every disqualifier test, `fields` and `applies_to`."""
    return {
        "version": "garbage-1",
        "name": "Every kind",
        "description": "For the garbage tests.",
        "fields": {"signals": {"hubspot": "icp_signals", "salesforce": "Signals__c"}},
        "layers": {
            "firmographic": {
                "description": "Who they are.",
                "criteria": [
                    {
                        "id": "industry",
                        "field": "industry",
                        "weight": 20,
                        "reason": "Industry",
                        "missing": "skip",
                        "otherwise": 10,
                        "match": [
                            {"label": "exact", "points": 100, "values": ["Software"]},
                            {"label": "near", "points": 50, "keywords": ["data"]},
                        ],
                    },
                    {
                        "id": "employees",
                        "field": "employees",
                        "weight": 20,
                        "reason": "Employees",
                        "missing": 10,
                        "bands": [
                            {"max": 50, "points": 20},
                            {"min": 50, "max": 500, "points": 100},
                        ],
                    },
                    {
                        "id": "country",
                        "field": "country",
                        "weight": 10,
                        "reason": "Country",
                        "applies_to": ["lead"],
                        "any_of": {"values": ["Germany"], "points": 90},
                    },
                ],
            },
            "behavioural": {
                "criteria": [
                    {
                        "id": "signals",
                        "field": "signals",
                        "weight": 20,
                        "reason": "Signals",
                        "count": {
                            "values": ["demo"],
                            "steps": [
                                {"at_least": 2, "points": 100},
                                {"at_least": 1, "points": 50},
                            ],
                        },
                    },
                    {
                        "id": "engaged",
                        "field": "last_engagement_at",
                        "weight": 20,
                        "reason": "Engagement",
                        "recency": {"full_within_days": 7, "zero_after_days": 90, "points": 80},
                    },
                    {
                        "id": "authority",
                        "field": "title",
                        "weight": 15,
                        "reason": "Decision authority",
                        "applies_to": ["contact", "lead"],
                        "otherwise": 20,
                        "seniority": {"c_level": 100, "vp": 80, "unknown": 0},
                    },
                    {
                        "id": "champion",
                        "field": "has_champion",
                        "weight": 10,
                        "reason": "Champion",
                        "boolean": {"when_true": 100, "when_false": 20},
                    },
                ]
            },
        },
        "tiers": [
            {"name": "hot", "label": "Hot", "min_score": 60},
            {"name": "cold", "label": "Cold", "min_score": 0},
        ],
        "disqualifiers": [
            {"id": "tiny", "field": "employees", "reason": "Tiny", "less_than": 5},
            {"id": "huge", "field": "employees", "reason": "Huge", "greater_than": 10**6},
            {"id": "gov", "field": "industry", "reason": "Gov", "one_of": ["Government"]},
            {"id": "free", "field": "domain", "reason": "Free mail", "domain_in": ["gmail.com"]},
            {
                "id": "opted_out",
                "field": "opted_out",
                "reason": "Opted out",
                "is_true": True,
                "applies_to": ["account"],
            },
        ],
    }


def _paths(node: object, path: Path_ = ()) -> list[Path_]:
    """Every key path of the document, inner nodes included (the top level too)."""
    found = [path]
    if isinstance(node, dict):
        found += [p for key, child in node.items() for p in _paths(child, (*path, key))]
    elif isinstance(node, list):
        found += [p for i, child in enumerate(node) for p in _paths(child, (*path, i))]
    return found


def _at(document: Any, path: Path_) -> Any:
    for part in path:
        document = document[part]
    return document


PATHS = _paths(every_kind())
MAPPINGS = [p for p in PATHS if isinstance(_at(every_kind(), p), dict)]
"""The key paths that hold a mapping (where a junk key can be added)."""

text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20),
    st.sampled_from(
        ["", " ", "skip", "Tier 1", "hot", "a_b", "x" * 65, "\x00", "é", "🏢", "2024-01-01", ".nan"]
    ),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(100, 20_000)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 100, 101, 2**63, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
keys = st.one_of(text, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True))
junk = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=10,
)


@st.composite
def garbage_documents(draw: st.DrawFn) -> tuple[dict[str, Any], Path_, Any]:
    """A copy of `every_kind()` with junk at one key path, or a junk key added to a mapping:
    (document, path of the junk, the junk)."""
    document = every_kind()
    if draw(st.booleans()):
        path = draw(st.sampled_from(PATHS[1:]))
        value = draw(junk)
        _at(document, path[:-1])[path[-1]] = value
    else:
        parent = draw(st.sampled_from(MAPPINGS))
        name = draw(keys.filter(lambda k: k not in _at(every_kind(), parent)))
        value = draw(junk)
        _at(document, parent)[name] = value
        path = (*parent, name)
    return document, path, value


def _outcome(load: Callable[[], Rubric]) -> Rubric | RubricError:
    try:
        return load()
    except RubricError as error:
        return error


def _shown(value: object) -> str:
    try:
        shown = repr(value)
    except ValueError:
        return "a number with more than 4300 digits"
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _related(problem_path: str, junk_path: str) -> bool:
    """The problem is located where the junk went, inside it, or on a node that contains it."""
    if problem_path == "(top level)" or problem_path == junk_path:
        return True
    if junk_path.startswith(problem_path) and junk_path[len(problem_path)] in ".[":
        return True
    return problem_path.startswith(junk_path) and problem_path[len(junk_path)] in ".["


def _location(document: Any, path: Path_) -> str:
    """`path` as the loader names it: a mapping key that is not text by its value."""
    named: list[str | int] = []
    for part in path:
        named.append(part if isinstance(document, list) or isinstance(part, str) else repr(part))
        document = document[part]
    return format_location(named)


def assert_clear_error(error: RubricError, document: Any, path: Path_, value: object) -> None:
    junk_path = _location(document, path)
    shown = {f", got {_shown(value)}", f", got {_shown(path[-1])}"}
    assert error.problems
    assert "Traceback" not in str(error)
    for problem in error.problems:
        where, separator, message = problem.partition(": ")
        assert separator, problem
        assert message, problem
        assert _related(where, junk_path), (problem, junk_path)
        is_scalar = value is None or isinstance(value, str | int | float | bool)
        if where == junk_path and is_scalar and "required key is missing" not in message:
            assert any(message.endswith(got) for got in shown), (problem, value)


def assert_scores(rubric: Rubric) -> None:
    compiled = compile_rubric(rubric)
    tiers = {tier.name for tier in rubric.tiers} | {DISQUALIFIED_TIER}
    for object_type in ("account", "lead", "company", "contact"):
        facts = AccountFacts(
            id="1",
            values={
                "industry": "Software",
                "employees": 120,
                "domain": "acme.com",
                "title": "VP, Sales",
            },
            object_type=object_type,
            source="hubspot",
            properties={"icp_signals": "demo;demo", "opted_out": "false"},
        )
        result = score(facts, compiled, NOW)
        assert 0 <= result.score <= 100
        assert result.tier in tiers
        assert result.reasons


garbage = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_given_the_every_kind_rubric_when_parsed_then_it_is_valid_and_scores() -> None:
    assert_scores(parse_rubric(every_kind()))


@garbage
@example(
    case=(
        every_kind() | {"tiers": [{"name": "hot", "label": "Hot", "min_score": math.nan}]},
        ("tiers", 0, "min_score"),
        math.nan,
    )
)
@given(case=garbage_documents())
def test_given_junk_at_any_key_when_parsed_then_a_clear_rubric_error_or_a_valid_rubric(
    case: tuple[dict[str, Any], Path_, Any],
) -> None:
    document, path, value = case

    outcome = _outcome(lambda: parse_rubric(copy.deepcopy(document)))
    event(type(outcome).__name__)

    if isinstance(outcome, RubricError):
        assert_clear_error(outcome, document, path, value)
    else:
        assert_scores(outcome)


@garbage
@given(case=garbage_documents())
def test_given_junk_at_any_key_when_loaded_from_yaml_then_a_clear_rubric_error_or_a_valid_rubric(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[dict[str, Any], Path_, Any]
) -> None:
    document = case[0]
    file = tmp_path_factory.mktemp("rubric") / "rubric.yaml"
    dumped = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    file.write_bytes(dumped.encode("utf-8", "surrogatepass"))

    outcome = _outcome(lambda: load_rubric(file))
    event(type(outcome).__name__)

    if isinstance(outcome, RubricError):
        assert outcome.problems
        assert "Traceback" not in str(outcome)
        assert all(
            ": " in problem or problem.startswith("not UTF-8") for problem in outcome.problems
        )
    else:
        assert_scores(outcome)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "version: x\nname: " + "9" * 5000 + "\n",
            "line 2, column 7: YAML syntax error: cannot read this value: "
            "a number with more than 4300 digits",
            id="number_of_5000_digits",
        ),
        pytest.param(
            "version: 2024-13-45\n",
            "line 1, column 10: YAML syntax error: cannot read this value: month must be in 1..12",
            id="date_that_does_not_exist",
        ),
        pytest.param(
            "version: " + "[" * 5000 + "]" * 5000 + "\n", "YAML nested too deeply", id="deep"
        ),
    ],
)
def test_given_yaml_values_python_cannot_build_when_loaded_then_a_rubric_error_naming_them(
    tmp_path: Path, text: str, expected: str
) -> None:
    # Each of these escaped as a bare ValueError or RecursionError before.
    file = tmp_path / "rubric.yaml"
    file.write_text(text, "utf-8")
    # Earlier tests' garbage (sockets, clients) must not be finalised deep inside the nested
    # load, where a finaliser would hit the recursion limit and surface as an unraisable error.
    gc.collect()

    with pytest.raises(RubricError) as caught:
        load_rubric(file)

    assert caught.value.problems == (expected,)


def test_given_a_number_past_the_digit_limit_when_parsed_then_the_error_says_so() -> None:
    # repr() of such a number raises ValueError; the loader used to let it escape.
    with pytest.raises(RubricError) as caught:
        parse_rubric(every_kind() | {"version": HUGE_INT})

    assert caught.value.problems == (
        "version: expected text, got a number with more than 4300 digits",
    )
