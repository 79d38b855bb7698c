"""A score rendered as HubSpot property strings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import AccountScore
from connectors.hubspot.render import MAX_TEXT_LENGTH, render_score
from connectors.text import format_datetime, join_reasons, utf16_length


def score(**overrides: Any) -> AccountScore:
    default = AccountScore(
        score=82,
        tier="tier_1",
        disqualified=False,
        flags=(),
        reasons=("Industry: Computer Software (exact match) +25", "Employees: 250 +20"),
        rubric_version="2024.09-b",
        scored_at=datetime(2024, 9, 1, 8, 30, 5, 123456, tzinfo=UTC),
    )
    return replace(default, **overrides)


def test_given_a_score_when_rendered_then_every_icp_property_is_a_hubspot_string() -> None:
    assert render_score(score()) == {
        "icp_fit_score": "82",
        "icp_tier": "tier_1",
        "icp_disqualified": "false",
        "icp_flags": "",
        "icp_reasons": "Industry: Computer Software (exact match) +25\nEmployees: 250 +20",
        "icp_scored_at": "2024-09-01T08:30:05.123Z",
        "icp_rubric_version": "2024.09-b",
    }


def test_given_a_disqualified_score_when_rendered_then_flags_are_semicolon_joined() -> None:
    rendered = render_score(
        score(tier="disqualified", disqualified=True, flags=("too_small", "competitor"))
    )

    assert rendered["icp_disqualified"] == "true"
    assert rendered["icp_tier"] == "disqualified"
    assert rendered["icp_flags"] == "too_small;competitor"


def test_given_a_non_utc_time_when_rendered_then_it_is_converted_to_utc_z() -> None:
    moment = datetime(2024, 9, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))

    assert format_datetime(moment) == "2024-09-01T08:00:00.000Z"


def test_given_a_naive_time_when_rendered_then_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_datetime(datetime(2024, 9, 1))


def test_given_reasons_over_the_limit_when_joined_then_cut_at_a_line_with_a_count() -> None:
    reasons = tuple(f"reason {n} " + "x" * 990 for n in range(100))

    text = join_reasons(reasons, MAX_TEXT_LENGTH)

    assert utf16_length(text) <= MAX_TEXT_LENGTH
    lines = text.split("\n")
    assert lines[:-1] == list(reasons[: len(lines) - 1])
    assert lines[-1] == f"… {100 - (len(lines) - 1)} more not shown"


def test_given_one_enormous_astral_reason_when_joined_then_no_half_surrogate_and_within_limit() -> (
    None
):
    text = join_reasons(("🏢" * 40_000, "second"), MAX_TEXT_LENGTH)

    assert utf16_length(text) <= MAX_TEXT_LENGTH
    assert text.encode("utf-16-le").decode("utf-16-le") == text
    assert text.endswith("… 1 more not shown")


@settings(max_examples=100, deadline=None)
@given(
    reasons=st.lists(st.text(min_size=0, max_size=5000), max_size=40).map(tuple),
    limit=st.integers(min_value=40, max_value=20_000),
)
def test_given_any_reasons_when_joined_then_never_over_the_limit(
    reasons: tuple[str, ...], limit: int
) -> None:
    assert utf16_length(join_reasons(reasons, limit)) <= limit


def test_given_multiline_reasons_when_joined_then_one_line_each() -> None:
    assert join_reasons(("a\nb", "c"), MAX_TEXT_LENGTH) == "a b\nc"
