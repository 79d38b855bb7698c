"""The shared writeback text: reasons cut to a limit counted as each CRM counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.text import join_reasons, truncate_chars, truncate_utf16, utf16_length


def test_given_astral_characters_when_counted_then_utf16_counts_two_and_len_one():
    assert utf16_length("🏢a") == 3
    assert len("🏢a") == 2
    assert truncate_utf16("🏢🏢", 3) == "🏢"  # never half a surrogate pair
    assert truncate_chars("🏢🏢", 1) == "🏢"


def test_given_reasons_within_the_limit_when_joined_then_one_per_line_unchanged():
    assert join_reasons(("a\nb", "c"), 10) == "a b\nc"


def test_given_astral_reasons_when_joined_by_code_points_then_more_fit_than_by_utf16_units():
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
):
    assert len(join_reasons(reasons, limit, length=len, truncate=truncate_chars)) <= limit
    assert utf16_length(join_reasons(reasons, limit)) <= limit
