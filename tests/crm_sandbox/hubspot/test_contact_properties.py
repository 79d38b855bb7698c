"""Contacts' search (an incremental pull on `lastmodifieddate`, company filters, the 10,000
cap), their property definitions and groups, and the contacts scopes, through the official
client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import hubspot
import pytest
import urllib3
from hubspot.crm.contacts import ApiException, Filter, FilterGroup, PublicObjectSearchRequest
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.crm.properties import Option, PropertyCreate, PropertyGroupCreate

from crm_sandbox import RunningSandbox
from crm_sandbox.hubspot.values import parse_datetime_ms
from crm_sandbox.pytest_plugin import SandboxFactory


def test_given_a_watermark_when_searching_lastmodifieddate_then_newer_contacts_oldest_first(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    assert sandbox.wait_search_indexed()  # the other tests' writes: searchable after a lag
    stamps = sorted(state.record("contacts", i).updated_ms for i in state.contact_ids())
    watermark = stamps[len(stamps) // 2]

    found = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(
                    filters=[
                        Filter(
                            property_name="lastmodifieddate", operator="GTE", value=str(watermark)
                        )
                    ]
                )
            ],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            properties=["email", "jobtitle"],
            limit=100,
        )
    )

    assert found.total == sum(1 for stamp in stamps if stamp >= watermark)
    modified = [parse_datetime_ms(c.properties["lastmodifieddate"]) or 0 for c in found.results]
    assert modified == sorted(modified)
    assert modified[0] >= watermark
    assert "hs_lastmodifieddate" not in found.results[0].properties


def test_given_hs_lastmodifieddate_when_searching_contacts_then_400_it_does_not_exist(
    client: hubspot.Client,
) -> None:
    with pytest.raises(ApiException) as raised:
        client.crm.contacts.search_api.do_search(
            PublicObjectSearchRequest(
                filter_groups=[
                    FilterGroup(
                        filters=[
                            Filter(property_name="hs_lastmodifieddate", operator="GTE", value="0")
                        ]
                    )
                ]
            )
        )

    assert raised.value.status == 400
    assert "hs_lastmodifieddate" in json.loads(raised.value.body)["message"]


def test_given_a_company_when_searching_associations_company_then_its_contacts_only(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    company = next(c for c in state.company_ids() if len(state.company_contact_ids(c)) >= 2)

    found = client.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(filter_groups=[FilterGroup(filters=[Filter(
            property_name="associations.company", operator="EQ", value=company)])], limit=50)
    )  # fmt: skip
    beyond = {"filterGroups": [], "after": "10000", "limit": 10}

    live = [c for c in state.company_contact_ids(company) if c in set(state.contact_ids())]
    assert sorted(c.id for c in found.results) == sorted(live)
    with pytest.raises(ApiException) as raised:
        client.crm.contacts.search_api.do_search(PublicObjectSearchRequest(**_snake(beyond)))
    assert raised.value.status == 400


def _snake(body: dict[str, object]) -> dict[str, object]:
    return {"filter_groups": body["filterGroups"], "after": body["after"], "limit": body["limit"]}


def test_given_the_contact_properties_when_listed_then_hubspots_types_options_and_read_only(
    client: hubspot.Client,
) -> None:
    definitions = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}

    assert [o.value for o in definitions["lifecyclestage"].options] == [
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
        "customer", "evangelist", "other",
    ]  # fmt: skip
    assert "BAD_TIMING" in [o.value for o in definitions["hs_lead_status"].options]
    assert (definitions["phone"].type, definitions["phone"].field_type) == ("string", "phonenumber")
    assert definitions["hubspot_owner_id"].external_options is True
    for name in ("hs_email_domain", "associatedcompanyid", "lastmodifieddate", "hs_object_id"):
        assert definitions[name].modification_metadata.read_only_value is True, name
    assert definitions["notes_last_updated"].type == "datetime"
    assert "hs_lastmodifieddate" not in definitions


def test_given_icp_syncs_setup_when_creating_the_group_and_tier_then_writable_and_409_twice(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    properties = client.crm.properties
    properties.groups_api.create("contacts", PropertyGroupCreate(name="icp_sync", label="ICP Sync"))
    tier = PropertyCreate(
        name="icp_contact_tier", label="ICP tier", type="enumeration", field_type="select",
        group_name="icp_sync",
        options=[Option(label="Tier 1", value="tier_1", display_order=0, hidden=False)],
    )  # fmt: skip

    created = properties.core_api.create("contacts", tier)
    contact = sandbox.hubspot.contact_ids()[0]
    client.crm.contacts.basic_api.update(contact, {"properties": {"icp_contact_tier": "tier_1"}})

    assert created.group_name == "icp_sync"
    assert sandbox.hubspot.contact(contact)["icp_contact_tier"] == "tier_1"
    with pytest.raises(PropertiesApiException) as raised:
        properties.core_api.create("contacts", tier)
    assert raised.value.status == 409
    with pytest.raises(ApiException) as bad:
        client.crm.contacts.basic_api.update(contact, {"properties": {"icp_contact_tier": "x"}})
    assert bad.value.status == 400


@pytest.fixture(scope="module")
def companies_only(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    scopes = ("crm.objects.companies.read", "crm.schemas.companies.read")
    with start_shared_crm_sandbox(
        seed=3, companies=5, hubspot_scopes=scopes, contacts_per_company=1.5
    ) as running:
        yield running


def test_given_no_contacts_scopes_when_reading_or_writing_contacts_then_403_naming_them(
    companies_only: RunningSandbox,
) -> None:
    client = hubspot.Client.create(
        access_token=companies_only.hubspot_token,
        host=companies_only.hubspot_url,
        retry=urllib3.Retry(0),
    )
    needed: dict[str, list[str]] = {}
    calls: tuple[tuple[str, Callable[[], object]], ...] = (
        ("list", lambda: client.crm.contacts.basic_api.get_page(limit=1)),
        ("create", lambda: client.crm.contacts.basic_api.create({"properties": {}})),
        ("properties", lambda: client.crm.properties.core_api.get_all("contacts")),
        ("create property", lambda: client.crm.properties.core_api.create("contacts", {})),
    )
    for name, call in calls:
        with pytest.raises((ApiException, PropertiesApiException)) as raised:
            call()
        assert raised.value.status == 403, name
        body = json.loads(raised.value.body)
        needed[name] = body["errors"][0]["context"]["requiredGranularScopes"]

    assert needed == {
        "list": ["crm.objects.contacts.read"],
        "create": ["crm.objects.contacts.write"],
        "properties": [
            "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.read",
        ],
        "create property": ["crm.schemas.contacts.write"],
    }  # fmt: skip
