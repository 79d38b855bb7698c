"""The SOQL subset: parsing, evaluation against a seeded org, and clean errors for junk."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.state import SalesforceState

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
ORG = SalesforceState.seeded(seed=5, companies=120, as_of=AS_OF)


def schemas(name: str) -> tuple[str, Mapping[str, FieldDef]] | None:
    object_name = ORG.resolve_object(name)
    return None if object_name is None else (object_name, ORG.fields(object_name))


def run(text: str, *, include_deleted: bool = False) -> list[dict[str, object]]:
    query = parse(text, schemas)
    return query.run(ORG.snapshot(query.object_name, include_deleted=include_deleted))


def error_code(text: str) -> str:
    with pytest.raises(SalesforceError) as caught:
        parse(text, schemas)
    return caught.value.code


def test_given_mixed_case_keywords_and_fields_when_parsed_then_canonical_names_are_returned() -> (
    None
):
    query = parse("select id, NAME, numberofemployees from account", schemas)
    assert query.object_name == "Account"
    assert query.fields == ("Id", "Name", "NumberOfEmployees")
    assert query.where is None
    assert query.limit is None


def test_given_numeric_range_when_filtered_then_only_rows_inside_are_returned() -> None:
    rows = run("SELECT Id FROM Account WHERE NumberOfEmployees >= 200 AND NumberOfEmployees < 2000")
    expected = [
        r
        for r in ORG.snapshot("Account")
        if r["NumberOfEmployees"] is not None and 200 <= int(str(r["NumberOfEmployees"])) < 2000
    ]
    assert {r["Id"] for r in rows} == {r["Id"] for r in expected}
    assert rows


def test_given_datetime_literal_when_filtering_system_modstamp_then_zone_offsets_are_honoured() -> (
    None
):
    utc = run("SELECT Id FROM Account WHERE SystemModstamp > 2026-06-01T00:00:00Z")
    shifted = run("SELECT Id FROM Account WHERE SystemModstamp > 2026-06-01T02:00:00+02:00")
    cutoff = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)
    assert {r["Id"] for r in utc} == {r["Id"] for r in shifted}
    assert all(int(str(r["SystemModstamp"])) > cutoff for r in utc)
    assert 0 < len(utc) < len(ORG.snapshot("Account"))


def test_given_or_in_parentheses_and_in_list_when_filtered_then_boolean_logic_is_right() -> None:
    rows = run(
        "SELECT Id FROM Account WHERE (Industry = 'Technology' OR Industry IN ('Finance', "
        "'Banking')) AND BillingCountry != null"
    )
    assert rows
    assert all(r["Industry"] in ("Technology", "Finance", "Banking") for r in rows)
    assert all(r["BillingCountry"] is not None for r in rows)


def test_given_order_by_desc_then_id_and_limit_when_run_then_rows_are_sorted_nulls_last() -> None:
    rows = run("SELECT Id FROM Account ORDER BY NumberOfEmployees DESC, Id ASC LIMIT 500")
    sizes = [r["NumberOfEmployees"] for r in rows]
    present = [s for s in sizes if s is not None]
    assert present == sorted(present, reverse=True)  # type: ignore[type-var]
    assert sizes[len(present) :] == [None] * (len(sizes) - len(present))
    assert len(run("SELECT Id FROM Account ORDER BY Name LIMIT 7")) == 7


def test_given_escaped_quote_when_filtering_by_name_then_the_literal_is_unescaped() -> None:
    target = next(r for r in ORG.snapshot("Account") if "&" in str(r["Name"]))
    rows = run(f"SELECT Id FROM Account WHERE Name = '{target['Name']}'")
    assert [r["Id"] for r in rows] == [target["Id"]]
    assert run(r"SELECT Id FROM Account WHERE Name = 'O\'Brien'") == []


def test_given_fifteen_char_id_when_filtering_by_id_then_the_eighteen_char_record_matches() -> None:
    target = ORG.snapshot("Account")[3]
    rows = run(f"SELECT Id FROM Account WHERE Id = '{str(target['Id'])[:15]}'")
    assert [r["Id"] for r in rows] == [target["Id"]]


def test_given_is_deleted_filter_when_include_deleted_then_recycle_bin_rows_are_visible() -> None:
    org = SalesforceState.seeded(seed=5, companies=20, as_of=AS_OF)
    victim = str(org.snapshot("Account")[2]["Id"])
    org.delete("Account", victim)
    query = parse("SELECT Id FROM Account WHERE IsDeleted = true", schemas)
    deleted = query.run(org.snapshot("Account", include_deleted=True))
    assert [r["Id"] for r in deleted] == [victim]
    assert query.run(org.snapshot("Account")) == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT", "MALFORMED_QUERY"),
        ("SELECT Id", "MALFORMED_QUERY"),
        ("SELECT Id, FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'open", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'bad \\q escape'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account LIMIT x", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE (Name = 'a'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account extra", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE IsDeleted > true", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE CreatedDate > 2024-13-45T00:00:00Z", "MALFORMED_QUERY"),
        ("SELECT Foo__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees = 'ten'", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE SystemModstamp > 2024-01-01", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
    ],
)
def test_given_bad_query_when_parsed_then_the_salesforce_error_code_is_raised(
    text: str, code: str
) -> None:
    assert error_code(text) == code


_WORDS = st.sampled_from(
    ["SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "ORDER", "BY", "LIMIT", "ASC", "DESC",
     "Id", "Name", "Account", "Lead", "NumberOfEmployees", "SystemModstamp", "IsDeleted", "(",
     ")", ",", "=", "!=", "<", ">=", "'x'", "'a\\'b'", "42", "-1.5", "true", "null",
     "2024-01-01", "2024-01-01T00:00:00Z", "NULLS", "LAST", "'", "\\"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_WORDS, max_size=14).map(" ".join), st.text(max_size=60)))
def test_given_random_junk_when_parsed_and_run_then_result_or_salesforce_error(text: str) -> None:
    outcome: object
    try:
        query = parse(text, schemas)
        outcome = query.run(ORG.snapshot(query.object_name, include_deleted=True))
    except SalesforceError as error:
        outcome = error
    if isinstance(outcome, SalesforceError):
        assert outcome.code in ("MALFORMED_QUERY", "INVALID_FIELD", "INVALID_TYPE")
        assert outcome.message
    else:
        assert isinstance(outcome, list)
