"""CRM v3 objects through the official client: list paging, get, batch read and update, and
HubSpot's validation errors."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import hubspot
import pytest
from hubspot.crm.companies import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    BatchResponseSimplePublicObject,
    BatchResponseSimplePublicObjectWithErrors,
    SimplePublicObject,
    SimplePublicObjectBatchInput,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import NotFoundException

from crm_sandbox import RunningSandbox


def _batch(updates: dict[str, dict[str, str]]) -> BatchInputSimplePublicObjectBatchInput:
    return BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=i, properties=p) for i, p in updates.items()]
    )


def _error(raised: pytest.ExceptionInfo[ApiException]) -> dict[str, object]:
    body: dict[str, object] = json.loads(raised.value.body)
    return body


def _raw(sandbox: RunningSandbox) -> httpx.Client:
    return httpx.Client(
        base_url=sandbox.hubspot_url,
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
    )


def test_given_the_seeded_companies_when_get_all_then_every_live_company_comes_back_once(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    before = sandbox.hubspot.stats.calls("GET /crm/v3/objects/companies")

    companies = client.crm.companies.get_all()

    assert [c.id for c in companies] == sandbox.hubspot.company_ids()
    pages = sandbox.hubspot.stats.calls("GET /crm/v3/objects/companies") - before
    assert pages == -(-len(companies) // 100)
    first = companies[0]
    assert set(first.properties) == {
        "name",
        "domain",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    assert first.properties["hs_object_id"] == first.id
    assert isinstance(first.created_at, datetime)
    assert first.archived is False


def test_given_a_limit_when_paging_with_after_then_pages_chain_and_the_last_has_no_paging(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    api = client.crm.companies.basic_api
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api.get_page(limit=37, after=after, archived=False)
        pages += 1
        assert len(page.results) <= 37
        seen.extend(r.id for r in page.results)
        if page.paging is None:
            break
        link = httpx.URL(page.paging.next.link)
        assert str(link).startswith(f"{sandbox.hubspot_url}/crm/v3/objects/companies?")
        assert link.params["after"] == page.paging.next.after
        assert link.params["limit"] == "37"
        assert len(page.results) == 37
        after = page.paging.next.after
        assert not after.isdigit()  # opaque, not the next id

    assert seen == sandbox.hubspot.company_ids()
    assert pages == -(-len(seen) // 37)
    assert api.get_page().results.__len__() == 10  # HubSpot's default limit


def test_given_archived_true_when_listing_then_only_archived_companies_come_back(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    archived = client.crm.companies.basic_api.get_page(limit=100, archived=True)

    assert archived.results, "the seed archives about 1% of companies"
    assert [r.id for r in archived.results] == sandbox.hubspot.company_ids(archived=True)
    assert all(r.archived and r.archived_at is not None for r in archived.results)


def test_given_properties_as_a_comma_list_or_repeated_keys_when_listing_then_both_are_honoured(
    sandbox: RunningSandbox,
) -> None:
    with _raw(sandbox) as http:
        comma = http.get(
            "/crm/v3/objects/companies", params={"limit": "5", "properties": "industry,city"}
        ).json()
        repeated = http.get(
            "/crm/v3/objects/companies?limit=5&properties=industry&properties=city&archived=False"
        ).json()

    assert comma["results"] == repeated["results"]
    assert comma["paging"]["next"]["after"] == repeated["paging"]["next"]["after"]
    assert set(comma["results"][0]["properties"]) == {
        "industry", "city", "createdate", "hs_lastmodifieddate", "hs_object_id",
    }  # fmt: skip


def test_given_a_requested_property_without_value_when_read_then_it_comes_back_as_null(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    empty = next(i for i in state.company_ids() if "industry" not in state.company(i))

    company = client.crm.companies.basic_api.get_by_id(
        empty, properties=["industry", "no_such_prop"]
    )

    assert company.properties["industry"] is None
    assert "no_such_prop" not in company.properties  # unknown names are ignored


def test_given_an_unknown_id_when_get_then_the_client_raises_not_found(
    client: hubspot.Client,
) -> None:
    with pytest.raises(NotFoundException) as raised:
        client.crm.companies.basic_api.get_by_id("999")

    assert raised.value.status == 404
    assert _error(raised)["category"] == "OBJECT_NOT_FOUND"


def test_given_an_unknown_id_when_batch_reading_then_the_result_carries_the_error(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    known = sandbox.hubspot.company_ids()[:3]
    request = BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in [*known, "424242"]],
        properties=["name", "industry"],
        properties_with_history=[],
    )

    result = client.crm.companies.batch_api.read(request)

    assert isinstance(result, BatchResponseSimplePublicObjectWithErrors)
    assert [r.id for r in result.results] == known
    assert result.num_errors == 1
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["424242"]}


def test_given_known_ids_when_batch_updating_then_values_are_written_and_modified_time_bumps(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    ids = state.company_ids()[10:13]
    before = {i: state.record("companies", i).updated_ms for i in ids}
    state.clear_writes()

    result = client.crm.companies.batch_api.update(
        _batch(
            {
                i: {"hs_ideal_customer_profile": "tier_1", "icp_buying_signals": "hiring;funding"}
                for i in ids
            }
        )
    )

    assert isinstance(result, BatchResponseSimplePublicObject)
    assert result.status == "COMPLETE"
    assert [r.id for r in result.results] == ids
    updated = [state.record("companies", i) for i in ids]
    assert all(r.properties["hs_ideal_customer_profile"] == "tier_1" for r in updated)
    assert all(r.updated_ms > before[r.id] for r in updated)
    stamps = [r.updated_ms for r in updated]
    assert stamps == sorted(set(stamps))  # strictly increasing
    assert [r.updated_at for r in result.results] == [
        datetime.fromisoformat(r.properties["hs_lastmodifieddate"]) for r in updated
    ]
    assert [(w.object_id, w.source) for w in state.writes("companies")] == [(i, "API") for i in ids]


def test_given_101_inputs_when_batch_updating_then_400_and_nothing_is_written(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    ids = sandbox.hubspot.company_ids()[:101]
    sandbox.hubspot.clear_writes()

    with pytest.raises(ApiException) as raised:
        client.crm.companies.batch_api.update(_batch({i: {"city": "Oslo"} for i in ids}))

    assert raised.value.status == 400
    body = _error(raised)
    assert body["category"] == "VALIDATION_ERROR"
    assert "maximum number of inputs supported in a batch is 100" in str(body["message"])
    assert sandbox.hubspot.writes() == []


@pytest.mark.parametrize(
    ("properties", "code", "named", "mentions"),
    [
        ({"hs_ideal_customer_profile": "tier_9"}, "INVALID_OPTION", "hs_ideal_customer_profile",
         ["tier_9", "tier_1, tier_2, tier_3"]),
        ({"icp_fit_scor": "80"}, "PROPERTY_DOESNT_EXIST", "icp_fit_scor", ['"icp_fit_scor"']),
        ({"numberofemployees": "fifty"}, "INVALID_INTEGER", "numberofemployees",
         ["fifty was not a valid number"]),
        ({"hs_lastmodifieddate": "1700000000000"}, "READ_ONLY_VALUE", "hs_lastmodifieddate", []),
        ({"web_technologies": "Salesforce;Excel"}, "INVALID_OPTION", "web_technologies", ["Excel"]),
        ({"hs_is_target_account": "maybe"}, "INVALID_OPTION", "hs_is_target_account", ["maybe"]),
    ],
)  # fmt: skip
def test_given_one_bad_value_when_batch_updating_then_the_whole_batch_fails_naming_it(
    sandbox: RunningSandbox,
    client: hubspot.Client,
    properties: dict[str, str],
    code: str,
    named: str,
    mentions: list[str],
) -> None:
    good, bad = sandbox.hubspot.company_ids()[20:22]
    sandbox.hubspot.clear_writes()

    with pytest.raises(ApiException) as raised:
        client.crm.companies.batch_api.update(_batch({good: {"city": "Graz"}, bad: properties}))

    assert raised.value.status == 400
    body = _error(raised)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"]
    errors = body["errors"]
    assert isinstance(errors, list)
    [detail] = errors
    assert detail["code"] == code
    assert detail["context"] == {"propertyName": [named]}
    assert str(body["message"]).startswith("Property values were not valid: [")
    for text in mentions:
        assert text in detail["message"]
    assert sandbox.hubspot.writes() == []
    assert sandbox.hubspot.company(good).get("city") != "Graz"


def test_given_an_unknown_id_in_a_batch_update_when_sent_then_207_and_the_rest_is_written(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    known = sandbox.hubspot.company_ids()[30]
    archived = sandbox.hubspot.company_ids(archived=True)[0]

    result = client.crm.companies.batch_api.update(
        _batch({known: {"city": "Turku"}, "77777": {"city": "Turku"}, archived: {"city": "Turku"}})
    )

    assert isinstance(result, BatchResponseSimplePublicObjectWithErrors)
    assert [r.id for r in result.results] == [known]
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["77777", archived]}
    assert sandbox.hubspot.company(known)["city"] == "Turku"
    assert sandbox.hubspot.company(archived).get("city") != "Turku"


def test_given_a_single_update_when_patched_then_it_is_written_and_unknown_ids_are_404(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    target = sandbox.hubspot.company_ids()[31]
    api = client.crm.companies.basic_api

    updated = api.update(target, SimplePublicObjectInput(properties={"numberofemployees": "640"}))

    assert isinstance(updated, SimplePublicObject)
    assert updated.properties["numberofemployees"] == "640"
    assert sandbox.hubspot.company(target)["numberofemployees"] == "640"
    with pytest.raises(NotFoundException):
        api.update("31337", SimplePublicObjectInput(properties={"city": "Nowhere"}))


def test_given_a_new_company_when_created_then_201_gives_the_object_to_the_client(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    created = client.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"name": "Sandbox Test Co", "domain": "sandboxtest.io"}
        )
    )

    assert isinstance(created, SimplePublicObject)  # a 200 would have given None
    assert sandbox.hubspot.company(created.id)["domain"] == "sandboxtest.io"


def test_given_a_deal_with_associations_requested_when_read_then_typed_entries_are_duplicated(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    deal_id = sandbox.hubspot.deal_ids()[0]
    [company_id] = sandbox.hubspot.associated_company_ids(deal_id)

    deal = client.crm.deals.basic_api.get_by_id(deal_id, associations=["companies"])

    entries = [(a.id, a.type) for a in deal.associations["companies"].results]
    assert entries == [(company_id, "deal_to_company"), (company_id, "deal_to_company_unlabeled")]
    assert set(deal.properties) >= {"dealname", "amount", "dealstage", "pipeline", "closedate"}


def test_given_malformed_json_when_posted_then_400_validation_error_in_hubspot_shape(
    sandbox: RunningSandbox,
) -> None:
    with _raw(sandbox) as http:
        response = http.post(
            "/crm/v3/objects/companies/batch/update",
            content=b'{"inputs": [',
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    assert "Traceback" not in response.text
