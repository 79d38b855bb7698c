"""A new portal's standard properties through the official client, `createdate` set on create
(historical records keep their create date), the read-only ones refused, and 404s that say
which kind of record was not found."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import hubspot
import pytest
from hubspot.crm.companies import ApiException, SimplePublicObjectInput
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
from hubspot.crm.contacts import ApiException as ContactApiException
from hubspot.crm.deals import ApiException as DealApiException
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput

from crm_sandbox import RunningSandbox


@pytest.mark.parametrize(
    ("object_type", "name", "type_", "field_type"),
    [
        ("companies", "founded_year", "string", "text"),
        ("companies", "phone", "string", "phonenumber"),
        ("companies", "hubspot_owner_id", "enumeration", "select"),
        ("companies", "hs_parent_company_id", "number", "number"),
        ("companies", "createdate", "datetime", "date"),
        ("deals", "hubspot_owner_id", "enumeration", "select"),
        ("deals", "closed_lost_reason", "string", "textarea"),
        ("deals", "hs_is_closed_won", "bool", "booleancheckbox"),
    ],
)
def test_given_a_new_portal_then_standard_properties_exist_with_hubspots_types(
    client: hubspot.Client, object_type: str, name: str, type_: str, field_type: str
) -> None:
    definition = client.crm.properties.core_api.get_by_name(object_type, name)

    assert (definition.type, definition.field_type) == (type_, field_type)
    assert definition.hubspot_defined


def test_given_the_properties_api_then_createdate_is_writable_and_record_ids_are_not(
    client: hubspot.Client,
) -> None:
    core = client.crm.properties.core_api
    read_only = {
        name: core.get_by_name("companies", name).modification_metadata.read_only_value
        for name in ("createdate", "hs_lastmodifieddate", "hs_object_id")
    }

    assert read_only == {"createdate": False, "hs_lastmodifieddate": True, "hs_object_id": True}
    assert core.get_by_name("deals", "hubspot_owner_id").external_options


def test_given_a_historical_createdate_when_creating_then_it_is_kept_and_the_record_is_new(
    client: hubspot.Client,
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)

    created = client.crm.companies.basic_api.create(
        CompanyInput(properties={"name": "Old Co", "createdate": "2011-09-01T12:00:00Z"})
    )

    assert created.created_at == datetime(2011, 9, 1, 12, tzinfo=UTC)
    assert created.properties["createdate"] == "2011-09-01T12:00:00.000Z"
    assert created.updated_at > before  # hs_lastmodifieddate is the write's, not 2011


@pytest.mark.parametrize("name", ["hs_object_id", "hs_lastmodifieddate"])
def test_given_a_read_only_property_when_written_then_400_read_only_value_names_it(
    sandbox: RunningSandbox, client: hubspot.Client, name: str
) -> None:
    company = sandbox.hubspot.company_ids()[3]

    with pytest.raises(ApiException) as raised:
        client.crm.companies.basic_api.update(
            company, SimplePublicObjectInput(properties={name: "1700000000000"})
        )

    assert raised.value.status == 400
    [detail] = json.loads(raised.value.body)["errors"]
    assert detail["code"] == "READ_ONLY_VALUE"
    assert detail["context"] == {"propertyName": [name]}


def test_given_unknown_ids_when_read_then_404_says_object_not_found_and_which_type(
    client: hubspot.Client,
) -> None:
    raised_by: dict[str, dict[str, list[str]]] = {}
    for object_type, api, error in (
        ("deal", client.crm.deals.basic_api, DealApiException),
        ("contact", client.crm.contacts.basic_api, ContactApiException),
        ("company", client.crm.companies.basic_api, ApiException),
    ):
        with pytest.raises(error) as raised:
            api.get_by_id("29999999999")
        body = json.loads(raised.value.body)
        assert (raised.value.status, body["message"]) == (
            404,
            "Object not found.  objectId are usually numeric.",
        )
        raised_by[object_type] = body["context"]

    assert raised_by == {
        kind: {"id": ["29999999999"], "objectType": [kind]}
        for kind in ("deal", "contact", "company")
    }


def test_given_a_deal_with_an_unknown_company_when_created_then_the_message_says_company(
    client: hubspot.Client,
) -> None:
    association = {
        "to": {"id": "29999999999"},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}],
    }

    with pytest.raises(DealApiException) as raised:
        client.crm.deals.basic_api.create(
            DealInput(
                properties={"dealname": "X", "dealstage": "closedwon", "pipeline": "default"},
                associations=[association],
            )
        )

    assert "no company with id '29999999999'" in json.loads(raised.value.body)["message"]
