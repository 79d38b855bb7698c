"""The SOQL subset: parsing, evaluation against a seeded org, and clean errors for junk."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sandbox.salesforce.errors import SalesforceError
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.soql_dates import date_range
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
        ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS:x", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_DAYS", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE CreatedDate > LAST_N_FORTNIGHTS:2", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE CreatedDate > SOMEDAY", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name LIKE 5", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE NumberOfEmployees LIKE '5%'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = TODAY", "MALFORMED_QUERY"),
        ("SELECT Owner.Username FROM Lead", "INVALID_FIELD"),
        ("SELECT Owner.Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Boss.Name FROM Account", "INVALID_FIELD"),
        ("SELECT Account.Owner.Name FROM Opportunity", "INVALID_FIELD"),
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
     "2024-01-01", "2024-01-01T00:00:00Z", "NULLS", "LAST", "'", "\\", "LIKE", "'%a_'",
     "TODAY", "LAST_N_DAYS:3", "N_DAYS_AGO:x", "CreatedDate", "Owner.Name", "Account.Name"]
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


def test_given_like_patterns_when_filtered_then_percent_underscore_and_case_work_as_salesforce() -> (
    None
):
    names = {str(r["Id"]): str(r["Name"]) for r in ORG.snapshot("Account")}
    first = next(iter(names.values()))

    starts = run(f"SELECT Id FROM Account WHERE Name LIKE '{first[:3].upper()}%'")
    one_char = run(f"SELECT Id FROM Account WHERE Name LIKE '_{first[1:]}'")
    negated = run(f"SELECT Id FROM Account WHERE NOT Name LIKE '{first[:3]}%'")

    assert {r["Id"] for r in starts} == {i for i, n in names.items() if n.lower().startswith(
        first[:3].lower())}  # fmt: skip
    assert str(one_char[0]["Id"]) in names
    assert all(names[str(r["Id"])][1:] == first[1:] for r in one_char)
    assert len(starts) + len(negated) == len(names)


def test_given_an_escaped_percent_when_liked_then_it_matches_only_itself() -> None:
    org = SalesforceState.seeded(seed=5, companies=3, as_of=AS_OF)
    org.create("Account", {"Name": "100% Fit"})
    org.create("Account", {"Name": "100 Fit"})
    query = parse("SELECT Name FROM Account WHERE Name LIKE '100\\%%'", schemas)

    assert [r["Name"] for r in query.run(org.snapshot("Account"))] == ["100% Fit"]


@pytest.mark.parametrize(
    ("literal", "start", "end"),
    [
        ("TODAY", date(2026, 11, 4), date(2026, 11, 5)),
        ("yesterday", date(2026, 11, 3), date(2026, 11, 4)),
        ("LAST_N_DAYS:7", date(2026, 10, 28), date(2026, 11, 5)),
        ("NEXT_N_DAYS:3", date(2026, 11, 5), date(2026, 11, 8)),
        ("N_DAYS_AGO:2", date(2026, 11, 2), date(2026, 11, 3)),
        ("THIS_MONTH", date(2026, 11, 1), date(2026, 12, 1)),
        ("LAST_MONTH", date(2026, 10, 1), date(2026, 11, 1)),
        ("THIS_WEEK", date(2026, 11, 1), date(2026, 11, 8)),  # weeks start on Sunday
        ("THIS_YEAR", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_given_a_date_literal_when_expanded_then_it_is_the_days_salesforce_documents(
    literal: str, start: date, end: date
) -> None:
    expanded = date_range(literal, today=date(2026, 11, 4))  # a Wednesday

    assert (expanded.start, expanded.end) == (start, end)


def test_given_date_literals_when_filtering_dates_and_datetimes_then_ranges_compare_right() -> None:
    org = SalesforceState.seeded(seed=5, companies=3, as_of=AS_OF)
    today = datetime.now(UTC).date()
    made = {
        days: org.create("Opportunity", {"Name": f"D{days}", "StageName": "Prospecting",
                                         "CloseDate": (today - timedelta(days=days)).isoformat()})
        for days in (0, 1, 5, 40)
    }  # fmt: skip

    def names(where: str) -> set[str]:
        query = parse(f"SELECT Name FROM Opportunity WHERE Name LIKE 'D%' AND {where}", schemas)
        return {str(r["Name"]) for r in query.run(org.snapshot("Opportunity"))}

    assert names("CloseDate = TODAY") == {"D0"}
    assert names("CloseDate = YESTERDAY") == {"D1"}
    assert names("CloseDate = LAST_N_DAYS:5") == {"D0", "D1", "D5"}
    assert names("CloseDate < LAST_N_DAYS:5") == {"D40"}
    assert names("CloseDate = N_DAYS_AGO:5") == {"D5"}
    assert names("CloseDate > YESTERDAY") == {"D0"}
    assert names("CloseDate <= YESTERDAY") == {"D1", "D5", "D40"}
    assert names("CreatedDate = TODAY") == {"D0", "D1", "D5", "D40"}  # created just now
    assert names("CreatedDate < TODAY") == set()
    assert made[0]["CloseDate"] == today.isoformat()


def test_given_relationship_paths_when_run_with_parents_then_filter_and_sort_on_their_fields() -> (
    None
):
    parents = {str(r["Id"]): (name, r) for name in ("User", "Group", "Account")
               for r in ORG.snapshot(name)}  # fmt: skip
    query = parse(
        "SELECT Id, Account.Name, owner.name FROM Opportunity "
        "WHERE Owner.Name = 'Sam Rivera' AND Account.Name LIKE 'a%' ORDER BY Account.Name",
        schemas,
    )

    rows = query.run(ORG.snapshot("Opportunity"), parents.get)

    assert query.fields == ("Id", "Account.Name", "Owner.Name")
    assert rows
    assert {r["Owner.Name"] for r in rows} == {"Sam Rivera"}
    assert all(str(r["Account.Name"]).lower().startswith("a") for r in rows)
    assert [r["Account.Name"] for r in rows] == sorted(r["Account.Name"] for r in rows)
