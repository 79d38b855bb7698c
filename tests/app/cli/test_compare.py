"""The pure parts of `validate --compare` (app.cli.compare): the window of close dates, and
the verdict lines of a validation whatever shape the statistics give them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.cli.compare import _window, verdict_messages


def test_given_starts_and_since_then_the_window_opens_the_day_after_the_latest() -> None:
    starts = [datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 5, 2, 1, tzinfo=UTC)]

    assert _window(None, []) is None
    assert _window(None, starts) == date(2026, 5, 3)
    assert _window(date(2026, 6, 1), starts) == date(2026, 6, 1)
    assert _window(date(2026, 1, 1), starts) == date(2026, 5, 3)


def test_given_verdicts_as_records_or_text_then_each_becomes_a_line() -> None:
    figures = {
        "verdicts": [{"kind": "no_evidence", "message": "no evidence"}, "tiers out of order"]
    }

    assert verdict_messages(figures) == ["no evidence", "tiers out of order"]
    assert verdict_messages({"auc": 0.5}) == []
