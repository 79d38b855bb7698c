"""Search reads an index that trails the records (by 3 s unless set otherwise) and orders ties
by a scrambled key, while reads by id, list and batch read see every change at once.

The index's clock is a `ManualClock` here, so the lag passes when a test says so."""

from __future__ import annotations

from typing import Any

import httpx
import hubspot
import pytest
from hubspot.crm.companies import (
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)

from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.search_index import DEFAULT_SEARCH_LAG_S
from crm_sandbox.pytest_plugin import SandboxFactory
from tests.support.clock import ManualClock


@pytest.fixture
def lagging(start_crm_sandbox: SandboxFactory) -> tuple[RunningSandbox, ManualClock]:
    """A sandbox with the default lag whose index runs on a clock the test moves. Search limit
    relaxed: these tests are about the index's lag and order, searched with the bare client."""
    sandbox = start_crm_sandbox(seed=3, companies=40, deals_per_company=0, search_rate_limit=None)
    clock = ManualClock()
    sandbox.hubspot.search_index.clock = clock
    return sandbox, clock


def _client(sandbox: RunningSandbox) -> hubspot.Client:
    return hubspot.Client.create(access_token=sandbox.hubspot_token, host=sandbox.hubspot_url)


def _search(client: hubspot.Client, **request: Any) -> Any:
    return client.crm.companies.search_api.do_search(PublicObjectSearchRequest(**request))


def _city_is(client: hubspot.Client, city: str) -> dict[str, str | None]:
    page = _search(
        client,
        filter_groups=[{"filters": [{"propertyName": "city", "operator": "EQ", "value": city}]}],
        properties=["city"],
        limit=100,
    )
    return {r.id: r.properties["city"] for r in page.results}


def test_given_the_default_sandbox_then_search_lags_by_three_seconds(
    start_crm_sandbox: SandboxFactory,
) -> None:
    sandbox = start_crm_sandbox(companies=1, deals_per_company=0)

    assert sandbox.hubspot.search_index.lag_s == DEFAULT_SEARCH_LAG_S == 3.0


def test_given_a_changed_company_when_searched_before_the_lag_then_found_with_its_old_values(
    lagging: tuple[RunningSandbox, ManualClock],
) -> None:
    sandbox, clock = lagging
    client = _client(sandbox)
    company_id = sandbox.hubspot.company_ids()[4]
    assert sandbox.wait_search_indexed(timeout=0)  # seeded records are indexed from the start
    old_city = "Oldtown"
    sandbox.hubspot.touch_company(company_id, city=old_city)
    clock.advance(DEFAULT_SEARCH_LAG_S)
    client.crm.companies.basic_api.update(company_id, {"properties": {"city": "Newtown"}})

    clock.advance(DEFAULT_SEARCH_LAG_S - 0.1)
    before = (_city_is(client, "Newtown"), _city_is(client, old_city))
    by_id = client.crm.companies.basic_api.get_by_id(company_id, properties=["city"])
    waited = sandbox.wait_search_indexed(timeout=0)
    clock.advance(0.1)
    after = (_city_is(client, "Newtown"), _city_is(client, old_city))

    assert before == ({}, {company_id: old_city})  # the old values, at the old position
    assert by_id.properties["city"] == "Newtown"  # reads by id are immediate
    assert not waited
    assert after == ({company_id: "Newtown"}, {})
    assert sandbox.wait_search_indexed(timeout=0)


def test_given_a_created_company_then_search_finds_it_only_after_the_lag_but_reads_at_once(
    lagging: tuple[RunningSandbox, ManualClock],
) -> None:
    sandbox, clock = lagging
    client = _client(sandbox)
    created = client.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"name": "Fresh Oy", "city": "Freshville"})
    )

    absent = _city_is(client, "Freshville")
    batch = client.crm.companies.batch_api.read(
        BatchReadInputSimplePublicObjectId(inputs=[{"id": created.id}], properties=["city"])
    )
    listed = client.crm.companies.basic_api.get_page(limit=100)
    clock.advance(DEFAULT_SEARCH_LAG_S)

    assert absent == {}
    assert [r.properties["city"] for r in batch.results] == ["Freshville"]
    assert created.id in [r.id for r in listed.results]
    assert _city_is(client, "Freshville") == {created.id: "Freshville"}


def test_given_an_archived_then_restored_company_then_search_follows_each_after_the_lag(
    lagging: tuple[RunningSandbox, ManualClock],
) -> None:
    sandbox, clock = lagging
    client = _client(sandbox)
    state = sandbox.hubspot
    company_id = state.company_ids()[9]
    state.touch_company(company_id, city="Archiveburg")
    clock.advance(DEFAULT_SEARCH_LAG_S)

    client.crm.companies.basic_api.archive(company_id)
    still_found = _city_is(client, "Archiveburg")
    clock.advance(DEFAULT_SEARCH_LAG_S)
    gone = _city_is(client, "Archiveburg")
    state.restore_company(company_id)
    still_gone = _city_is(client, "Archiveburg")
    clock.advance(DEFAULT_SEARCH_LAG_S)

    assert still_found == {company_id: "Archiveburg"}
    assert gone == {}
    assert still_gone == {}
    assert _city_is(client, "Archiveburg") == {company_id: "Archiveburg"}


def test_given_a_lag_set_over_the_control_plane_then_changes_are_searchable_at_once(
    lagging: tuple[RunningSandbox, ManualClock],
) -> None:
    sandbox, _clock = lagging
    url = f"{sandbox.control_url}/search-lag"

    refused = httpx.post(url, json={"seconds": -1})
    set_zero = httpx.post(url, json={"seconds": 0})
    sandbox.hubspot.touch_company(sandbox.hubspot.company_ids()[2], city="Instantville")

    assert refused.status_code == 422
    assert "body.seconds: -1" in refused.json()["error"]
    assert set_zero.json() == {"seconds": 0.0, "pending": 0}
    assert list(_city_is(_client(sandbox), "Instantville").values()) == ["Instantville"]
    assert httpx.get(url).json()["seconds"] == 0.0


def test_given_records_sharing_a_sort_value_when_paged_then_ties_are_scrambled_and_stable(
    lagging: tuple[RunningSandbox, ManualClock],
) -> None:
    sandbox, clock = lagging
    client = _client(sandbox)
    state = sandbox.hubspot
    tied = state.company_ids()[:30]
    state.set_modified("companies", tied, state.clock.last_ms + 1_000)
    clock.advance(DEFAULT_SEARCH_LAG_S)
    request: dict[str, Any] = {
        "filter_groups": [
            {
                "filters": [
                    {
                        "propertyName": "hs_lastmodifieddate",
                        "operator": "EQ",
                        "value": str(state.clock.last_ms),
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
    }

    whole = [r.id for r in _search(client, limit=100, **request).results]
    paged: list[str] = []
    for after in ("0", "10", "20"):
        paged.extend(r.id for r in _search(client, limit=10, after=after, **request).results)
    descending = dict(request, sorts=["-hs_lastmodifieddate"])
    again = [r.id for r in _search(client, limit=100, **descending).results]

    assert sorted(whole) == sorted(tied)
    assert whole != sorted(whole)  # not id order
    assert paged == whole  # one order across pages of the query
    assert again == whole  # ties keep that order whichever the direction
