"""Hostile CRM records, end to end: hypothesis builds HubSpot companies and Salesforce Accounts
and Leads whose every field (and the `properties` block, and the payload itself) may hold junk —
wrong types, huge or non-finite numbers, huge strings, unicode, NUL characters, lone
surrogates, nulls, nested lists and objects — and each goes the way a sync takes it: mapped,
stored (SQLite and PostgreSQL), scored by the default rubric and by one whose criteria read the
raw properties with every rule kind. Every one must come out as a stored score 0-100 with a
tier and reasons; nothing may raise."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric.loader import load_rubric, parse_rubric
from app.rubric.model import DISQUALIFIED_TIER
from app.scoring import CompiledRubric, compile_rubric
from app.store.repo import upsert_accounts
from app.store.tables import Account, Score
from app.sync.rescore import rescore
from connectors.hubspot.connector import COMPANY_PROPERTIES
from connectors.hubspot.mapping import company_to_account
from connectors.hubspot.render import render_score as render_hubspot
from connectors.records import CrmAccount
from connectors.salesforce.mapping import account_to_account, lead_to_account
from connectors.salesforce.render import render_score as render_salesforce

pytestmark = pytest.mark.slow  # hypothesis drives whole syncs of junk records

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        [
            "",
            "   ",
            "\x00",
            "Soft\x00ware",
            "\ud800",
            "a\udfffb",
            "COMPUTER_SOFTWARE",
            "acme.com",
            "https://www.acme.com/x",
            "jo@gmail.com",
            "x@" + "a" * 300 + ".com",
            "a" * 300 + ".com",
            "Salesforce;HubSpot;Gong",
            "2024-05-01T12:00:00.000+0000",
            "2024-13-45",
            "true",
            "-0",
            "1e999999",
            "99999999999999999999",
            "3000000000",
            "١٢٣",
            "🏢💥",
            "NaN",
            "Infinity",
        ]
    ),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(1_000, 40_000)),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**31, 2**63, 10**18, 10**19, 10**24, -(2**31) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    text,
)
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.one_of(text, st.sampled_from(["attributes", "Name", "Id"])), children, max_size=4
        )
    ),
    max_leaves=12,
)


def fields_of(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Some of `names`, plus any other keys, each holding junk."""
    return st.dictionaries(st.one_of(st.sampled_from(names), text), junk, max_size=len(names) + 4)


HUBSPOT_PROPERTIES = [
    *COMPANY_PROPERTIES,
    "icp_buying_signals",
    "employees_raw",
    "opted_out",
]
SALESFORCE_FIELDS = [
    "Id",
    "Name",
    "Company",
    "Website",
    "Email",
    "Title",
    "Industry",
    "NumberOfEmployees",
    "AnnualRevenue",
    "BillingCountry",
    "BillingState",
    "Country",
    "State",
    "CreatedDate",
    "SystemModstamp",
    "LastModifiedDate",
    "IsDeleted",
    "IsConverted",
    "Buying_Signals__c",
    "LastActivityDate",
    "Employees_Raw__c",
    "Opted_Out__c",
    "Owner",
    "attributes",
]

hubspot_companies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "id": junk,
            "properties": fields_of(HUBSPOT_PROPERTIES) | junk,
            "createdAt": junk,
            "updatedAt": junk,
            "archived": junk,
            "archivedAt": junk,
            "associations": junk,
        },
    ),
    st.dictionaries(text, junk, max_size=5),
)
salesforce_records = fields_of(SALESFORCE_FIELDS)

# A rubric whose criteria read raw CRM properties (custom fields), with every rule kind, so the
# junk kept verbatim in `properties` reaches every rule's parser.
RAW_RUBRIC = parse_rubric(
    {
        "version": "garbage-1",
        "fields": {
            "signals": {"hubspot": "icp_buying_signals", "salesforce": "Buying_Signals__c"},
            "engaged_at": {"hubspot": "notes_last_updated", "salesforce": "LastActivityDate"},
            "raw_employees": {"hubspot": "employees_raw", "salesforce": "Employees_Raw__c"},
            "opted_out": {"hubspot": "opted_out", "salesforce": "Opted_Out__c"},
            "raw_industry": {"hubspot": "industry", "salesforce": "Industry"},
        },
        "layers": {
            "all": {
                "criteria": [
                    {
                        "id": "industry",
                        "field": "raw_industry",
                        "weight": 10,
                        "reason": "Industry",
                        "match": [
                            {"label": "exact", "points": 100, "values": ["COMPUTER_SOFTWARE"]},
                            {"label": "near", "points": 50, "keywords": ["soft", "data"]},
                        ],
                    },
                    {
                        "id": "size",
                        "field": "raw_employees",
                        "weight": 10,
                        "reason": "Employees",
                        "missing": "skip",
                        "bands": [
                            {"min": 50, "max": 5000, "points": 100},
                            {"max": 50, "points": 20},
                        ],
                    },
                    {
                        "id": "country",
                        "field": "country",
                        "weight": 10,
                        "reason": "Country",
                        "any_of": {"values": ["United States", "Germany"]},
                    },
                    {
                        "id": "signals",
                        "field": "signals",
                        "weight": 10,
                        "reason": "Signals",
                        "count": {
                            "steps": [{"at_least": 2, "points": 100}, {"at_least": 1, "points": 50}]
                        },
                    },
                    {
                        "id": "stack",
                        "field": "technologies",
                        "weight": 10,
                        "reason": "Stack",
                        "count": {
                            "values": ["Salesforce", "Gong"],
                            "steps": [{"at_least": 1, "points": 100}],
                        },
                    },
                    {
                        "id": "engagement",
                        "field": "engaged_at",
                        "weight": 10,
                        "reason": "Engagement",
                        "recency": {"full_within_days": 14, "zero_after_days": 180},
                    },
                    {
                        "id": "opted_out",
                        "field": "opted_out",
                        "weight": 10,
                        "reason": "Opt-out",
                        "boolean": {"when_true": 0, "when_false": 100},
                    },
                    {
                        "id": "revenue",
                        "field": "annual_revenue",
                        "weight": 10,
                        "reason": "Revenue",
                        "bands": [{"min": 1000000, "points": 100}],
                    },
                ]
            }
        },
        "tiers": [
            {"name": "good", "label": "Good", "min_score": 60},
            {"name": "rest", "label": "Rest", "min_score": 0},
        ],
        "disqualifiers": [
            {"id": "tiny", "field": "raw_employees", "reason": "Tiny", "less_than": 5},
            {"id": "huge", "field": "employees", "reason": "Huge", "greater_than": 10**6},
            {"id": "gov", "field": "raw_industry", "reason": "Gov", "one_of": ["GOVERNMENT"]},
            {
                "id": "free_mail",
                "field": "domain",
                "reason": "Free mail",
                "domain_in": ["gmail.com"],
            },
            {"id": "opted", "field": "opted_out", "reason": "Opted out", "is_true": True},
        ],
    },
    source="garbage rubric",
)
RUBRICS = {"default": compile_rubric(load_rubric()), "raw": compile_rubric(RAW_RUBRIC)}
Renderer = Callable[[Any], Any]

fuzz = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def assert_scored_when_stored(
    sessions: sessionmaker[Session], record: CrmAccount, render: Renderer
) -> None:
    """Stores `record` as a sync does, scores it with each rubric, and checks the stored score;
    nothing is kept (each example rolls back)."""
    assert isinstance(record, CrmAccount)
    for name, rubric in RUBRICS.items():
        with sessions() as session:
            (row,) = upsert_accounts(session, [record], fetched_at=NOW)
            rescore(session, [row], rubric=rubric, render=render, now=NOW)
            session.flush()
            stored = session.scalars(select(Score).where(Score.account_id == row.id)).one()
            assert_a_score(stored, rubric, name)
            assert session.get(Account, row.id) is not None
            session.rollback()


def assert_a_score(stored: Score, rubric: CompiledRubric, name: str) -> None:
    tiers = {tier.name for tier in rubric.rubric.tiers} | {DISQUALIFIED_TIER}
    assert 0 <= stored.score <= 100, name
    assert stored.tier in tiers, name
    assert stored.reasons, name
    assert all(isinstance(reason, str) and reason for reason in stored.reasons), name


@fuzz
@example(company={"id": "1", "properties": {"numberofemployees": "3000000000"}})
@example(company={"id": "1", "properties": {"annualrevenue": "9" * 23}})
@example(company={"id": "1", "properties": {"name": "Acme\x00", "industry": "\ud800"}})
@example(company={"id": "9" * 100, "properties": {"domain": "a" * 300 + ".com"}})
@example(company={"id": None, "properties": None})
@given(company=hubspot_companies)
def test_given_a_hubspot_company_of_junk_when_synced_then_stored_and_scored_0_to_100(
    sessions: sessionmaker[Session], company: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = company_to_account(company)

    assert_scored_when_stored(sessions, record, render_hubspot)


@fuzz
@example(record={"Id": "0015e00000AbCdEAAV", "NumberOfEmployees": 10**17})
@example(record={"Id": "0015e00000AbCdEAAV", "AnnualRevenue": Decimal("1e23")})
@example(record={"Id": "x" * 100, "Email": "jo@" + "a" * 400 + ".com", "Name": "\x00"})
@example(record={"Id": "0015e00000AbCdEAAV", "Owner": {"Name": "\ud800", "Manager": {"x": [1]}}})
@given(record=salesforce_records)
def test_given_a_salesforce_account_or_lead_of_junk_when_synced_then_stored_and_scored_0_to_100(
    sessions: sessionmaker[Session], record: dict[str, Any]
) -> None:
    for mapper in (account_to_account, lead_to_account):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mapped = mapper(record)

        assert_scored_when_stored(sessions, mapped, render_salesforce)
