"""The rubric loader: the shipped rubric, every rule kind, and every way a rubric file can be
wrong, each reported as `key.path[i].name: message, got <value>` without a traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import IcpSyncError, RubricError
from app.rubric.loader import DEFAULT_RUBRIC_PATH, MAX_RUBRIC_BYTES, load_rubric, parse_rubric
from app.rubric.model import Rubric

_DELETE = object()
"""An edit value that removes the key (or list item) instead of setting it."""

_NO_RULE_IN = (
    "a criterion needs exactly one rule of match, bands, any_of, count, recency, boolean, "
    "seniority, semantic; found: "
)
_LEVELS = "c_level, vp, head, director, manager, individual_contributor, unknown"
_NO_TEST_IN = (
    "a disqualifier needs exactly one test of less_than, greater_than, one_of, domain_in, "
    "is_true, semantic; found: "
)


def _minimal_rubric() -> dict[str, Any]:
    """A small valid rubric: firmographic (match, bands), behavioural (count), two tiers, one
    disqualifier and one `fields` mapping."""
    return {
        "version": "test-1",
        "fields": {"buying_signals": {"hubspot": "icp_buying_signals"}},
        "layers": {
            "firmographic": {
                "criteria": [
                    {
                        "id": "industry",
                        "field": "industry",
                        "weight": 40,
                        "reason": "Industry",
                        "match": [
                            {"label": "exact", "points": 100, "values": ["COMPUTER_SOFTWARE"]}
                        ],
                    },
                    {
                        "id": "employees",
                        "field": "employees",
                        "weight": 30,
                        "reason": "Employees",
                        "bands": [{"min": 50, "max": 200, "points": 100}],
                    },
                ]
            },
            "behavioural": {
                "criteria": [
                    {
                        "id": "buying_signals",
                        "field": "buying_signals",
                        "weight": 30,
                        "reason": "Buying signals",
                        "count": {
                            "steps": [
                                {"at_least": 2, "points": 100},
                                {"at_least": 1, "points": 50},
                            ]
                        },
                    }
                ]
            },
        },
        "tiers": [
            {"name": "tier_1", "label": "Tier 1", "min_score": 70},
            {"name": "tier_2", "label": "Tier 2", "min_score": 0},
        ],
        "disqualifiers": [
            {"id": "too_small", "field": "employees", "reason": "Too small", "less_than": 10}
        ],
    }


Edit = tuple[tuple[str | int, ...], object]


def _edited(*edits: Edit) -> dict[str, Any]:
    """The minimal rubric with each `(key path, value)` applied; `_DELETE` removes the key."""
    document = copy.deepcopy(_minimal_rubric())
    for path, value in edits:
        parent: Any = document
        for part in path[:-1]:
            parent = parent[part]
        if value is _DELETE:
            del parent[path[-1]]
        elif isinstance(parent, list) and path[-1] == len(parent):
            parent.append(copy.deepcopy(value))
        else:
            parent[path[-1]] = copy.deepcopy(value)
    return document


def _write_yaml(tmp_path: Path, document: object, name: str = "rubric.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def _load_error(path: Path) -> RubricError:
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    error = caught.value
    assert error.source == str(path)
    assert "Traceback" not in str(error)
    assert str(error).startswith(f"invalid rubric {path}:\n  ")
    return error


def _problems(tmp_path: Path, *edits: Edit) -> tuple[str, ...]:
    return _load_error(_write_yaml(tmp_path, _edited(*edits))).problems


FIRMO = ("layers", "firmographic", "criteria")
INDUSTRY = (*FIRMO, 0)
EMPLOYEES = (*FIRMO, 1)
SIGNALS = ("layers", "behavioural", "criteria", 0)


# --- the shipped rubric ---------------------------------------------------------------------


def test_given_no_path_when_load_rubric_then_the_shipped_default_is_loaded() -> None:
    assert load_rubric() == load_rubric(DEFAULT_RUBRIC_PATH)
    assert load_rubric().version == "2026.11-default"


def test_given_default_rubric_when_loaded_then_three_layers_weigh_100_in_total() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC_PATH)

    assert list(rubric.layers) == ["firmographic", "technographic", "behavioural"]
    assert rubric.total_weight == 100
    assert {
        name: sum(c.weight for c in layer.criteria) for name, layer in rubric.layers.items()
    } == {
        "firmographic": 50,
        "technographic": 15,
        "behavioural": 35,
    }
    assert [(layer, c.id, c.rule_kind) for layer, c in rubric.criteria] == [
        ("firmographic", "industry", "match"),
        ("firmographic", "employees", "bands"),
        ("firmographic", "annual_revenue", "bands"),
        ("technographic", "complementary_stack", "count"),
        ("behavioural", "buying_signals", "count"),
        ("behavioural", "recent_engagement", "recency"),
    ]


def test_given_default_rubric_when_loaded_then_tiers_are_70_50_0() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC_PATH)

    assert [(t.name, t.label, t.min_score) for t in rubric.tiers] == [
        ("tier_1", "Tier 1", 70),
        ("tier_2", "Tier 2", 50),
        ("tier_3", "Tier 3", 0),
    ]


def test_given_default_rubric_when_loaded_then_negative_icp_disqualifiers_are_present() -> None:
    rubric = load_rubric(DEFAULT_RUBRIC_PATH)
    by_id = {d.id: d for d in rubric.disqualifiers}

    assert list(by_id) == ["too_small", "excluded_industry", "personal_email_domain", "competitor"]
    assert (by_id["too_small"].field, by_id["too_small"].less_than) == ("employees", 10)
    assert "GOVERNMENT_ADMINISTRATION" in (by_id["excluded_industry"].one_of or [])
    assert "gmail.com" in (by_id["personal_email_domain"].domain_in or [])
    assert by_id["competitor"].domain_in == ["madkudu.com", "6sense.com", "demandbase.com"]
    assert rubric.fields == {
        "buying_signals": {"hubspot": "icp_buying_signals", "salesforce": "Buying_Signals__c"},
        "last_engagement_at": {"hubspot": "notes_last_updated", "salesforce": "LastActivityDate"},
    }


# --- every rule kind and option, from YAML --------------------------------------------------

_EVERY_RULE_KIND = """\
version: "kinds-1"
name: Every rule kind
fields:
  title:
    hubspot: jobtitle
    salesforce: Title
layers:
  firmographic:
    description: Who they are.
    criteria:
      - id: industry
        field: industry
        weight: 20
        reason: Industry
        missing: skip
        otherwise: 10
        match:
          - label: exact
            points: 100
            values: [COMPUTER_SOFTWARE, Software]
          - label: near
            points: 60
            keywords: [fintech, "data platform"]
      - id: employees
        field: employees
        weight: 20
        reason: Employees
        missing: 40
        otherwise: 30
        bands:
          - {max: 10, points: 0}
          - {min: 10, max: 200, points: 70}
          - {min: 200, points: 100}
      - id: country
        field: country
        weight: 10
        reason: Country
        any_of:
          values: [United States, Canada]
          points: 90
  behavioural:
    criteria:
      - id: stack
        field: technologies
        weight: 15
        reason: Stack
        count:
          values: [Salesforce, HubSpot]
          steps:
            - {at_least: 2, points: 100}
            - {at_least: 1, points: 50}
      - id: engagement
        field: last_engagement_at
        weight: 15
        reason: Engagement
        recency: {full_within_days: 7, zero_after_days: 90, points: 80}
      - id: champion
        field: has_champion
        weight: 10
        reason: Champion
        boolean: {when_true: 100, when_false: 20}
      - id: decision_authority
        field: title
        weight: 10
        reason: Decision authority
        applies_to: [contact, lead]
        otherwise: 15
        seniority: {c_level: 100, vp: 80, manager: 60, unknown: 0}
tiers:
  - {name: hot, label: Hot, min_score: 60}
  - {name: cold, label: Cold, min_score: 0}
disqualifiers:
  - {id: tiny, field: employees, reason: Tiny, less_than: 5}
  - {id: huge, field: employees, reason: Huge, greater_than: 100000, applies_to: [account]}
  - {id: gov, field: industry, reason: Government, one_of: [GOVERNMENT_ADMINISTRATION]}
  - {id: free_mail, field: domain, reason: Free mail, domain_in: [gmail.com]}
  - {id: do_not_contact, field: do_not_contact, reason: Opted out, is_true: true}
"""


@pytest.fixture
def every_kind(tmp_path: Path) -> Rubric:
    path = tmp_path / "kinds.yaml"
    path.write_text(_EVERY_RULE_KIND, "utf-8")
    return load_rubric(path)


def _criterion(rubric: Rubric, criterion_id: str) -> Any:
    return next(c for _, c in rubric.criteria if c.id == criterion_id)


def test_given_every_rule_kind_when_loaded_then_each_criterion_has_its_own_rule(
    every_kind: Rubric,
) -> None:
    assert every_kind.version == "kinds-1"
    assert every_kind.name == "Every rule kind"
    assert every_kind.total_weight == 100
    assert [(c.id, c.rule_kind) for _, c in every_kind.criteria] == [
        ("industry", "match"),
        ("employees", "bands"),
        ("country", "any_of"),
        ("stack", "count"),
        ("engagement", "recency"),
        ("champion", "boolean"),
        ("decision_authority", "seniority"),
    ]


def test_given_match_rule_when_loaded_then_values_keywords_skip_and_otherwise_are_kept(
    every_kind: Rubric,
) -> None:
    industry = _criterion(every_kind, "industry")

    assert [(m.label, m.points, m.values, m.keywords) for m in industry.match] == [
        ("exact", 100, ["COMPUTER_SOFTWARE", "Software"], []),
        ("near", 60, [], ["fintech", "data platform"]),
    ]
    assert industry.missing == "skip"
    assert industry.otherwise == 10
    assert industry.applies_to is None
    assert every_kind.layers["firmographic"].description == "Who they are."


def test_given_bands_with_open_ends_when_loaded_then_missing_bounds_are_none(
    every_kind: Rubric,
) -> None:
    employees = _criterion(every_kind, "employees")

    assert [(b.min, b.max, b.points) for b in employees.bands] == [
        (None, 10, 0),
        (10, 200, 70),
        (200, None, 100),
    ]
    assert employees.missing == 40.0
    assert isinstance(employees.missing, float)
    assert employees.otherwise == 30


def test_given_any_of_count_recency_boolean_when_loaded_then_their_settings_are_kept(
    every_kind: Rubric,
) -> None:
    country = _criterion(every_kind, "country")
    stack = _criterion(every_kind, "stack")
    engagement = _criterion(every_kind, "engagement")
    champion = _criterion(every_kind, "champion")

    assert (country.any_of.values, country.any_of.points) == (["United States", "Canada"], 90)
    assert stack.count.values == ["Salesforce", "HubSpot"]
    assert [(s.at_least, s.points) for s in stack.count.steps] == [(2, 100), (1, 50)]
    assert (
        engagement.recency.full_within_days,
        engagement.recency.zero_after_days,
        engagement.recency.points,
    ) == (7, 90, 80)
    assert (champion.boolean.when_true, champion.boolean.when_false) == (100, 20)
    assert country.missing == 0.0  # the default policy: an empty field scores 0 points


def test_given_applies_to_and_fields_mapping_when_loaded_then_both_are_kept(
    every_kind: Rubric,
) -> None:
    assert _criterion(every_kind, "decision_authority").applies_to == ["contact", "lead"]
    assert every_kind.fields == {"title": {"hubspot": "jobtitle", "salesforce": "Title"}}


def test_given_every_disqualifier_test_when_loaded_then_each_keeps_its_one_test(
    every_kind: Rubric,
) -> None:
    tests = {
        d.id: {
            name: getattr(d, name)
            for name in ("less_than", "greater_than", "one_of", "domain_in", "is_true")
            if getattr(d, name) is not None
        }
        for d in every_kind.disqualifiers
    }

    assert tests == {
        "tiny": {"less_than": 5},
        "huge": {"greater_than": 100000},
        "gov": {"one_of": ["GOVERNMENT_ADMINISTRATION"]},
        "free_mail": {"domain_in": ["gmail.com"]},
        "do_not_contact": {"is_true": True},
    }
    assert every_kind.disqualifiers[1].applies_to == ["account"]


def test_given_seniority_rule_when_loaded_then_points_per_level_and_otherwise_are_kept(
    every_kind: Rubric,
) -> None:
    authority = _criterion(every_kind, "decision_authority")

    assert authority.seniority.points_by_level() == {
        "c_level": 100,
        "vp": 80,
        "manager": 60,
        "unknown": 0,
    }
    assert authority.seniority.head is None  # a level not given scores `otherwise`
    assert authority.otherwise == 15


def test_given_minimal_rubric_when_loaded_then_it_is_valid(tmp_path: Path) -> None:
    rubric = load_rubric(_write_yaml(tmp_path, _minimal_rubric()))

    assert rubric.version == "test-1"
    assert rubric.name == "ICP rubric"  # the default
    assert rubric.total_weight == 100


# --- schema errors: exact key path, message and value ---------------------------------------

_SCHEMA_ERRORS: list[tuple[str, tuple[Edit, ...], str]] = [
    (
        "band_min_not_a_number",
        (((*EMPLOYEES, "bands", 0, "min"), "fifty"),),
        "layers.firmographic.criteria[1].bands[0].min: expected a number, got 'fifty'",
    ),
    (
        "misspelt_key",
        (((*INDUSTRY, "wieght"), 5),),
        "layers.firmographic.criteria[0].wieght: unknown key, got 5",
    ),
    (
        "required_key_missing",
        (((*INDUSTRY, "weight"), _DELETE),),
        "layers.firmographic.criteria[0].weight: required key is missing",
    ),
    (
        "weight_zero",
        (((*INDUSTRY, "weight"), 0),),
        "layers.firmographic.criteria[0].weight: expected greater than 0, got 0",
    ),
    (
        "weight_negative",
        (((*INDUSTRY, "weight"), -3),),
        "layers.firmographic.criteria[0].weight: expected greater than 0, got -3",
    ),
    (
        "points_above_100",
        (((*INDUSTRY, "match", 0, "points"), 150),),
        "layers.firmographic.criteria[0].match[0].points: "
        "expected less than or equal to 100, got 150",
    ),
    (
        "points_negative",
        (((*EMPLOYEES, "bands", 0, "points"), -1),),
        "layers.firmographic.criteria[1].bands[0].points: "
        "expected greater than or equal to 0, got -1",
    ),
    (
        "criterion_without_rule",
        (((*INDUSTRY, "match"), _DELETE),),
        f"layers.firmographic.criteria[0]: {_NO_RULE_IN}none",
    ),
    (
        "criterion_with_two_rules",
        (((*INDUSTRY, "boolean"), {"when_true": 100}),),
        f"layers.firmographic.criteria[0]: {_NO_RULE_IN}match, boolean",
    ),
    (
        "seniority_unknown_level",
        (((*INDUSTRY, "match"), _DELETE), ((*INDUSTRY, "seniority"), {"ceo": 100, "vp": 80})),
        "layers.firmographic.criteria[0].seniority: unknown seniority level 'ceo' (given 100); "
        f"expected one of {_LEVELS}",
    ),
    (
        "seniority_empty",
        (((*INDUSTRY, "match"), _DELETE), ((*INDUSTRY, "seniority"), {})),
        "layers.firmographic.criteria[0].seniority: "
        f"`seniority` needs points for at least one of {_LEVELS}",
    ),
    (
        "seniority_points_above_100",
        (((*INDUSTRY, "match"), _DELETE), ((*INDUSTRY, "seniority"), {"vp": 120})),
        "layers.firmographic.criteria[0].seniority.vp: expected less than or equal to 100, got 120",
    ),
    (
        "seniority_points_as_text",
        (((*INDUSTRY, "match"), _DELETE), ((*INDUSTRY, "seniority"), {"vp": "high"})),
        "layers.firmographic.criteria[0].seniority.vp: expected a number, got 'high'",
    ),
    (
        "seniority_as_a_list",
        (((*INDUSTRY, "match"), _DELETE), ((*INDUSTRY, "seniority"), ["c_level", "vp"])),
        "layers.firmographic.criteria[0].seniority: expected a mapping of keys to values",
    ),
    (
        "empty_match_list",
        (((*INDUSTRY, "match"), []),),
        "layers.firmographic.criteria[0]: `match` needs at least one entry",
    ),
    (
        "match_level_without_values_or_keywords",
        (((*INDUSTRY, "match", 0, "values"), _DELETE),),
        "layers.firmographic.criteria[0].match[0]: a match level needs `values` or `keywords`",
    ),
    (
        "band_min_above_max",
        (((*EMPLOYEES, "bands", 0, "min"), 300),),
        "layers.firmographic.criteria[1].bands[0]: `min` (300) must be below `max` (200)",
    ),
    (
        "band_min_equal_to_max",
        (((*EMPLOYEES, "bands", 0, "min"), 200),),
        "layers.firmographic.criteria[1].bands[0]: `min` (200) must be below `max` (200)",
    ),
    (
        "band_without_min_or_max",
        (((*EMPLOYEES, "bands", 0), {"points": 50}),),
        "layers.firmographic.criteria[1].bands[0]: a band needs `min`, `max` or both",
    ),
    (
        "count_steps_ascending",
        (
            (
                (*SIGNALS, "count", "steps"),
                [{"at_least": 1, "points": 50}, {"at_least": 3, "points": 100}],
            ),
        ),
        "layers.behavioural.criteria[0].count: "
        "steps must be ordered by `at_least`, highest first, without repeats",
    ),
    (
        "count_steps_repeated",
        (
            (
                (*SIGNALS, "count", "steps"),
                [{"at_least": 2, "points": 100}, {"at_least": 2, "points": 50}],
            ),
        ),
        "layers.behavioural.criteria[0].count: "
        "steps must be ordered by `at_least`, highest first, without repeats",
    ),
    (
        "count_step_at_least_zero",
        (((*SIGNALS, "count", "steps", 1, "at_least"), 0),),
        "layers.behavioural.criteria[0].count.steps[1].at_least: "
        "expected greater than or equal to 1, got 0",
    ),
    (
        "recency_zero_before_full",
        (
            ((*SIGNALS, "count"), _DELETE),
            ((*SIGNALS, "recency"), {"full_within_days": 30, "zero_after_days": 30}),
        ),
        "layers.behavioural.criteria[0].recency: "
        "`zero_after_days` must be greater than `full_within_days`",
    ),
    (
        "duplicate_criterion_id_across_layers",
        (((*SIGNALS, "id"), "industry"),),
        "(top level): criterion ids must be unique; repeated: industry",
    ),
    (
        "duplicate_disqualifier_id",
        (
            (
                ("disqualifiers", 1),
                {"id": "too_small", "field": "employees", "reason": "Tiny", "less_than": 5},
            ),
        ),
        "(top level): disqualifier ids must be unique; repeated: too_small",
    ),
    (
        "tiers_ascending",
        (
            (
                ("tiers",),
                [
                    {"name": "low", "label": "Low", "min_score": 50},
                    {"name": "high", "label": "High", "min_score": 70},
                    {"name": "rest", "label": "Rest", "min_score": 0},
                ],
            ),
        ),
        "(top level): tiers must be ordered by `min_score`, highest first, without repeats",
    ),
    (
        "last_tier_not_zero",
        ((("tiers", 1, "min_score"), 10),),
        "(top level): the last tier must have `min_score: 0` so every score gets a tier",
    ),
    (
        "tier_named_disqualified",
        ((("tiers", 0, "name"), "disqualified"),),
        "(top level): tier name 'disqualified' is reserved for the negative ICP",
    ),
    (
        "tier_names_repeated",
        ((("tiers", 1, "name"), "tier_1"),),
        "(top level): tier names must be unique",
    ),
    (
        "tier_min_score_fractional",
        ((("tiers", 0, "min_score"), 70.5),),
        "tiers[0].min_score: expected a whole number, got 70.5",
    ),
    (
        "disqualifier_without_test",
        ((("disqualifiers", 0, "less_than"), _DELETE),),
        f"disqualifiers[0]: {_NO_TEST_IN}none",
    ),
    (
        "disqualifier_with_two_tests",
        ((("disqualifiers", 0, "one_of"), ["MILITARY"]),),
        f"disqualifiers[0]: {_NO_TEST_IN}less_than, one_of",
    ),
    (
        "missing_policy_word",
        (((*INDUSTRY, "missing"), "maybe"),),
        "layers.firmographic.criteria[0].missing: "
        "expected points from 0 to 100, or 'skip', got 'maybe'",
    ),
    (
        "missing_policy_above_100",
        (((*INDUSTRY, "missing"), 150),),
        "layers.firmographic.criteria[0].missing: "
        "expected points from 0 to 100, or 'skip', got 150",
    ),
    (
        "missing_policy_bool",
        (((*INDUSTRY, "missing"), True),),
        "layers.firmographic.criteria[0].missing: "
        "expected points from 0 to 100, or 'skip', got True",
    ),
    (
        "weight_is_a_bool",
        (((*INDUSTRY, "weight"), True),),
        "layers.firmographic.criteria[0].weight: expected a number, got True",
    ),
    (
        "weight_is_text",
        (((*INDUSTRY, "weight"), "25"),),
        "layers.firmographic.criteria[0].weight: expected a number, got '25'",
    ),
    (
        "layers_is_a_list",
        ((("layers",), []),),
        "layers: expected a mapping of keys to values",
    ),
    (
        "layers_empty",
        ((("layers",), {}),),
        "layers: expected at least 1 entry",
    ),
    (
        "layer_without_criteria",
        ((FIRMO, []),),
        "layers.firmographic.criteria: expected at least 1 entry",
    ),
    (
        "criterion_id_not_an_identifier",
        (((*INDUSTRY, "id"), "Industry"),),
        "layers.firmographic.criteria[0].id: "
        "expected lower-case letters, digits and _, starting with a letter, got 'Industry'",
    ),
    (
        "tiers_is_text",
        ((("tiers",), "tier_1"),),
        "tiers: expected a list, got 'tier_1'",
    ),
    (
        "reason_is_a_number",
        (((*INDUSTRY, "reason"), 7),),
        "layers.firmographic.criteria[0].reason: expected text, got 7",
    ),
    (
        "version_missing",
        ((("version",), _DELETE),),
        "version: required key is missing",
    ),
    (
        "applies_to_is_text",
        (((*INDUSTRY, "applies_to"), "lead"),),
        "layers.firmographic.criteria[0].applies_to: expected a list, got 'lead'",
    ),
    (
        "is_true_false",
        (
            (("disqualifiers", 0, "less_than"), _DELETE),
            (("disqualifiers", 0, "is_true"), False),
        ),
        "disqualifiers[0].is_true: expected True, got False",
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [pytest.param(edits, expected, id=name) for name, edits, expected in _SCHEMA_ERRORS],
)
def test_given_one_mistake_when_loading_then_its_key_path_message_and_value_are_reported(
    tmp_path: Path, edits: tuple[Edit, ...], expected: str
) -> None:
    assert _problems(tmp_path, *edits) == (expected,)


def test_given_band_min_fifty_as_word_when_loading_then_the_documented_message_is_exact(
    tmp_path: Path,
) -> None:
    error = _load_error(_write_yaml(tmp_path, _edited(((*EMPLOYEES, "bands", 0, "min"), "fifty"))))

    assert error.problems == (
        "layers.firmographic.criteria[1].bands[0].min: expected a number, got 'fifty'",
    )
    assert str(error) == (
        f"invalid rubric {tmp_path / 'rubric.yaml'}:\n"
        "  layers.firmographic.criteria[1].bands[0].min: expected a number, got 'fifty'"
    )
    assert isinstance(error, IcpSyncError)


def test_given_unknown_crm_in_fields_when_loading_then_the_crm_name_is_reported(
    tmp_path: Path,
) -> None:
    (problem,) = _problems(tmp_path, (("fields", "buying_signals", "pipedrive"), "signals"))

    assert (
        problem
        == "fields.buying_signals.pipedrive: expected 'hubspot' or 'salesforce', got 'pipedrive'"
    )


def test_given_long_value_when_loading_then_the_shown_value_is_cut_to_60_characters(
    tmp_path: Path,
) -> None:
    (problem,) = _problems(tmp_path, ((*INDUSTRY, "weight"), "x" * 200))

    shown = problem.removeprefix("layers.firmographic.criteria[0].weight: expected a number, got ")
    assert shown == "'" + "x" * 56 + "..."
    assert len(shown) == 60


def test_given_several_mistakes_when_loading_then_every_one_is_reported(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        ((*INDUSTRY, "weight"), "heavy"),
        ((*EMPLOYEES, "bands", 0, "min"), "fifty"),
        ((*SIGNALS, "wieght"), 3),
        (("tiers", 0, "label"), _DELETE),
    )

    assert problems == (
        "layers.firmographic.criteria[0].weight: expected a number, got 'heavy'",
        "layers.firmographic.criteria[1].bands[0].min: expected a number, got 'fifty'",
        "layers.behavioural.criteria[0].wieght: unknown key, got 3",
        "tiers[0].label: required key is missing",
    )


# --- documents that are not a rubric mapping ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("- version: x\n- layers: {}\n", "list", id="list"),
        pytest.param("", "an empty file", id="empty"),
        pytest.param("# only a comment\n", "an empty file", id="only_comment"),
        pytest.param("just some words\n", "str", id="text"),
        pytest.param("42\n", "int", id="number"),
    ],
)
def test_given_top_level_not_a_mapping_when_loading_then_top_level_is_reported(
    tmp_path: Path, text: str, found: str
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, "utf-8")

    assert _load_error(path).problems == (
        f"(top level): expected a mapping of keys to values, got {found}",
    )


def test_given_parse_rubric_with_a_list_when_parsing_then_the_source_is_named() -> None:
    with pytest.raises(RubricError) as caught:
        parse_rubric(["version"], source="inline")

    assert caught.value.source == "inline"
    assert caught.value.problems == ("(top level): expected a mapping of keys to values, got list",)


# --- file and YAML problems -----------------------------------------------------------------


def test_given_yaml_syntax_error_when_loading_then_line_and_column_are_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("version: t\nlayers:\n  a: b\n   c: d\n", "utf-8")

    assert _load_error(path).problems == (
        "line 4, column 5: YAML syntax error: mapping values are not allowed here",
    )


def test_given_tab_indentation_when_loading_then_line_and_column_are_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("version: t\n\tlayers: {}\n", "utf-8")

    assert _load_error(path).problems == (
        "line 2, column 1: YAML syntax error: found character '\\t' that cannot start any token",
    )


def test_given_key_written_twice_when_loading_then_the_key_and_line_are_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(
        "version: t\n"
        "layers:\n"
        "  firmographic:\n"
        "    criteria:\n"
        "      - id: industry\n"
        "        weight: 10\n"
        "        weight: 20\n",
        "utf-8",
    )

    (problem,) = _load_error(path).problems
    assert problem.startswith("line 7, column 9: ")
    assert (
        problem == "line 7, column 9: YAML syntax error: key 'weight' appears twice (lines 6 and 7)"
    )


def test_given_top_level_key_written_twice_when_loading_then_it_is_an_error_not_last_wins(
    tmp_path: Path,
) -> None:
    text = yaml.safe_dump(_minimal_rubric(), sort_keys=False) + 'version: "second"\n'
    path = tmp_path / "rubric.yaml"
    path.write_text(text, "utf-8")

    (problem,) = _load_error(path).problems
    assert "key 'version' appears twice" in problem


def test_given_missing_file_when_loading_then_file_not_found(tmp_path: Path) -> None:
    assert _load_error(tmp_path / "nope.yaml").problems == ("file not found",)


def test_given_directory_when_loading_then_it_is_named_a_directory(tmp_path: Path) -> None:
    folder = tmp_path / "rubric.yaml"
    folder.mkdir()

    assert _load_error(folder).problems == ("is a directory, expected a YAML file",)


def test_given_non_utf8_bytes_when_loading_then_the_byte_offset_is_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_bytes(b"version: caf\xe9\n")

    assert _load_error(path).problems == ("not UTF-8 text (byte 12)",)


def test_given_file_over_one_mebibyte_when_loading_then_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("# padding\n" * (MAX_RUBRIC_BYTES // 10 + 1), "utf-8")

    assert _load_error(path).problems == (f"file is larger than {MAX_RUBRIC_BYTES} bytes",)


def test_given_utf8_bom_when_loading_then_the_rubric_loads(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + DEFAULT_RUBRIC_PATH.read_bytes())

    assert load_rubric(path).version == "2026.11-default"


def test_given_yaml_key_that_is_a_list_when_loading_then_a_rubric_error_not_a_crash(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text("version: t\n? [a, b]\n: 1\n", "utf-8")

    (problem,) = _load_error(path).problems
    assert problem.startswith("line 2")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            ((*INDUSTRY, "weight"), float("inf")),
            "layers.firmographic.criteria[0].weight: expected a finite number, got inf",
            id="weight_inf",
        ),
        pytest.param(
            (("disqualifiers", 0, "less_than"), float("nan")),
            "disqualifiers[0].less_than: expected a finite number, got nan",
            id="less_than_nan",
        ),
        pytest.param(
            ((*EMPLOYEES, "bands", 0, "min"), float("nan")),
            "layers.firmographic.criteria[1].bands[0].min: expected a finite number, got nan",
            id="band_min_nan",
        ),
        pytest.param(
            ((*EMPLOYEES, "bands", 0, "max"), float("inf")),
            "layers.firmographic.criteria[1].bands[0].max: expected a finite number, got inf",
            id="band_max_inf",
        ),
        pytest.param(
            ((*INDUSTRY, "match", 0, "points"), float("nan")),
            "layers.firmographic.criteria[0].match[0].points: expected a finite number, got nan",
            id="points_nan",
        ),
    ],
)
def test_given_non_finite_number_when_loading_then_a_finite_number_is_required(
    tmp_path: Path, edit: Edit, expected: str
) -> None:
    # YAML `.inf` / `.nan`: an infinite weight made `score` crash (int(nan)) and a NaN limit
    # disqualified every record, so both must be rejected at load time.
    assert _problems(tmp_path, edit) == (expected,)


# --- robustness: whatever a leaf holds, the loader answers with a RubricError or a Rubric ----


def _leaf_paths(node: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(node, dict):
        return [p for key, child in node.items() for p in _leaf_paths(child, (*path, key))]
    if isinstance(node, list):
        return [p for i, child in enumerate(node) for p in _leaf_paths(child, (*path, i))]
    return [path]


_LEAVES = _leaf_paths(_minimal_rubric())
_ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(leaf=st.sampled_from(_LEAVES), value=_ANY_VALUE)
def test_given_any_value_at_any_leaf_when_parsing_then_only_rubric_errors_escape(
    leaf: tuple[str | int, ...], value: object
) -> None:
    problems: tuple[str, ...] = ()
    message = ""
    try:
        parse_rubric(_edited((leaf, value)))
    except RubricError as error:
        problems, message = error.problems, str(error)
    else:
        return
    assert problems
    assert all(": " in problem for problem in problems)
    assert "Traceback" not in message
