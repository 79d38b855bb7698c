"""SOQL built safely: quoting round-trips through the sandbox's SOQL parser, names are checked,
hostile ids never reach a query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.salesforce.soql import (
    datetime_literal,
    identifier,
    in_list,
    quote,
    record_id,
    record_ids,
    select,
)
from crm_sandbox.salesforce.ids import make_id, normalize_id
from crm_sandbox.salesforce.metadata import FieldDef
from crm_sandbox.salesforce.soql import parse
from crm_sandbox.salesforce.soql_tokens import tokenize
from crm_sandbox.salesforce.values import parse_datetime_ms

SCHEMA = {
    "Id": FieldDef("Id", "id"),
    "Name": FieldDef("Name", "string"),
    "SystemModstamp": FieldDef("SystemModstamp", "datetime"),
}


def schemas(name: str) -> tuple[str, dict[str, FieldDef]] | None:
    return ("Account", SCHEMA) if name.lower() == "account" else None


@settings(max_examples=500, deadline=None)
@given(value=st.text())
@example(value="' OR Name != '")
@example(value="\\' OR Name != \\'")
@example(value="a\\")
@example(value="\n\r\t\b\f\"'\\")
@example(value="\x00\u2028😀")
def test_given_any_string_when_quoted_then_the_parser_reads_one_literal_equal_to_it(
    value: str,
) -> None:
    literal = quote(value)
    text = f"SELECT Id FROM Account WHERE Name = {literal}"

    tokens = tokenize(text)
    query = parse(text, schemas)

    assert [t.kind for t in tokens][-2:] == ["op", "string"]
    assert tokens[-1].text == literal
    rows: list[dict[str, Any]] = [
        {"Id": "a", "Name": value},
        {"Id": "b", "Name": value + "x"},
        {"Id": "c", "Name": None},
    ]
    assert [row["Id"] for row in query.run(rows)] == ["a"]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_given_strings_when_quoted_in_a_list_then_each_stays_one_literal(values: list[str]) -> None:
    text = "SELECT Id FROM Account WHERE Name IN (" + ", ".join(map(quote, values)) + ")"

    query = parse(text, schemas)

    rows = [{"Id": str(i), "Name": v} for i, v in enumerate(values)] + [{"Id": "x", "Name": "?"}]
    expected = [str(i) for i, v in enumerate(values)] + (["x"] if "?" in values else [])
    assert [row["Id"] for row in query.run(rows)] == expected


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=30))
@example(value="001' OR Name != '")
@example(value="0015e00000AbCdEAAV")
def test_given_anything_as_an_id_when_filtered_then_only_well_formed_ids_survive(
    value: str,
) -> None:
    kept = record_ids([value])

    assert all(len(i) == 18 and i.isalnum() and i.isascii() for i in kept)
    assert all(normalize_id(i) == i for i in kept)  # the sandbox agrees on the checksum
    if kept:
        assert in_list(kept) == f"('{kept[0]}')"


def test_given_ids_in_both_forms_when_filtered_then_18_characters_deduplicated_by_prefix() -> None:
    account, lead = "001A0000006Vm9rIAC", make_id("00Q", 7)
    bad_checksum = account[:15] + "ZZZ"

    assert record_id(account[:15]) == account
    assert record_id(account.lower()) is None  # the checksum encodes the case of the 15
    assert record_id(account[:15] + account[15:].lower()) == account
    assert record_id(bad_checksum) is None
    assert record_ids([lead, account[:15], account, bad_checksum, 42, None]) == (lead, account)
    assert record_ids([lead, account], prefix="001") == (account,)
    with pytest.raises(ValueError, match="well-formed"):
        in_list(["001' OR Name != '"])
    with pytest.raises(ValueError, match="well-formed"):
        in_list([])


@pytest.mark.parametrize("name", ["Name", "ICP_Tier__c", "acme__Score__c", "Owner_Id2", "X" * 80])
def test_given_api_names_when_checked_then_accepted(name: str) -> None:
    assert identifier(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "1Name", "Name, Id", "Name--", "Na me", "Name'", "Owner.Name", "_x", "a___b", "X" * 81,
     "Námé"],
)  # fmt: skip
def test_given_anything_else_when_checked_then_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="not a Salesforce field or object name"):
        identifier(name)


def test_given_fields_when_selected_then_names_are_checked_and_the_parser_accepts_it() -> None:
    text = select(
        ["Id", "Name"],
        "Account",
        where=f"SystemModstamp >= {datetime_literal(datetime(2024, 5, 1, tzinfo=UTC))}",
        order_by=["SystemModstamp", "Id"],
    )

    assert text == (
        "SELECT Id, Name FROM Account WHERE SystemModstamp >= 2024-05-01T00:00:00.000Z "
        "ORDER BY SystemModstamp, Id"
    )
    assert parse(text, schemas).fields == ("Id", "Name")
    with pytest.raises(ValueError, match="not a Salesforce field"):
        select(["Id FROM Lead --"], "Account")
    with pytest.raises(ValueError, match="at least one field"):
        select([], "Account")


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
    ),
    offset=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_given_an_aware_datetime_when_written_as_literal_then_utc_to_the_millisecond(
    moment: datetime, offset: int
) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset)))

    literal = datetime_literal(local)

    assert len(literal) == len("2024-05-01T00:00:00.000Z")
    assert literal.endswith("Z")
    truncated = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert datetime.fromisoformat(literal.replace("Z", "+00:00")) == truncated
    parse_datetime_ms(literal)  # the sandbox's SOQL reads it


def test_given_a_naive_datetime_when_written_as_literal_then_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        datetime_literal(datetime(2024, 5, 1))
