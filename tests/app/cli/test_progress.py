"""`app.cli.progress`: drawn on a terminal only, only once the work has taken long enough."""

from __future__ import annotations

import io

from app.cli.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_given_a_terminal_and_no_delay_then_the_bar_shows_the_work_and_its_count() -> None:
    stream = Terminal()

    with progress("reading closed deals", delay=0, stream=stream) as advance:
        advance(12_000)
        advance(500)

    drawn = stream.getvalue()
    assert "reading closed deals" in drawn
    assert "12,500" in drawn


def test_given_work_quicker_than_the_delay_then_nothing_is_drawn() -> None:
    stream = Terminal()

    with progress("reading closed deals", delay=3_600, stream=stream) as advance:
        advance(10)

    assert stream.getvalue() == ""


def test_given_output_that_is_not_a_terminal_then_nothing_is_drawn() -> None:
    stream = io.StringIO()

    with progress("reading closed deals", delay=0, stream=stream) as advance:
        advance(10)

    assert stream.getvalue() == ""


def test_given_work_that_cannot_count_then_the_bar_shows_no_count() -> None:
    stream = Terminal()

    with progress("statistics", delay=0, stream=stream):
        pass

    drawn = stream.getvalue()
    assert "statistics" in drawn
    assert " 0 " not in drawn
