"""The CRM search API: filters, one sort, offset paging, the 10,000 and 3,000-character caps,
its own rate limit, its index lagging behind changes and its scrambled order of ties.

Tests that compare search with the records' current values first wait for the index
(`wait_search_indexed`): the session's sandbox is shared, and other tests change it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import hubspot
import pytest
from hubspot.crm.companies import ApiException, PublicObjectSearchRequest

from crm_sandbox import RunningSandbox


def _search(client: hubspot.Client, **request: Any) -> Any:
    return client.crm.companies.search_api.do_search(PublicObjectSearchRequest(**request))


def _all_ids(client: hubspot.Client, **request: Any) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = _search(client, limit=100, after=after, **request)
        ids.extend(r.id for r in page.results)
        if page.paging is None:
            assert len(ids) == page.total
            return ids
        after = page.paging.next.after


def _employees(sandbox: RunningSandbox, company_id: str) -> float | None:
    value = sandbox.hubspot.company(company_id).get("numberofemployees")
    return None if value is None else float(value)


def test_given_a_watermark_when_searching_gte_sorted_ascending_then_only_later_records_come(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    touched = [state.company_ids()[i] for i in (57, 5, 33)]
    watermark = state.clock.last_ms + 1
    for company_id in touched:
        state.touch_company(company_id, city="Tampere")
    state.archive_company(state.company_ids()[40])  # modified later, but archived
    assert sandbox.wait_search_indexed()

    page = _search(
        client,
        filter_groups=[
            {
                "filters": [
                    {
                        "propertyName": "hs_lastmodifieddate",
                        "operator": "GTE",
                        "value": str(watermark),
                    }
                ]
            }
        ],
        sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        properties=["city"],
        limit=100,
    )

    assert [r.id for r in page.results] == touched
    assert page.total == 3
    assert page.paging is None
    assert all(r.properties["city"] == "Tampere" for r in page.results)
    stamps = [r.updated_at for r in page.results]
    assert stamps == sorted(stamps)


def test_given_after_10000_when_searching_then_400(client: hubspot.Client) -> None:
    with pytest.raises(ApiException) as raised:
        _search(client, after="10000", limit=100)

    assert raised.value.status == 400
    assert json.loads(raised.value.body)["category"] == "VALIDATION_ERROR"


def test_given_a_body_over_3000_characters_when_searching_then_400(client: hubspot.Client) -> None:
    many = [str(n) for n in range(1_000, 1_700)]
    with pytest.raises(ApiException) as raised:
        _search(
            client,
            filter_groups=[
                {"filters": [{"propertyName": "hs_object_id", "operator": "IN", "values": many}]}
            ],
        )

    assert raised.value.status == 400
    assert "3000" in json.loads(raised.value.body)["message"]


PICKED = 3  # "@" below: the headcount of this company, so EQ surely matches something
NUMERIC_CASES: list[tuple[dict[str, Any], Callable[[float | None, float], bool]]] = [
    ({"operator": "EQ", "value": "@"}, lambda v, picked: v == picked),
    ({"operator": "NEQ", "value": "@"}, lambda v, picked: v != picked),
    ({"operator": "LT", "value": "100"}, lambda v, _: v is not None and v < 100),
    ({"operator": "LTE", "value": "100"}, lambda v, _: v is not None and v <= 100),
    ({"operator": "GT", "value": "2000"}, lambda v, _: v is not None and v > 2000),
    ({"operator": "GTE", "value": "2000"}, lambda v, _: v is not None and v >= 2000),
    ({"operator": "BETWEEN", "value": "200", "highValue": "1999"}, lambda v, _: v is not None and 200 <= v <= 1999),
    ({"operator": "HAS_PROPERTY"}, lambda v, _: v is not None),
    ({"operator": "NOT_HAS_PROPERTY"}, lambda v, _: v is None),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "expected"), NUMERIC_CASES)
def test_given_a_numeric_filter_when_searching_then_exactly_the_matching_live_records_come(
    sandbox: RunningSandbox,
    client: hubspot.Client,
    condition: dict[str, Any],
    expected: Callable[[float | None, float], bool],
) -> None:
    assert sandbox.wait_search_indexed()
    picked = _employees(sandbox, sandbox.hubspot.company_ids()[PICKED])
    assert picked is not None
    if condition.get("value") == "@":
        condition = {**condition, "value": str(int(picked))}

    found = _all_ids(
        client, filter_groups=[{"filters": [{"propertyName": "numberofemployees", **condition}]}]
    )

    ids = sandbox.hubspot.company_ids()
    wanted = [i for i in ids if expected(_employees(sandbox, i), picked)]
    assert sorted(found) == sorted(wanted)
    assert found, "each case should match something in the seed"


def test_given_two_filter_groups_when_searching_then_they_are_ored_and_filters_anded(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    assert sandbox.wait_search_indexed()
    found = _all_ids(
        client,
        filter_groups=[
            {"filters": [
                {"propertyName": "industry", "operator": "EQ", "value": "COMPUTER_SOFTWARE"},
                {"propertyName": "numberofemployees", "operator": "GTE", "value": "200"},
            ]},
            {"filters": [{"propertyName": "web_technologies", "operator": "IN", "values": ["Gong"]}]},
        ],
    )  # fmt: skip

    state = sandbox.hubspot

    def matches(company_id: str) -> bool:
        company = state.company(company_id)
        software = company.get("industry") == "COMPUTER_SOFTWARE"
        big = float(company.get("numberofemployees") or -1) >= 200
        return (software and big) or "Gong" in company.get("web_technologies", "").split(";")

    assert sorted(found) == sorted(i for i in state.company_ids() if matches(i))


def test_given_a_string_sort_descending_when_searching_then_records_come_in_that_order(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    page = _search(
        client,
        filter_groups=[
            {"filters": [{"propertyName": "numberofemployees", "operator": "HAS_PROPERTY"}]}
        ],
        sorts=["-numberofemployees"],
        properties=["numberofemployees"],
        limit=20,
    )

    values = [float(r.properties["numberofemployees"]) for r in page.results]
    assert values == sorted(values, reverse=True)
    assert page.paging.next.after == "20"


def test_given_a_case_different_string_when_searching_eq_then_it_matches_ignoring_case(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    target = sandbox.hubspot.company_ids()[7]
    domain = sandbox.hubspot.company(target)["domain"]

    page = _search(
        client,
        filter_groups=[
            {"filters": [{"propertyName": "domain", "operator": "EQ", "value": domain.upper()}]}
        ],
    )

    assert target in [r.id for r in page.results]


def test_given_an_unknown_property_or_operator_when_searching_then_400(
    client: hubspot.Client,
) -> None:
    for condition in (
        {"propertyName": "no_such_property", "operator": "EQ", "value": "x"},
        {"propertyName": "city", "operator": "SOUNDS_LIKE", "value": "x"},
    ):
        with pytest.raises(ApiException) as raised:
            _search(client, filter_groups=[{"filters": [condition]}])
        assert raised.value.status == 400


def test_given_the_search_limit_when_exceeded_then_429_without_rate_limit_headers(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    limiter = sandbox.hubspot_limiter
    limiter.reset()
    limiter.search_per_second = 2
    try:
        _search(client, limit=1)
        _search(client, limit=1)
        with pytest.raises(ApiException) as raised:
            _search(client, limit=1)
        listed = client.crm.companies.basic_api.get_page_with_http_info(limit=1)
    finally:
        limiter.search_per_second = None

    assert raised.value.status == 429
    body = json.loads(raised.value.body)
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "SECONDLY"
    assert not any(name.lower().startswith("x-hubspot-ratelimit") for name in raised.value.headers)
    assert "X-HubSpot-RateLimit-Daily" in listed[2]  # other endpoints do send them
