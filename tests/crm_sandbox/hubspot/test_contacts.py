"""Contacts as a full object type through the official client: list paging, get (by id and by
e-mail), create with the unique e-mail rule, update, batch read/create/update/archive with
HubSpot's 207s, derived read-only values and the v4 associations with companies and deals."""

from __future__ import annotations

import json

import hubspot
import pytest
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    BatchResponseSimplePublicObjectWithErrors,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from crm_sandbox import RunningSandbox

PRIMARY_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}


def _body(raised: pytest.ExceptionInfo[ApiException]) -> dict[str, object]:
    body: dict[str, object] = json.loads(raised.value.body)
    return body


def _create(client: hubspot.Client, company_id: str | None = None, **props: str) -> str:
    associations = (
        None if company_id is None else [{"to": {"id": company_id}, "types": [PRIMARY_COMPANY]}]
    )
    created = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties=props, associations=associations)
    )
    return str(created.id)


def test_given_the_seeded_contacts_when_get_all_then_each_live_one_once_with_lastmodifieddate(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    contacts = client.crm.contacts.get_all()

    assert [c.id for c in contacts] == sandbox.hubspot.contact_ids()
    assert len(contacts) > 250  # about 1.5 a company by default
    assert set(contacts[0].properties) == {
        "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname",
    }  # fmt: skip
    archived = client.crm.contacts.basic_api.get_page(limit=100, archived=True).results
    assert [c.id for c in archived] == sandbox.hubspot.contact_ids(archived=True)
    assert archived
    assert all(c.archived for c in archived)


def test_given_associations_companies_when_listing_then_primary_and_unlabeled_entries(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    page = client.crm.contacts.basic_api.get_page(
        limit=20, properties=["associatedcompanyid", "hs_email_domain", "jobtitle"],
        associations=["companies"],
    )  # fmt: skip

    linked = [c for c in page.results if c.associations]
    assert linked
    for contact in linked:
        [company] = sandbox.hubspot.contact_company_ids(contact.id)
        assert [(a.id, a.type) for a in contact.associations["companies"].results] == [
            (company, "contact_to_company"),
            (company, "contact_to_company_unlabeled"),
        ]
        assert contact.properties["associatedcompanyid"] == company
        email = sandbox.hubspot.contact(contact.id).get("email")
        if email:
            assert contact.properties["hs_email_domain"] == email.split("@")[1]


def test_given_a_new_contact_when_created_then_201_derived_values_and_a_duplicate_email_is_409(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    company = sandbox.hubspot.company_ids()[3]

    contact_id = _create(client, company, email="Ada.Lovelace@Example.ORG", firstname="Ada")

    read = client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["hs_email_domain", "associatedcompanyid", "firstname"]
    )
    assert read.properties["hs_email_domain"] == "example.org"
    assert read.properties["associatedcompanyid"] == company
    by_email = client.crm.contacts.basic_api.get_by_id(
        "ada.lovelace@example.org", id_property="email"
    )
    assert by_email.id == contact_id
    with pytest.raises(ApiException) as raised:
        _create(client, email="ada.lovelace@example.org")
    assert raised.value.status == 409
    assert _body(raised)["category"] == "CONFLICT"
    assert f"Existing ID: {contact_id}" in str(_body(raised)["message"])


def test_given_a_contact_when_patched_then_written_validated_and_lastmodifieddate_bumps(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    contact_id = _create(client, email="grace@hopper.example", lifecyclestage="lead")
    before = sandbox.hubspot.contact(contact_id)["lastmodifieddate"]
    api = client.crm.contacts.basic_api

    api.update(contact_id, SimplePublicObjectInput(properties={"email": "grace@navy.example",
                                                               "lifecyclestage": "customer"}))  # fmt: skip

    after = sandbox.hubspot.contact(contact_id)
    assert (after["lifecyclestage"], after["hs_email_domain"]) == ("customer", "navy.example")
    assert after["lastmodifieddate"] > before
    assert "hs_lastmodifieddate" not in after
    for bad, code in (
        ({"lifecyclestage": "prospect"}, "INVALID_OPTION"),
        ({"hs_email_domain": "x.example"}, "READ_ONLY_VALUE"),
        ({"num_contacted_notes": "3"}, "READ_ONLY_VALUE"),
        ({"shoe_size": "44"}, "PROPERTY_DOESNT_EXIST"),
    ):
        with pytest.raises(ApiException) as raised:
            api.update(contact_id, SimplePublicObjectInput(properties=bad))
        assert raised.value.status == 400
        assert [e["code"] for e in _body(raised)["errors"]] == [code]  # type: ignore[attr-defined]
    other = _create(client, email="taken@example.net")
    with pytest.raises(ApiException) as raised:
        api.update(other, SimplePublicObjectInput(properties={"email": "GRACE@navy.example"}))
    assert raised.value.status == 409


def test_given_batches_when_sent_then_201_200_and_207_as_hubspot_answers_them(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    batch = client.crm.contacts.batch_api
    created = batch.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(properties={"email": f"b{i}@batch.example"})
                for i in range(3)
            ]
        )
    )
    ids = sorted(str(r.id) for r in created.results)

    read = batch.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[SimplePublicObjectId(id=i) for i in [*ids, "10999999999"]],
            properties=["email"],
            properties_with_history=[],
        )
    )
    updated = batch.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[SimplePublicObjectBatchInput(id=i, properties={"jobtitle": "CTO"}) for i in ids]
            + [SimplePublicObjectBatchInput(id="10999999999", properties={"jobtitle": "CTO"})]
        )
    )

    assert isinstance(read, BatchResponseSimplePublicObjectWithErrors)
    assert read.errors[0].context == {"ids": ["10999999999"]}
    assert "CONTACT" in read.errors[0].message
    assert isinstance(updated, BatchResponseSimplePublicObjectWithErrors)
    assert sorted(str(r.id) for r in updated.results) == ids
    assert all(sandbox.hubspot.contact(i)["jobtitle"] == "CTO" for i in ids)
    with pytest.raises(ApiException) as raised:
        batch.create(
            BatchInputSimplePublicObjectBatchInputForCreate(
                inputs=[
                    SimplePublicObjectBatchInputForCreate(properties={"email": "new@x.example"}),
                    SimplePublicObjectBatchInputForCreate(properties={"email": "b1@batch.example"}),
                ]
            )
        )
    assert raised.value.status == 409
    assert sandbox.hubspot.contact_ids()[-1] == ids[-1]  # nothing of the refused batch created
    with pytest.raises(ApiException) as raised:
        batch.update(
            BatchInputSimplePublicObjectBatchInput(
                inputs=[SimplePublicObjectBatchInput(id=ids[0], properties={}) for _ in range(101)]
            )
        )
    assert raised.value.status == 400


def test_given_contacts_when_archived_then_gone_from_reads_and_their_email_is_free_again(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    first = _create(client, email="leaving@archive.example")
    second = _create(client, email="also@archive.example")

    client.crm.contacts.basic_api.archive(first)
    client.crm.contacts.batch_api.archive(
        BatchInputSimplePublicObjectId(inputs=[SimplePublicObjectId(id=second)])
    )

    with pytest.raises(ApiException) as raised:
        client.crm.contacts.basic_api.get_by_id(first)
    assert raised.value.status == 404
    assert {first, second} <= set(sandbox.hubspot.contact_ids(archived=True))
    again = _create(client, email="leaving@archive.example")
    assert again not in (first, second)


def test_given_contacts_and_companies_when_v4_batch_read_then_type_ids_1_279_and_2_280(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    contact = next(i for i in state.contact_ids() if state.contact_company_ids(i))
    [company] = state.contact_company_ids(contact)
    batch = client.crm.associations.v4.batch_api

    forward = batch.get_page("contacts", "companies", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=contact)]))  # fmt: skip
    back = client.crm.associations.v4.basic_api.get_page("companies", company, "contacts")

    [result] = forward.results
    # the client's models hold `toObjectId` as a string
    assert [(t.to_object_id, [a.type_id for a in t.association_types]) for t in result.to] == [
        (company, [1, 279])
    ]
    assert (contact, [2, 280]) in [
        (a.to_object_id, [t.type_id for t in a.association_types]) for a in back.results
    ]


def test_given_seeded_deals_with_contacts_when_read_then_deal_to_contact_type_3_and_v3_block(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    deal = next(i for i in state.deal_ids() if state.deal_contact_ids(i))
    contacts = state.deal_contact_ids(deal)

    v4 = client.crm.associations.v4.basic_api.get_page("deals", deal, "contacts").results
    v3 = client.crm.deals.basic_api.get_by_id(deal, associations=["contacts"])
    back = client.crm.associations.v4.basic_api.get_page("contacts", contacts[0], "deals")

    assert [(str(a.to_object_id), [t.type_id for t in a.association_types]) for a in v4] == [
        (c, [3]) for c in contacts
    ]
    assert [(a.id, a.type) for a in v3.associations["contacts"].results] == [
        (c, "deal_to_contact") for c in contacts
    ]
    assert deal in [a.to_object_id for a in back.results]
    for contact in contacts:
        assert set(state.contact_company_ids(contact)) <= set(state.associated_company_ids(deal))


def test_given_a_contact_company_association_when_archived_through_v4_then_the_primary_moves(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    first, second = sandbox.hubspot.company_ids()[10:12]
    contact = _create(client, first, email="mover@assoc.example")
    client.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", second)

    client.crm.associations.v4.basic_api.archive("contacts", contact, "companies", first)

    assert sandbox.hubspot.contact_company_ids(contact) == [second]
    assert sandbox.hubspot.contact(contact)["associatedcompanyid"] == second
    links = client.crm.associations.v4.basic_api.get_page("contacts", contact, "companies").results
    assert [(a.to_object_id, [t.type_id for t in a.association_types]) for a in links] == [
        (second, [1, 279])
    ]
    with pytest.raises(AssociationsApiException) as raised:
        client.crm.associations.v4.basic_api.create_default(
            "contacts", "10999999999", "companies", first
        )
    assert raised.value.status == 404
