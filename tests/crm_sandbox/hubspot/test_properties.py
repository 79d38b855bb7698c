"""The properties API: HubSpot-defined definitions, groups and properties created (201), the
409 on a repeat, type/fieldType checks, and options replaced wholesale by PATCH."""

from __future__ import annotations

import json
from collections.abc import Callable

import hubspot
import pytest
from hubspot.crm.companies import ApiException as CompaniesApiException
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInput,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.properties import (
    ApiException,
    ModelProperty,
    Option,
    PropertyCreate,
    PropertyGroup,
    PropertyGroupCreate,
    PropertyUpdate,
)
from hubspot.crm.properties.exceptions import NotFoundException

from crm_sandbox import RunningSandbox


def test_given_the_sandbox_when_reading_definitions_then_hubspot_defined_ones_have_real_types(
    client: hubspot.Client,
) -> None:
    properties = {p.name: p for p in client.crm.properties.core_api.get_all("companies").results}

    industry = properties["industry"]
    assert (industry.type, industry.field_type) == ("enumeration", "select")
    assert "COMPUTER_SOFTWARE" in [o.value for o in industry.options]
    assert len(industry.options) > 100
    assert (properties["numberofemployees"].type, properties["annualrevenue"].type) == (
        "number",
        "number",
    )
    assert properties["web_technologies"].field_type == "checkbox"
    assert properties["notes_last_updated"].type == "datetime"
    assert [o.value for o in properties["hs_ideal_customer_profile"].options] == [
        "tier_1",
        "tier_2",
        "tier_3",
    ]
    assert properties["hs_is_target_account"].type == "bool"
    assert properties["hs_lastmodifieddate"].modification_metadata.read_only_value is True
    assert properties["icp_buying_signals"].hubspot_defined is None  # custom
    deal_stage = client.crm.properties.core_api.get_by_name("deals", "dealstage")
    assert "closedwon" in [o.value for o in deal_stage.options]
    with pytest.raises(NotFoundException):
        client.crm.properties.core_api.get_by_name("companies", "no_such_property")


def test_given_a_new_group_and_property_when_created_twice_then_201_then_409(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    groups = client.crm.properties.groups_api
    core = client.crm.properties.core_api
    group = PropertyGroupCreate(name="icp_sync_test", label="ICP Sync", display_order=-1)
    prop = PropertyCreate(
        name="icp_fit_score_test", label="ICP fit score", type="number", field_type="number",
        group_name="icp_sync_test",
    )  # fmt: skip

    created_group = groups.create("companies", group)
    created = core.create("companies", prop)

    assert isinstance(created_group, PropertyGroup)
    assert created_group.name == "icp_sync_test"
    assert isinstance(created, ModelProperty)  # the client maps only 201 to a model
    assert (created.name, created.type, created.group_name) == (
        "icp_fit_score_test",
        "number",
        "icp_sync_test",
    )
    attempts: tuple[Callable[[], object], ...] = (
        lambda: groups.create("companies", group),
        lambda: core.create("companies", prop),
    )
    for again in attempts:
        with pytest.raises(ApiException) as raised:
            again()
        assert raised.value.status == 409
        assert json.loads(raised.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    assert sandbox.hubspot.property_definition("companies", "icp_fit_score_test").type == "number"


@pytest.mark.parametrize(
    ("definition", "mentions"),
    [
        ({"type": "number", "field_type": "select", "group_name": "companyinformation"}, "fieldType"),
        ({"type": "enumeration", "field_type": "text", "group_name": "companyinformation"}, "fieldType"),
        ({"type": "number", "field_type": "number", "group_name": "no_such_group"}, "no_such_group"),
        ({"type": "number", "field_type": "number", "group_name": None}, "groupName"),
        ({"type": "colour", "field_type": "number", "group_name": "companyinformation"}, "colour"),
    ],
)  # fmt: skip
def test_given_an_invalid_definition_when_creating_a_property_then_400_says_why(
    client: hubspot.Client, definition: dict[str, str | None], mentions: str
) -> None:
    with pytest.raises(ApiException) as raised:
        client.crm.properties.core_api.create(
            "companies", PropertyCreate(name="icp_bad_test", label="Bad", **definition)
        )

    assert raised.value.status == 400
    body = json.loads(raised.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert mentions in body["message"]


def test_given_an_enumeration_when_its_options_are_patched_then_they_are_replaced_wholesale(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    core = client.crm.properties.core_api
    core.create(
        "companies",
        PropertyCreate(
            name="icp_tier_test", label="ICP tier", type="enumeration", field_type="select",
            group_name="companyinformation",
            options=[Option(label="Tier 1", value="tier_1", display_order=0, hidden=False),
                     Option(label="Tier 2", value="tier_2", display_order=1, hidden=False)],
        ),
    )  # fmt: skip
    target = sandbox.hubspot.company_ids()[50]
    batch = client.crm.companies.batch_api

    def write(value: str) -> None:
        batch.update(
            BatchInputSimplePublicObjectBatchInput(
                inputs=[
                    SimplePublicObjectBatchInput(id=target, properties={"icp_tier_test": value})
                ]
            )
        )

    write("tier_2")
    patched = core.update(
        "companies",
        "icp_tier_test",
        PropertyUpdate(
            options=[
                Option(label="Disqualified", value="disqualified", display_order=0, hidden=False)
            ]
        ),
    )

    assert [o.value for o in patched.options] == ["disqualified"]
    write("disqualified")
    assert sandbox.hubspot.company(target)["icp_tier_test"] == "disqualified"
    with pytest.raises(CompaniesApiException) as raised:  # each sub-package has its own class
        write("tier_2")
    assert json.loads(raised.value.body)["errors"][0]["code"] == "INVALID_OPTION"
