"""Behaviour of the lenient value parsers the scorer relies on."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.scoring.parse import (
    display_category,
    format_quantity,
    is_missing,
    normalise_category,
    normalise_domain,
    parse_bool,
    parse_datetime,
    parse_list,
    parse_number,
)
from connectors.normalise import _normalise_text

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary().map(lambda b: b.decode("latin-1"))
    | st.datetimes()
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250", 250.0),
        (" 1,200 ", 1200.0),
        ("50-100", 75.0),
        ("50 – 100", 75.0),
        ("10 to 20", 15.0),
        ("$1.2M", 1_200_000.0),
        ("USD 3.5 million", 3_500_000.0),
        ("€ 3,500", 3500.0),
        ("10k", 10_000.0),
        ("1.5bn", 1_500_000_000.0),
        ("$1M-5M", 3_000_000.0),
        ("5-10M", 7_500_000.0),
        ("500+", 500.0),
        ("250 employees", 250.0),
        ("~40", 40.0),
    ],
)
def test_given_a_crm_style_quantity_when_parsed_then_it_reads_as_a_number(
    text: str, expected: float
) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text", ["", "   ", "lots", "nan", "inf", "-inf", "100-50", "1,2,3,4", "12 apples", "x" * 500]
)
def test_given_text_that_is_not_a_quantity_when_parsed_then_it_is_none(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("value", [True, False, None, [1], {"a": 1}, float("nan"), float("inf")])
def test_given_a_non_numeric_object_when_parsed_then_it_is_none(value: object) -> None:
    assert parse_number(value) is None


@given(junk)
def test_given_any_value_when_parsed_then_no_parser_raises(value: object) -> None:
    number = parse_number(value)
    assert number is None or math.isfinite(number)
    assert parse_bool(value) in (True, False, None)
    items = parse_list(value)
    assert items is None or all(isinstance(i, str) and i == i.strip() and i for i in items)
    moment = parse_datetime(value)
    assert moment is None or moment.tzinfo is UTC
    if isinstance(value, str):
        normalise_category(value)
        domain = normalise_domain(value)
        assert domain is None or domain == domain.lower()


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_given_an_integer_written_plain_or_with_separators_when_parsed_then_it_round_trips(
    n: int,
) -> None:
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_given_a_range_when_parsed_then_it_is_the_midpoint(low: int, high: int) -> None:
    expected = (low + high) / 2 if high >= low else None
    assert parse_number(f"{low}-{high}") == expected


@given(st.floats(min_value=0.1, max_value=999, allow_nan=False).map(lambda x: round(x, 1)))
def test_given_millions_with_a_currency_sign_when_parsed_then_the_suffix_multiplies(
    x: float,
) -> None:
    assert parse_number(f"${x}M") == pytest.approx(x * 1e6)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("Yes", True), ("1", True), (1, True), ("FALSE", False), ("no", False),
     (0, False), ("maybe", None), (2, None), ("", None)],
)  # fmt: skip
def test_given_yes_no_text_when_parsed_as_bool_then_it_is_read(
    value: object, expected: bool | None
) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Salesforce;HubSpot", ("Salesforce", "HubSpot")),
        ("a, b ,c", ("a", "b", "c")),
        (["x", " ", "y", 3], ("x", "y")),
        (";;", None),
        (5, None),
    ],
)
def test_given_a_list_value_when_parsed_then_items_are_split_and_stripped(
    value: object, expected: tuple[str, ...] | None
) -> None:
    assert parse_list(value) == expected


def test_given_the_date_shapes_crms_send_when_parsed_then_all_are_utc() -> None:
    expected = datetime(2024, 8, 15, 17, 9, 13, 648000, tzinfo=UTC)
    assert parse_datetime("2024-08-15T17:09:13.648Z") == expected
    assert parse_datetime(str(int(expected.timestamp() * 1000))) == expected  # HubSpot epoch ms
    assert parse_datetime(expected.timestamp()) == expected
    assert parse_datetime(date(2024, 8, 15)) == datetime(2024, 8, 15, tzinfo=UTC)
    assert parse_datetime("2024-08-15T19:09:13.648+02:00") == expected
    naive = datetime(2024, 8, 15, 17, 9, 13, 648000)  # naive on purpose: read as UTC
    assert parse_datetime(naive) == expected


@given(st.datetimes(timezones=st.just(UTC)))
def test_given_an_iso_timestamp_when_parsed_then_it_round_trips(moment: datetime) -> None:
    assert parse_datetime(moment.isoformat()) == moment
    assert parse_datetime(moment + timedelta(0)) == moment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("jane.doe@GMAIL.com", "gmail.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("acme.com:8443", "acme.com"),
        ("acme.com.", "acme.com"),
        ("not a domain", None),
        ("localhost", None),
        ("", None),
    ],
)
def test_given_a_domain_url_or_email_when_normalised_then_the_bare_domain_is_kept(
    value: str, expected: str | None
) -> None:
    assert normalise_domain(value) == expected


@given(st.text(max_size=60))
def test_given_any_text_when_domain_normalised_twice_then_it_is_stable(text: str) -> None:
    once = normalise_domain(text)
    if once is not None:
        assert normalise_domain(once) == once
        assert "/" not in once
        assert "@" not in once
        assert not once.startswith("www.")


@given(st.text(max_size=40))
def test_given_any_text_when_category_normalised_then_it_is_idempotent(text: str) -> None:
    assert normalise_category(normalise_category(text)) == normalise_category(text)


def test_given_the_same_industry_spelt_three_ways_when_normalised_then_they_are_equal() -> None:
    spellings = {"COMPUTER_SOFTWARE", "Computer Software", " computer-software "}
    assert {normalise_category(s) for s in spellings} == {"computer software"}
    assert display_category("COMPUTER_SOFTWARE") == "Computer Software"
    assert display_category("Technology") == "Technology"


@pytest.mark.parametrize(
    ("value", "missing"),
    [(None, True), ("", True), ("  ", True), ([], True), ({}, True), (float("nan"), True),
     (0, False), (False, False), ("0", False), (["a"], False)],
)  # fmt: skip
def test_given_a_value_when_checked_then_only_empty_values_are_missing(
    value: object, missing: bool
) -> None:
    assert is_missing(value) is missing


@pytest.mark.parametrize(
    ("value", "text"),
    [(250, "250"), (12_500, "12,500"), (1_200_000, "1.2M"), (3e9, "3B"), (250.5, "250.5")],
)
def test_given_a_quantity_when_formatted_then_it_is_short_and_readable(
    value: float, text: str
) -> None:
    assert format_quantity(value) == text


def test_given_non_ascii_digits_when_parsed_as_a_date_then_none_rather_than_an_error() -> None:
    assert parse_datetime("¹") is None
    assert parse_datetime("١٢٣") is None


domain_like = st.builds(
    "{}{}{}".format,
    st.sampled_from(["", "www.", "WWW.", "a-", "-", ".", "https://", "jo@", " ", "x."]),
    st.from_regex(r"[a-zA-Z0-9.\-_]{1,20}", fullmatch=True),
    st.sampled_from(["", ".com", ".co.uk", ".", "-", "/x", ":80", " ", "..org", ".-a"]),
)


@given(st.one_of(domain_like, st.text(max_size=60), st.text(max_size=300, min_size=190)))
def test_given_any_text_when_domain_normalised_then_the_shortcut_agrees_with_the_whole_rule(
    text: str,
) -> None:
    assert normalise_domain(text) == _normalise_text.__wrapped__(text)


@pytest.mark.parametrize(
    "text",
    ["a-.com", "a.-b.com", "a..b.com", "www.a.com", ".a.com", "a.com.", "-a.com", "a.com-",
     "A.com", "a_b.com", "localhost", "a" * 250 + ".com", "a" * 249 + ".com", "ａ.com", "a.co m"],
)  # fmt: skip
def test_given_an_almost_bare_domain_when_normalised_then_the_shortcut_agrees_with_the_whole_rule(
    text: str,
) -> None:
    assert normalise_domain(text) == _normalise_text.__wrapped__(text)


def test_given_a_bare_domain_when_normalised_then_the_cache_is_not_consulted() -> None:
    _normalise_text.cache_clear()
    assert normalise_domain("company-1.example.com") == "company-1.example.com"
    assert _normalise_text.cache_info().misses == 0
    assert normalise_domain("https://www.Example.com/") == "example.com"
    assert _normalise_text.cache_info().misses == 1
