"""Behaviour of the pure scorer: the 0-100 weighted model, tiers, the negative ICP, reasons."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rubric import load_rubric, parse_rubric
from app.rubric.model import SENIORITY_LEVELS
from app.scoring import AccountFacts, ScoreResult, compile_rubric, score
from app.scoring.scorer import score_reference

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TIERS: list[dict[str, Any]] = [
    {"name": "tier_1", "label": "Tier 1", "min_score": 70},
    {"name": "tier_2", "label": "Tier 2", "min_score": 50},
    {"name": "tier_3", "label": "Tier 3", "min_score": 0},
]


def rubric_with(*criteria: dict[str, Any], disqualifiers: list[dict[str, Any]] | None = None,
                fields: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "version": "test-1",
        "fields": fields or {},
        "layers": {"firmographic": {"criteria": list(criteria)}},
        "tiers": TIERS,
        "disqualifiers": disqualifiers or [],
    }


def scored(document: dict[str, Any], values: dict[str, object], **facts: Any) -> ScoreResult:
    return score(
        AccountFacts(id="r1", values=values, **facts), compile_rubric(parse_rubric(document)), NOW
    )


INDUSTRY = {
    "id": "industry", "field": "industry", "weight": 25, "reason": "Industry",
    "match": [
        {"label": "exact match", "points": 100, "values": ["COMPUTER_SOFTWARE"]},
        {"label": "adjacent", "points": 50, "values": ["FINANCIAL_SERVICES"]},
    ],
}  # fmt: skip
EMPLOYEES = {
    "id": "employees", "field": "employees", "weight": 20, "reason": "Employees", "otherwise": 30,
    "bands": [{"min": 200, "max": 2000, "points": 100}, {"min": 50, "max": 200, "points": 60}],
}  # fmt: skip
SIGNALS = {
    "id": "signals", "field": "buying_signals", "weight": 30, "reason": "Buying signals",
    "count": {"steps": [{"at_least": 3, "points": 100}, {"at_least": 1, "points": 50}]},
}  # fmt: skip
ENGAGEMENT = {
    "id": "engagement", "field": "last_engagement_at", "weight": 10, "reason": "Last engagement",
    "recency": {"full_within_days": 10, "zero_after_days": 110},
}  # fmt: skip
TITLE = {
    "id": "authority", "field": "title", "weight": 15, "reason": "Decision authority",
    "applies_to": ["lead"],
    "match": [
        {"label": "C-level", "points": 100, "keywords": ["chief", "ceo"]},
        {"label": "manager", "points": 60, "keywords": ["manager", "director"]},
    ],
}  # fmt: skip
CUSTOMER = {
    "id": "customer", "field": "is_customer", "weight": 10, "reason": "Existing customer",
    "boolean": {"when_true": 0, "when_false": 100},
}  # fmt: skip
STACK = {
    "id": "stack", "field": "technologies", "weight": 15, "reason": "Stack",
    "any_of": {"values": ["Salesforce", "HubSpot"], "points": 100},
}  # fmt: skip


def test_given_the_seeds_model_when_a_record_matches_then_the_score_is_the_weighted_average() -> (
    None
):
    document = rubric_with(INDUSTRY, EMPLOYEES, SIGNALS, ENGAGEMENT)
    result = scored(
        document,
        {
            "industry": "COMPUTER_SOFTWARE",
            "employees": "120",
            "buying_signals": "hiring;funding",
            "last_engagement_at": (NOW - timedelta(days=60)).isoformat(),
        },
    )
    # (25·100 + 20·60 + 30·50 + 10·50) / 85 = 5700 / 85 = 67.06
    assert result.score == 67
    assert result.tier == "tier_2"
    assert result.reasons[0] == "Industry: Computer Software (exact match) +29.4"
    assert result.reasons[1] == "Employees: 120 in band 50–200 +14.1"
    assert result.reasons[2] == "Buying signals: 2 (hiring, funding) +17.6"
    assert result.reasons[3] == "Last engagement: 60 days ago +5.9"
    assert [c.points for c in result.criteria] == [100, 60, 50, 50]


def test_given_weights_summing_to_100_when_an_industry_matches_exactly_then_the_reason_shows_its_weight() -> (
    None
):
    document = rubric_with(INDUSTRY, {**EMPLOYEES, "weight": 75})
    result = scored(document, {"industry": "Computer Software", "employees": 10})
    assert result.reasons[0] == "Industry: Computer Software (exact match) +25"
    assert result.reasons[1] == "Employees: 10, outside every band +22.5"
    assert result.score == 48


def test_given_an_adjacent_industry_when_scored_then_it_earns_the_adjacent_points() -> None:
    result = scored(rubric_with(INDUSTRY), {"industry": "financial-services"})
    assert result.criteria[0].points == 50
    assert result.criteria[0].outcome == "matched"
    assert "(adjacent)" in result.reasons[0]


def test_given_an_unknown_industry_when_scored_then_it_scores_otherwise_with_a_reason() -> None:
    result = scored(rubric_with({**INDUSTRY, "otherwise": 10}), {"industry": "Basket Weaving"})
    assert result.criteria[0].points == 10
    assert result.criteria[0].outcome == "unmatched"
    assert result.reasons[0] == "Industry: Basket Weaving (no match) +10"


@pytest.mark.parametrize(
    ("employees", "points", "detail"),
    [
        ("50-100", 60, "75 (read from '50-100') in band 50–200"),
        ("1,500", 100, "1,500 in band 200–2,000"),
        (2000, 30, "2,000, outside every band"),
    ],
)
def test_given_headcounts_as_crms_hold_them_when_scored_then_they_are_parsed(
    employees: str | int, points: int, detail: str
) -> None:
    result = scored(rubric_with(EMPLOYEES), {"employees": employees})
    assert result.criteria[0].points == points
    assert result.reasons[0].startswith(f"Employees: {detail} ")


def test_given_revenue_written_as_money_when_scored_then_it_is_read_in_millions() -> None:
    revenue = {
        "id": "revenue", "field": "annual_revenue", "weight": 10, "reason": "Revenue",
        "bands": [{"min": 1_000_000, "max": 5_000_000, "points": 80}],
    }  # fmt: skip
    result = scored(rubric_with(revenue), {"annual_revenue": "$1.2M"})
    assert result.criteria[0].points == 80
    assert result.reasons[0] == "Revenue: 1.2M (read from '$1.2M') in band 1M–5M +80"


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_given_an_empty_field_when_scored_then_it_scores_the_missing_points_and_says_so(
    empty: object,
) -> None:
    values = {"industry": "COMPUTER_SOFTWARE", "employees": empty}
    result = scored(rubric_with(INDUSTRY, {**EMPLOYEES, "missing": 20}), values)
    assert result.criteria[1].outcome == "missing"
    assert result.criteria[1].points == 20
    assert result.reasons[1].startswith("Employees: missing +")
    assert result.score == round((25 * 100 + 20 * 20) / 45)


def test_given_an_unreadable_value_when_scored_then_it_counts_as_missing_and_shows_the_value() -> (
    None
):
    result = scored(
        rubric_with(INDUSTRY, EMPLOYEES), {"industry": "COMPUTER_SOFTWARE", "employees": "lots"}
    )
    assert result.criteria[1].outcome == "unreadable"
    assert result.criteria[1].points == 0
    assert result.reasons[1] == "Employees: unreadable value 'lots' +0"


def test_given_missing_skip_when_the_field_is_empty_then_the_weights_renormalise_over_the_rest() -> (
    None
):
    document = rubric_with(INDUSTRY, {**EMPLOYEES, "missing": "skip"})
    result = scored(document, {"industry": "COMPUTER_SOFTWARE"})
    assert result.score == 100
    assert result.criteria[1].outcome == "skipped"
    assert result.criteria[1].points is None
    assert result.reasons[1] == "Employees: missing, not counted"
    assert result.reasons[0] == "Industry: Computer Software (exact match) +100"


def test_given_a_lead_only_criterion_when_an_account_is_scored_then_it_is_left_out() -> None:
    document = rubric_with(INDUSTRY, TITLE)
    account = scored(
        document, {"industry": "COMPUTER_SOFTWARE", "title": "CEO"}, object_type="account"
    )
    lead = scored(
        document, {"industry": "COMPUTER_SOFTWARE", "title": "Sales Manager"}, object_type="lead"
    )
    assert [c.id for c in account.criteria] == ["industry"]
    assert account.score == 100
    assert [c.id for c in lead.criteria] == ["industry", "authority"]
    assert lead.score == round((25 * 100 + 15 * 60) / 40)
    assert lead.reasons[1] == "Decision authority: Sales Manager (manager) +22.5"


def test_given_the_count_rule_when_signals_vary_then_steps_apply_and_duplicates_count_once() -> (
    None
):
    document = rubric_with(SIGNALS)
    assert scored(document, {"buying_signals": "hiring;funding;intent"}).score == 100
    assert scored(document, {"buying_signals": ["hiring", "Hiring", "HIRING"]}).score == 50
    assert scored(document, {"buying_signals": 4}).score == 100
    none = scored(document, {"buying_signals": "other"})
    assert none.score == 50  # any item counts when the rule lists no values


def test_given_any_of_when_one_listed_tool_is_present_then_it_matches() -> None:
    document = rubric_with(STACK)
    assert (
        scored(document, {"technologies": "Jira;hubspot"}).reasons[0] == "Stack: has hubspot +100"
    )
    assert (
        scored(document, {"technologies": "Jira"}).reasons[0]
        == "Stack: none of the listed (Jira) +0"
    )


@pytest.mark.parametrize(
    ("days_ago", "points"), [(-3, 100), (0, 100), (10, 100), (60, 50), (110, 0), (500, 0)]
)
def test_given_recency_when_days_pass_then_points_decay_linearly(
    days_ago: int, points: int
) -> None:
    moment = NOW - timedelta(days=days_ago)
    result = scored(rubric_with(ENGAGEMENT), {"last_engagement_at": moment.isoformat()})
    assert result.criteria[0].points == pytest.approx(points)


def test_given_a_boolean_criterion_when_yes_or_no_then_each_scores_its_points() -> None:
    document = rubric_with(CUSTOMER)
    assert scored(document, {"is_customer": "yes"}).score == 0
    assert scored(document, {"is_customer": False}).score == 100
    assert scored(document, {"is_customer": "perhaps"}).criteria[0].outcome == "unreadable"


def test_given_true_one_and_one_point_zero_when_scored_in_turn_then_memoisation_keeps_them_apart() -> (
    None
):
    compiled = compile_rubric(parse_rubric(rubric_with(EMPLOYEES, CUSTOMER)))
    outcomes = [
        score(AccountFacts("r", {"employees": value, "is_customer": value}), compiled, NOW)
        for value in (True, 1, 1.0, True)
    ]
    assert outcomes[0].criteria[0].outcome == "unreadable"
    assert outcomes[1].criteria[0].outcome == "unmatched"
    assert outcomes[3] == outcomes[0]


def test_given_true_and_one_when_disqualifiers_are_checked_in_turn_then_memoisation_keeps_them_apart() -> (
    None
):
    document = rubric_with(
        INDUSTRY,
        disqualifiers=[{"id": "small", "field": "employees", "reason": "Small", "less_than": 10}],
    )
    compiled = compile_rubric(parse_rubric(document))
    flags = [
        score(AccountFacts("r", {"employees": value}), compiled, NOW).flags
        for value in (1, True, 0, False, 1.0)
    ]
    assert flags == [("small",), (), ("small",), (), ("small",)]


DISQUALIFIERS: list[dict[str, Any]] = [
    {"id": "too_small", "field": "employees", "reason": "Too small", "less_than": 10},
    {"id": "excluded_industry", "field": "industry", "reason": "Excluded", "one_of": ["Government"]},
    {"id": "personal_email", "field": "domain", "reason": "Personal", "domain_in": ["gmail.com", "edu"]},
    {"id": "customer", "field": "is_customer", "reason": "Customer", "is_true": True},
    {"id": "huge", "field": "employees", "reason": "Too big", "greater_than": 100000},
]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "flags"),
    [
        ({"employees": 8}, ["too_small"]),
        ({"employees": 200_000}, ["huge"]),
        ({"industry": "GOVERNMENT"}, ["excluded_industry"]),
        ({"domain": "Jane@Gmail.com"}, ["personal_email"]),
        ({"domain": "https://cs.stanford.edu/"}, ["personal_email"]),
        ({"domain": "notgmail.com"}, []),
        ({"is_customer": "true"}, ["customer"]),
        ({"employees": 5, "industry": "government", "domain": "gmail.com"},
         ["too_small", "excluded_industry", "personal_email"]),
        ({"employees": "", "domain": None, "is_customer": "  "}, []),
    ],
)  # fmt: skip
def test_given_a_negative_icp_rule_that_holds_when_scored_then_the_tier_is_disqualified(
    values: dict[str, object], flags: list[str]
) -> None:
    document = rubric_with({**INDUSTRY, "otherwise": 100}, disqualifiers=DISQUALIFIERS)
    result = scored(document, {"industry": "COMPUTER_SOFTWARE", **values})
    assert list(result.flags) == flags
    assert result.disqualified is bool(flags)
    assert result.tier == ("disqualified" if flags else "tier_1")
    assert len(result.reasons) == 1 + len(flags)
    assert all(
        f"→ disqualified ({flag})" in line
        for flag, line in zip(flags, result.reasons[1:], strict=True)
    )


def test_given_a_disqualified_record_when_scored_then_its_score_is_still_reported() -> None:
    document = rubric_with(INDUSTRY, disqualifiers=DISQUALIFIERS)
    result = scored(document, {"industry": "COMPUTER_SOFTWARE", "employees": "3"})
    assert result.score == 100
    assert result.tier == "disqualified"
    assert result.reasons[1] == "Too small: employees 3 < 10 → disqualified (too_small)"


def test_given_a_field_mapping_when_a_hubspot_record_is_scored_then_the_mapped_property_is_read() -> (
    None
):
    document = rubric_with(SIGNALS, fields={"buying_signals": {"hubspot": "icp_signals__custom"}})
    hubspot = scored(
        document,
        {"buying_signals": "ignored"},
        source="hubspot",
        properties={"icp_signals__custom": "a;b;c"},
    )
    salesforce = scored(document, {}, source="salesforce", properties={"buying_signals": "a"})
    offline = scored(document, {"buying_signals": "a;b;c"})
    assert hubspot.score == 100
    assert salesforce.score == 50  # no mapping for this source: raw property of the same name
    assert offline.score == 100


def test_given_the_default_rubric_when_a_strong_account_is_scored_then_it_is_tier_1() -> None:
    compiled = compile_rubric(load_rubric())
    facts = AccountFacts(
        "acme",
        {
            "industry": "COMPUTER_SOFTWARE", "employees": "640", "annual_revenue": "$85M",
            "technologies": "Salesforce;Outreach;Gong", "buying_signals": "hiring;funding;intent",
            "last_engagement_at": "2026-11-20", "domain": "acme.com",
        },
        object_type="company",
    )  # fmt: skip
    result = score(facts, compiled, NOW)
    assert (result.score, result.tier, result.flags) == (100, "tier_1", ())
    assert (
        result.rubric_version
        == compiled.written_version
        == f"2026.11-default+{compiled.fingerprint[:8]}"
    )


# --- properties over generated rubrics and records -------------------------------------------

FIELDS = ["f0", "f1", "f2", "f3", "f4"]
points = st.integers(0, 100)
words = st.sampled_from(["alpha", "beta", "gamma", "delta", "Alpha", "BETA_X"])


@st.composite
def criteria(draw: st.DrawFn, index: int) -> dict[str, Any]:
    base = {
        "id": f"c{index}",
        "field": draw(st.sampled_from(FIELDS)),
        "weight": draw(st.integers(1, 50)),
        "reason": f"Criterion {index}",
        "missing": draw(st.one_of(points, st.just("skip"))),
        "otherwise": draw(points),
    }
    kind = draw(
        st.sampled_from(["match", "bands", "any_of", "count", "recency", "boolean", "seniority"])
    )
    if kind == "match":
        base["match"] = [
            {
                "label": f"level {i}",
                "points": draw(points),
                "values": draw(st.lists(words, min_size=1, max_size=3)),
            }
            for i in range(draw(st.integers(1, 3)))
        ]
    elif kind == "bands":
        edges = sorted(
            draw(st.lists(st.integers(-100, 10_000), min_size=2, max_size=5, unique=True))
        )
        base["bands"] = [
            {"min": low, "max": high, "points": draw(points)}
            for low, high in itertools.pairwise(edges)
        ]
    elif kind == "any_of":
        base["any_of"] = {
            "values": draw(st.lists(words, min_size=1, max_size=3)),
            "points": draw(points),
        }
    elif kind == "count":
        thresholds = sorted(
            draw(st.lists(st.integers(1, 5), min_size=1, max_size=3, unique=True)), reverse=True
        )
        base["count"] = {"steps": [{"at_least": t, "points": draw(points)} for t in thresholds]}
    elif kind == "recency":
        full = draw(st.integers(0, 100))
        base["recency"] = {
            "full_within_days": full,
            "zero_after_days": full + draw(st.integers(1, 300)),
            "points": draw(points),
        }
    elif kind == "seniority":
        levels = draw(st.lists(st.sampled_from(SENIORITY_LEVELS), min_size=1, unique=True))
        base["seniority"] = {level: draw(points) for level in levels}
    else:
        base["boolean"] = {"when_true": draw(points), "when_false": draw(points)}
    return base


@st.composite
def rubrics(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 5))
    choices: list[dict[str, Any]] = [
        {"id": "small", "field": "f0", "reason": "Small", "less_than": 5},
        {"id": "word", "field": "f1", "reason": "Word", "one_of": ["alpha"]},
        {"id": "mail", "field": "f2", "reason": "Mail", "domain_in": ["gmail.com"]},
        {"id": "flag", "field": "f3", "reason": "Flag", "is_true": True},
    ]
    disqualifiers = draw(
        st.lists(
            st.sampled_from(choices),
            unique_by=lambda d: d["id"],
            max_size=3,
        )
    )
    return rubric_with(*(draw(criteria(i)) for i in range(count)), disqualifiers=disqualifiers)


value = st.one_of(
    st.none(),
    st.just(""),
    words,
    st.integers(-10, 12_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["yes", "no", "50-100", "$1.2M", "gmail.com", "jane@gmail.com", "2026-10-01"]),
    st.sampled_from(["VP, Sales", "Founder & CEO", "Assistant to the CEO", "Former CFO", "n/a"]),
    st.lists(words, max_size=5),
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(max_size=30),
)
records = st.dictionaries(st.sampled_from(FIELDS), value, max_size=len(FIELDS))
object_types = st.sampled_from(["company", "account", "lead", "contact"])
property_settings = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])


def expected_score(result: ScoreResult) -> int:
    counted = [(c.weight, c.points) for c in result.criteria if c.points is not None]
    weight = sum(w for w, _ in counted)
    return int(sum(w * p for w, p in counted) / weight + 0.5) if weight else 0


@pytest.mark.slow
@property_settings
@given(rubrics(), records, object_types)
def test_given_any_rubric_and_record_when_scored_then_the_result_is_consistent(
    document: dict[str, Any], values: dict[str, object], object_type: str
) -> None:
    compiled = compile_rubric(parse_rubric(document))
    result = score(AccountFacts("r", values, object_type=object_type), compiled, NOW)
    assert isinstance(result.score, int)
    assert 0 <= result.score <= 100
    assert result.score == expected_score(result)
    assert result.disqualified is bool(result.flags)
    if result.disqualified:
        assert result.tier == "disqualified"
    else:
        assert result.tier == next(t["name"] for t in TIERS if result.score >= t["min_score"])
    criteria_ids = [c["id"] for c in document["layers"]["firmographic"]["criteria"]]
    assert [c.id for c in result.criteria] == criteria_ids
    for criterion, spec, reason in zip(
        result.criteria,
        document["layers"]["firmographic"]["criteria"],
        result.reasons,
        strict=False,
    ):
        assert reason.startswith(spec["reason"] + ": ")
        assert criterion.reason == reason
    assert len(result.reasons) == len(criteria_ids) + len(result.flags)


def _raised(document: dict[str, Any], index: int, delta: int) -> dict[str, Any]:
    """The same rubric with every points value of criterion `index` raised by `delta`."""
    raised = copy.deepcopy(document)
    spec = raised["layers"]["firmographic"]["criteria"][index]

    def up(points: float) -> float:
        return min(100, points + delta)

    spec["otherwise"] = up(spec["otherwise"])
    if spec["missing"] != "skip":
        spec["missing"] = up(spec["missing"])
    for key in ("match", "bands"):
        for entry in spec.get(key) or []:
            entry["points"] = up(entry["points"])
    for step in (spec.get("count") or {}).get("steps", []):
        step["points"] = up(step["points"])
    for key in ("any_of", "recency"):
        if key in spec:
            spec[key]["points"] = up(spec[key]["points"])
    if "boolean" in spec:
        spec["boolean"] = {k: up(v) for k, v in spec["boolean"].items()}
    if "seniority" in spec:
        spec["seniority"] = {k: up(v) for k, v in spec["seniority"].items()}
    return raised


@pytest.mark.slow
@property_settings
@given(rubrics(), records, st.data())
def test_given_a_criterion_when_its_points_are_raised_then_the_score_never_drops(
    document: dict[str, Any], values: dict[str, object], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(document["layers"]["firmographic"]["criteria"]) - 1))
    delta = data.draw(st.integers(1, 100))
    facts = AccountFacts("r", values)
    before = score(facts, compile_rubric(parse_rubric(document)), NOW)
    after = score(facts, compile_rubric(parse_rubric(_raised(document, index, delta))), NOW)
    assert after.score >= before.score


@pytest.mark.slow
@property_settings
@given(rubrics(), st.lists(records, min_size=1, max_size=8))
def test_given_one_compiled_rubric_when_many_records_are_scored_then_each_matches_a_fresh_scorer(
    document: dict[str, Any], batch: list[dict[str, object]]
) -> None:
    shared = compile_rubric(parse_rubric(document))
    for values in batch + batch:
        facts = AccountFacts("r", values)
        fresh = compile_rubric(parse_rubric(document))
        assert score(facts, shared, NOW) == score(facts, fresh, NOW)


@pytest.mark.slow
@property_settings
@given(rubrics(), st.lists(records, min_size=1, max_size=6), object_types)
def test_given_generated_rubrics_when_the_fast_path_scores_then_it_agrees_with_the_reference(
    document: dict[str, Any], batch: list[dict[str, object]], object_type: str
) -> None:
    document = {**document, "fields": {"f0": {"hubspot": "p0"}, "f2": {"hubspot": "f3"}}}
    compiled = compile_rubric(parse_rubric(document))
    for values in batch + batch:  # the second pass is served from the memos
        for source in (None, "hubspot", "salesforce"):
            properties = {"p0": values.get("f1"), "f3": values.get("f4"), "f1": values.get("f0")}
            facts = AccountFacts(
                "r", values, object_type=object_type, source=source, properties=properties
            )
            assert score(facts, compiled, NOW) == score_reference(facts, compiled, NOW)


def test_given_a_rubric_without_skipped_criteria_when_compiled_then_its_plans_use_the_fast_path() -> (
    None
):
    compiled = compile_rubric(load_rubric())
    assert compiled.plan_for("company", "hubspot").fast is not None
    skipping = compile_rubric(parse_rubric(rubric_with({**EMPLOYEES, "missing": "skip"})))
    assert skipping.plan_for("company", None).fast is None
