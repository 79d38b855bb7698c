"""The generated scorer's shortcuts (app/scoring/fastpath.py) against the plain implementation:
timestamps read inline, domain rules tested together, memos per plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.rubric import load_rubric, parse_rubric
from app.scoring import AccountFacts, compile_rubric, score
from app.scoring.scorer import score_reference

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TIERS: list[dict[str, Any]] = [
    {"name": "tier_1", "label": "Tier 1", "min_score": 70},
    {"name": "tier_2", "label": "Tier 2", "min_score": 0},
]
ENGAGEMENT = {
    "id": "engagement", "field": "seen", "weight": 10, "reason": "Last engagement",
    "recency": {"full_within_days": 10, "zero_after_days": 110},
}  # fmt: skip
CUSTOMER = {
    "id": "customer", "field": "is_customer", "weight": 30, "reason": "Existing customer",
    "boolean": {"when_true": 0, "when_false": 100},
}  # fmt: skip
LEAD_ONLY = {
    "id": "authority", "field": "title", "weight": 20, "reason": "Decision authority",
    "applies_to": ["lead"], "match": [{"label": "C-level", "points": 100, "keywords": ["ceo"]}],
}  # fmt: skip
DOMAIN_RULES: list[dict[str, Any]] = [
    {"id": "personal", "field": "domain", "reason": "Personal", "domain_in": ["gmail.com", "me.com"]},
    {"id": "small", "field": "employees", "reason": "Small", "less_than": 10},
    {"id": "rival", "field": "domain", "reason": "Rival", "domain_in": ["6sense.com", "mail.com"]},
]  # fmt: skip


def rubric_with(*criteria: dict[str, Any], disqualifiers: list[dict[str, Any]] | None = None
                ) -> dict[str, Any]:  # fmt: skip
    return {
        "version": "test-1",
        "layers": {"firmographic": {"criteria": list(criteria)}},
        "tiers": TIERS,
        "disqualifiers": disqualifiers or [],
    }


def agrees(document: dict[str, Any], batch: list[dict[str, object]], object_type: str = "company"
           ) -> None:  # fmt: skip
    """Every record scored through one compiled rubric, twice (the second time from the memos),
    equals the reference: a shortcut's memo key that mixed two records up would show."""
    compiled = compile_rubric(parse_rubric(document))
    assert compiled.plan_for(object_type, None).fast is not None
    for values in batch + batch:
        facts = AccountFacts("r", values, object_type=object_type)
        assert score(facts, compiled, NOW) == score_reference(facts, compiled, NOW)


offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.one_of(st.none(), st.just(UTC), offsets),
)


@st.composite
def timestamp_texts(draw: st.DrawFn, moments: st.SearchStrategy[datetime]) -> str:
    """The shapes CRMs send: ISO-8601 with `Z`, `+00:00`, another offset or none; a date alone;
    a space for the `T`; a fraction of a second; then now and then a stray character."""
    moment = draw(moments)
    text = moment.isoformat(sep=draw(st.sampled_from(["T", " "])))
    shape = draw(st.sampled_from(["as is", "Z", "date", "minutes", "junk"]))
    if shape == "Z":
        text = text.replace("+00:00", "Z")
    elif shape == "date":
        text = moment.date().isoformat()
    elif shape == "minutes":
        text = moment.isoformat(timespec="minutes")
    elif shape == "junk":
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from([" ", "x", "Z", "¹", "0"])) + text[position:]
    return text


property_settings = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])


near_now = st.datetimes(
    min_value=datetime(2026, 11, 19), max_value=datetime(2026, 11, 26),
    timezones=st.one_of(st.none(), st.just(UTC), offsets),
)  # fmt: skip


@property_settings
@given(st.lists(st.one_of(timestamp_texts(moments), timestamp_texts(near_now),
                          st.text(max_size=40), st.integers(), moments), max_size=12))  # fmt: skip
def test_given_any_timestamps_when_recency_is_scored_inline_then_it_agrees_with_the_rule(
    values: list[object],
) -> None:
    agrees(rubric_with(ENGAGEMENT), [{"seen": value} for value in values])


def test_given_timestamps_every_hour_around_now_when_scored_then_each_day_count_is_the_rules() -> (
    None
):
    hours = [NOW - timedelta(hours=hours) for hours in range(-30, 24 * 5)]
    texts = [f"{moment:%Y-%m-%dT%H:%M:%S}{suffix}" for moment in hours
             for suffix in ("Z", "+00:00", "", ".250Z", ".750", "+03:00")]  # fmt: skip
    agrees(rubric_with(ENGAGEMENT), [{"seen": text} for text in texts])


@pytest.mark.parametrize(
    "text",
    ["2026-11-20T08:15:00Z", "2026-11-20T08:15:00+00:00", "2026-11-20", "2026-11-20T08:15:00",
     "2026-11-20T08:15:00.123456Z", "2026-11-29T00:00:00Z", "2026-11-20T08:15:00+05:30",
     "20261120", "1700000000", " 2026-11-20 ", "", "yesterday"],
)  # fmt: skip
def test_given_each_timestamp_shape_when_scored_then_the_fast_path_agrees(text: str) -> None:
    agrees(rubric_with(ENGAGEMENT), [{"seen": text}])


domains = st.builds(
    "{}{}{}".format,
    st.sampled_from(["", "www.", "a.", "x-y.", "https://", "jane@", " "]),
    st.sampled_from(["gmail.com", "mail.com", "6sense.com", "me.com", "example.com", "GMAIL.com",
                     "gmail.com.evil.org", "-gmail.com", "notmail.com", "gmail..com"]),
    st.sampled_from(["", "/", ".", ":8443", " ", "/x?y=1"]),
)  # fmt: skip


@property_settings
@given(st.lists(st.tuples(st.one_of(domains, st.text(max_size=30), st.none(), st.integers()),
                          st.sampled_from([None, 5, 50])), max_size=6))  # fmt: skip
def test_given_two_domain_rules_on_one_field_when_scored_then_each_flags_as_the_reference(
    records: list[tuple[object, object]],
) -> None:
    agrees(rubric_with(CUSTOMER, disqualifiers=DOMAIN_RULES),
           [{"domain": domain, "employees": employees, "is_customer": "no"}
            for domain, employees in records])  # fmt: skip


def test_given_both_domain_rules_hold_when_scored_then_both_flag_in_rubric_order() -> None:
    document = rubric_with(CUSTOMER, disqualifiers=[*DOMAIN_RULES, DOMAIN_RULES[0] | {
        "id": "also_personal", "domain_in": ["mail.com"]}])  # fmt: skip
    compiled = compile_rubric(parse_rubric(document))
    result = score(AccountFacts("r", {"domain": "x.mail.com", "employees": 5}), compiled, NOW)
    assert result.flags == ("small", "rival", "also_personal")
    assert result.reasons[1:] == (
        "Small: employees 5 < 10 → disqualified (small)",
        "Rival: domain x.mail.com → disqualified (rival)",
        "Personal: domain x.mail.com → disqualified (also_personal)",
    )


def test_given_a_lead_only_criterion_when_a_lead_then_a_company_are_scored_then_each_counts_its_own_weights() -> (
    None
):
    compiled = compile_rubric(parse_rubric(rubric_with(CUSTOMER, LEAD_ONLY)))
    values: dict[str, object] = {"is_customer": "no", "title": "CEO"}
    for object_type in ("lead", "company", "lead"):
        facts = AccountFacts("r", values, object_type=object_type)
        assert score(facts, compiled, NOW) == score_reference(facts, compiled, NOW)
    company = score(AccountFacts("r", values, object_type="company"), compiled, NOW)
    assert company.reasons == ("Existing customer: no +100",)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["lead", "company", "account"]),
                          st.sampled_from(["no", "yes", "", "ceo", "CEO of it", 7])),
                min_size=1, max_size=8))  # fmt: skip
def test_given_plans_of_different_weights_when_records_alternate_then_each_agrees_with_the_reference(
    records: list[tuple[str, object]],
) -> None:
    compiled = compile_rubric(parse_rubric(rubric_with(CUSTOMER, LEAD_ONLY, ENGAGEMENT)))
    for object_type, value in records:
        values = {"is_customer": value, "title": value, "seen": "2026-11-01T10:00:00Z"}
        facts = AccountFacts("r", values, object_type=object_type)
        assert score(facts, compiled, NOW) == score_reference(facts, compiled, NOW)


def test_given_the_default_rubric_when_hubspot_shaped_records_are_scored_then_fast_equals_reference() -> (
    None
):
    compiled = compile_rubric(load_rubric())
    records: list[dict[str, object]] = [
        {"industry": "COMPUTER_SOFTWARE", "employees": "640", "annual_revenue": "85000000",
         "technologies": "Salesforce;Gong", "buying_signals": "hiring;funding",
         "last_engagement_at": "2026-11-20T08:15:00Z", "domain": "acme-7.example.com"},
        {"industry": "GOVERNMENT_ADMINISTRATION", "employees": "4", "annual_revenue": "",
         "technologies": "", "buying_signals": "", "last_engagement_at": "",
         "domain": "sub.6sense.com"},
        {"industry": "", "employees": "", "domain": "Jane@Gmail.com",
         "last_engagement_at": "2025-01-01T00:00:00.5Z"},
    ]  # fmt: skip
    for values in records + records:
        facts = AccountFacts("r", values, object_type="company")
        assert score(facts, compiled, NOW) == score_reference(facts, compiled, NOW)
