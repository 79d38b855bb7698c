"""The sandbox's in-memory state: the modification clock, direct mutation for tests, derived
deal properties, and change events."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from crm_sandbox.hubspot.records import ChangeEvent, ModificationClock
from crm_sandbox.hubspot.state import HubSpotState

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def state() -> HubSpotState:
    return HubSpotState.seeded(seed=5, companies=40, as_of=AS_OF)


def test_given_a_stalled_wall_clock_when_ticking_then_times_still_strictly_increase() -> None:
    clock = ModificationClock(lambda: 1_700_000_000_000)

    ticks = [clock.tick() for _ in range(5)]

    assert ticks == list(range(1_700_000_000_000, 1_700_000_000_005))
    clock.observe(1_800_000_000_000)
    assert clock.tick() == 1_800_000_000_001


def test_given_the_same_seed_when_loaded_twice_then_the_states_hold_the_same_records() -> None:
    first = HubSpotState.seeded(seed=9, companies=30, as_of=AS_OF)
    second = HubSpotState.seeded(seed=9, companies=30, as_of=AS_OF)

    assert first.company_ids() == second.company_ids()
    assert [first.company(i) for i in first.company_ids()] == [
        second.company(i) for i in second.company_ids()
    ]
    assert [first.deal(i) for i in first.deal_ids()] == [second.deal(i) for i in second.deal_ids()]


def test_given_a_touch_when_applied_then_the_values_change_and_the_record_is_newest(
    state: HubSpotState,
) -> None:
    first, second = state.company_ids()[:2]

    stamp_one = state.touch_company(first, industry="INTERNET", numberofemployees=None)
    stamp_two = state.touch_company(second, city="Oslo")

    record = state.record("companies", first)
    assert record.properties["industry"] == "INTERNET"
    assert "numberofemployees" not in record.properties  # None clears
    assert record.properties["hs_lastmodifieddate"] == stamp_one
    assert stamp_one < stamp_two
    assert (
        state.record("companies", second).updated_ms > record.updated_ms > AS_OF.timestamp() * 1000
    )
    assert [w.source for w in state.writes()] == ["SANDBOX", "SANDBOX"]
    with pytest.raises(KeyError, match="industri"):
        state.touch_company(first, industri="typo")


def test_given_a_deal_stage_change_when_touched_then_closed_and_won_flags_follow(
    state: HubSpotState,
) -> None:
    deal_id = state.create_deal(state.company_ids()[0], dealname="Pilot", dealstage="contractsent")
    assert state.deal(deal_id)["hs_is_closed"] == "false"

    state.touch_deal(deal_id, dealstage="closedwon")

    deal = state.deal(deal_id)
    assert (deal["hs_is_closed"], deal["hs_is_closed_won"]) == ("true", "true")
    assert state.associated_company_ids(deal_id) == [state.company_ids()[0]]
    assert deal_id in state.associated_deal_ids(state.company_ids()[0])


def test_given_an_archived_company_when_listing_ids_then_it_moves_to_the_archived_list(
    state: HubSpotState,
) -> None:
    target = state.company_ids()[3]

    state.archive_company(target)
    assert target not in state.company_ids()
    assert target in state.company_ids(archived=True)
    state.restore_company(target)
    assert target in state.company_ids()


def test_given_a_listener_when_records_change_then_it_hears_each_change(
    state: HubSpotState,
) -> None:
    heard: list[ChangeEvent] = []
    unsubscribe = state.subscribe(heard.append)
    target = state.company_ids()[1]

    state.touch_company(target, city="Lund")
    state.archive_company(target)
    new = state.create_company(name="Fresh Co", domain="fresh.example")
    unsubscribe()
    state.touch_company(target, city="Malmö")

    assert [(e.kind, e.object_id) for e in heard] == [
        ("propertyChange", target),
        ("deletion", target),
        ("creation", new),
    ]
    assert heard[0].properties == {"city": "Lund"}


def test_given_tied_records_when_set_modified_then_they_share_the_instant_and_later_writes_follow(
    state: HubSpotState,
) -> None:
    ids = state.company_ids()[5:8]
    at = datetime(2030, 1, 1, tzinfo=UTC)

    state.set_modified("companies", ids, at)
    state.touch_company(state.company_ids()[9], city="Bergen")

    assert {state.record("companies", i).updated_ms for i in ids} == {int(at.timestamp() * 1000)}
    assert state.record("companies", state.company_ids()[9]).updated_ms > at.timestamp() * 1000


def test_given_concurrent_touches_when_they_race_then_every_modified_time_is_distinct(
    state: HubSpotState,
) -> None:
    ids = state.company_ids()

    def worker(offset: int) -> None:
        for n in range(50):
            state.touch_company(ids[(offset + n) % len(ids)], city=f"City {n}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stamps = [w.modified_ms for w in state.writes()]
    assert len(stamps) == 200
    assert stamps == sorted(set(stamps))
