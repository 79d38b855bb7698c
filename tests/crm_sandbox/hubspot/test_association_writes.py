"""v4 association writes and labels through the official client: default associations (single
and batch) for every pair, labelled batch create with partial failure, user-defined labels in
both directions, the HubSpot-defined company↔company types, and the 400s for a type a pair
does not have."""

from __future__ import annotations

import json

import hubspot
import pytest
from hubspot.crm.associations.v4 import (
    ApiException,
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicObjectId,
)
from hubspot.crm.associations.v4.schema import ApiException as SchemaApiException
from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest

from crm_sandbox import RunningSandbox


def _labels(client: hubspot.Client, from_type: str, to_type: str) -> list[tuple[int, str | None]]:
    results = client.crm.associations.v4.schema.definitions_api.get_all(from_type, to_type).results
    return [(spec.type_id, spec.label) for spec in results]


def _multi(from_id: str, to_id: str, type_id: int, category: str = "HUBSPOT_DEFINED") -> object:
    return PublicAssociationMultiPost(
        _from=PublicObjectId(id=from_id),
        to=PublicObjectId(id=to_id),
        types=[AssociationSpec(association_category=category, association_type_id=type_id)],
    )


def test_given_a_new_portal_when_reading_labels_then_hubspot_defined_types_come_per_pair(
    client: hubspot.Client,
) -> None:
    assert _labels(client, "deals", "companies") == [(5, "Primary"), (341, None)]
    assert _labels(client, "companies", "contacts") == [(2, "Primary"), (280, None)]
    assert _labels(client, "companies", "companies") == [
        (13, "Child Company"),
        (14, "Parent Company"),
        (450, None),
    ]


def test_given_a_contact_and_a_company_when_associated_by_default_then_both_ends_read_it(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    company = sandbox.hubspot.company_ids()[7]
    contact = sandbox.hubspot.create_contact(email="default@example.com")

    answer = client.crm.associations.v4.basic_api.create_default(
        "contacts", contact, "companies", company
    )

    assert answer.results[0].association_spec.association_type_id == 279
    v4 = client.crm.associations.v4.basic_api
    [to_company] = v4.get_page("contact", contact, "company").results
    assert to_company.to_object_id == company
    back = v4.get_page("companies", company, "contacts").results
    assert contact in [a.to_object_id for a in back]


def test_given_deals_when_batch_associated_by_default_then_each_gets_its_company(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    companies = sandbox.hubspot.company_ids()[20:22]
    deals = [sandbox.hubspot.create_deal(dealname=f"Batch {i}") for i in range(2)]

    answer = client.crm.associations.v4.batch_api.create_default(
        "deals",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(
                    _from=PublicObjectId(id=d), to=PublicObjectId(id=c)
                )
                for d, c in zip(deals, companies, strict=True)
            ]
        ),
    )

    assert [r.association_spec.association_type_id for r in answer.results] == [341, 341]
    assert [sandbox.hubspot.associated_company_ids(d) for d in deals] == [[c] for c in companies]


def test_given_an_unknown_record_in_a_batch_create_then_207_names_it_and_the_rest_is_written(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    parent, child = sandbox.hubspot.company_ids()[30:32]

    answer = client.crm.associations.v4.batch_api.create(
        "companies",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[_multi(child, parent, 14), _multi(child, "29999999999", 14)]
        ),
    )

    assert [(r.from_object_id, r.to_object_id, r.labels) for r in answer.results] == [
        (child, parent, ["Parent Company"])
    ]
    assert (answer.results[0].from_object_type_id, answer.results[0].to_object_type_id) == (
        "0-2",
        "0-2",
    )
    [error] = answer.errors
    assert error.category == "OBJECT_NOT_FOUND"
    assert error.message == "Object not found.  objectId are usually numeric."
    assert error.context["id"] == ["29999999999"]
    assert error.context["objectType"] == ["company"]


def test_given_a_type_the_pair_does_not_have_when_associating_then_400_names_the_type(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    deal, company = sandbox.hubspot.deal_ids()[0], sandbox.hubspot.company_ids()[0]

    with pytest.raises(ApiException) as raised:
        client.crm.associations.v4.batch_api.create(
            "deals",
            "companies",
            BatchInputPublicAssociationMultiPost(inputs=[_multi(deal, company, 279)]),
        )

    assert raised.value.status == 400
    body = json.loads(raised.value.body)
    assert body["message"] == (
        "associationTypeId 279 (HUBSPOT_DEFINED) is not an association type from deals to companies"
    )


def test_given_a_new_label_then_both_directions_list_it_and_its_name_is_taken(
    client: hubspot.Client,
) -> None:
    definitions = client.crm.associations.v4.schema.definitions_api
    request = PublicAssociationDefinitionCreateRequest(
        name="champion", label="Champion", inverse_label="Champion's deal"
    )

    created = definitions.create("contacts", "deals", request).results

    assert [(s.category, s.label) for s in created] == [
        ("USER_DEFINED", "Champion"),
        ("USER_DEFINED", "Champion's deal"),
    ]
    assert (created[0].type_id, "Champion") in _labels(client, "contacts", "deals")
    assert (created[1].type_id, "Champion's deal") in _labels(client, "deals", "contacts")
    with pytest.raises(SchemaApiException) as raised:
        definitions.create("contacts", "deals", request)
    assert raised.value.status == 400
    assert "champion" in json.loads(raised.value.body)["message"]


def test_given_one_record_when_associated_with_itself_then_400(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    company = sandbox.hubspot.company_ids()[40]

    with pytest.raises(ApiException) as raised:
        client.crm.associations.v4.basic_api.create_default(
            "companies", company, "companies", company
        )

    assert raised.value.status == 400
