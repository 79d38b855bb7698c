"""`collection_paused`: the cycle collector is off inside and as it was after, even on error."""

from __future__ import annotations

import gc

import pytest

from app.validation.collection import collection_paused


def test_given_the_collector_on_when_paused_then_off_inside_and_on_again_after_an_error() -> None:
    inside: list[bool] = []

    def work() -> None:
        with collection_paused():
            inside.append(gc.isenabled())
            raise ValueError("boom")

    assert gc.isenabled()
    with pytest.raises(ValueError, match="boom"):
        work()

    assert inside == [False]
    assert gc.isenabled()


def test_given_the_collector_already_off_when_paused_then_it_stays_off() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
