"""`Gatherer`: a rate-limited CRM's events are held back, at most a second at a time, so a sync
spending the same budget cannot starve the webhooks; a CRM with room is never held."""

from __future__ import annotations

from typing import cast

from app.inbox.gather import HOLD_AT_MOST, Gatherer
from connectors.base import CrmConnector


class Limited:
    """A connector whose rate limit frees `wait` seconds from now."""

    def __init__(self, wait: float) -> None:
        self.wait = wait

    def ready_in(self, calls: int) -> float:
        return self.wait


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_given_a_crm_out_of_calls_then_its_events_wait_at_most_the_bound_then_go() -> None:
    clock, hubspot = Clock(), Limited(5.0)
    gatherer = Gatherer(cast(dict[str, CrmConnector], {"hubspot": hubspot}), clock)

    first = gatherer.held()
    clock.now += HOLD_AT_MOST - 0.01
    still = gatherer.held()
    clock.now += 0.02
    released = gatherer.held()
    again = gatherer.held()

    assert (first, still, released, again) == (["hubspot"], ["hubspot"], [], ["hubspot"])


def test_given_room_or_a_crm_skipped_anyway_then_nothing_is_held() -> None:
    clock = Clock()
    connectors = {"hubspot": Limited(0.0), "salesforce": Limited(3.0)}
    gatherer = Gatherer(cast(dict[str, CrmConnector], connectors), clock)

    assert gatherer.held(skipped=["salesforce"]) == []
    connectors["hubspot"].wait = 0.5
    assert gatherer.held() == ["hubspot", "salesforce"]
    connectors["hubspot"].wait = 0.0  # room again: the hold ends and its clock restarts
    assert gatherer.held() == ["salesforce"]
