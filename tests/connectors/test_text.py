"""The shared writeback text: reasons cut to a limit counted as each CRM counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.text import (
    format_datetime,
    holds_value,
    join_reasons,
    truncate_chars,
    truncate_utf16,
    utf16_length,
)


def test_given_astral_characters_when_counted_then_utf16_counts_two_and_len_one() -> None:
    assert utf16_length("🏢a") == 3
    assert len("🏢a") == 2
    assert truncate_utf16("🏢🏢", 3) == "🏢"  # never half a surrogate pair
    assert truncate_chars("🏢🏢", 1) == "🏢"


def test_given_reasons_within_the_limit_when_joined_then_one_per_line_unchanged() -> None:
    assert join_reasons(("a\nb", "c"), 10) == "a b\nc"


def test_given_astral_reasons_when_joined_by_code_points_then_more_fit_than_by_utf16_units() -> (
    None
):
    reasons = ("🏢" * 30, "🏢" * 30, "🏢" * 30)

    by_units = join_reasons(reasons, 100)
    by_chars = join_reasons(reasons, 100, length=len, truncate=truncate_chars)

    assert by_units.split("\n")[-1] == "… 2 more not shown"
    assert by_chars == "\n".join(reasons)


@settings(max_examples=100, deadline=None)
@given(
    reasons=st.lists(st.text(max_size=3000), max_size=30).map(tuple),
    limit=st.integers(min_value=40, max_value=10_000),
)
def test_given_any_reasons_when_joined_by_code_points_then_never_over_the_limit(
    reasons: tuple[str, ...], limit: int
) -> None:
    assert len(join_reasons(reasons, limit, length=len, truncate=truncate_chars)) <= limit
    assert utf16_length(join_reasons(reasons, limit)) <= limit


# -- reading back what was written ------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants)
def test_given_a_written_instant_when_read_back_in_either_crms_format_then_it_is_held(
    moment: datetime,
) -> None:
    sent = format_datetime(moment)
    salesforce = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"

    assert holds_value(sent, sent)  # HubSpot returns the string it was sent
    assert holds_value(sent, salesforce)
    assert not holds_value(sent, format_datetime(moment + timedelta(milliseconds=1)))


@given(st.integers(min_value=0, max_value=100))
def test_given_a_written_score_when_read_back_as_a_number_or_string_then_it_is_held(
    score: int,
) -> None:
    assert holds_value(str(score), Decimal(score))
    assert holds_value(str(score), score)
    assert holds_value(str(score), f"{score}.0")
    assert not holds_value(str(score), score + 1)


@given(st.lists(st.sampled_from(["too_small", "competitor", "excluded_industry"]), min_size=2,
                unique=True))  # fmt: skip
def test_given_written_flags_when_read_back_in_another_order_then_they_are_held(
    flags: list[str],
) -> None:
    assert holds_value(";".join(flags), ";".join(reversed(flags)))
    assert not holds_value(";".join(flags), ";".join(flags[:-1]))


def test_given_booleans_and_blanks_when_read_back_then_held_only_when_equal() -> None:
    assert holds_value("true", True)
    assert holds_value("false", "false")
    assert not holds_value("false", True)
    assert holds_value("", None)
    assert not holds_value("tier_1", None)
    assert not holds_value("tier_1", "tier_2")
    assert not holds_value("tier_1", {"nested": "junk"})


@given(
    st.text(max_size=40), st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40))
)
def test_given_any_pair_when_compared_then_an_answer_and_never_an_error(
    sent: str, held: object
) -> None:
    assert holds_value(sent, held) in (True, False)
