"""A realistic data set loaded into a fresh sandbox portal through hubspot-api-client only, the
way a customer's migration would load it, and read back: companies with their founding year and
historical create dates, deals in the default pipeline found through the pipelines API,
contacts, default and labelled associations, and a parent/child company pair."""

from __future__ import annotations

from collections.abc import Iterator

import hubspot
import pytest
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicObjectId,
)
from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputForCreate,
)
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputForCreate as DealBatch
from hubspot.crm.deals import SimplePublicObjectBatchInputForCreate as DealInput

from crm_sandbox import RunningSandbox
from crm_sandbox.pytest_plugin import SandboxFactory

COMPANIES = [
    {
        "name": "Northwind Holdings",
        "domain": "northwind.example",
        "founded_year": "1998",
        "createdate": "2016-04-12T09:30:00.000Z",
        "industry": "COMPUTER_SOFTWARE",
        "numberofemployees": "5400",
        "annualrevenue": "910000000",
        "city": "Seattle",
        "state": "WA",
        "country": "United States",
        "phone": "+1 206 555 0100",
        "website": "https://northwind.example",
        "type": "PROSPECT",
        "lifecyclestage": "opportunity",
        "description": "Parent of the Northwind group",
        "hubspot_owner_id": "83492011",
    },
    {
        "name": "Northwind Labs",
        "domain": "labs.northwind.example",
        "founded_year": "2012",
        "createdate": "2019-01-07T00:00:00.000Z",
        "industry": "INTERNET",
        "numberofemployees": "140",
        "country": "Germany",
    },
    {
        "name": "Contoso",
        "domain": "contoso.example",
        "founded_year": "2004",
        "createdate": "1577836800000",  # epoch milliseconds: 2020-01-01
        "industry": "FINANCIAL_SERVICES",
    },
]


@pytest.fixture(scope="module")
def portal(start_shared_crm_sandbox: SandboxFactory) -> Iterator[RunningSandbox]:
    with start_shared_crm_sandbox(seed=3, companies=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(portal: RunningSandbox) -> hubspot.Client:
    return hubspot.Client.create(access_token=portal.hubspot_token, host=portal.hubspot_url)


def _stage_ids(client: hubspot.Client) -> tuple[str, dict[str, str]]:
    """The default pipeline's id and its stage ids by label, as an importer looks them up."""
    pipelines = client.crm.pipelines.pipelines_api.get_all("deals").results
    [sales] = [p for p in pipelines if p.label == "Sales Pipeline"]
    return sales.id, {stage.label: stage.id for stage in sales.stages}


def test_given_a_fresh_portal_when_a_real_data_set_is_loaded_then_it_reads_back_whole(
    client: hubspot.Client,
) -> None:
    created = client.crm.companies.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[SimplePublicObjectBatchInputForCreate(properties=c) for c in COMPANIES]
        )
    )
    by_name = {c.properties["name"]: c for c in created.results}
    parent, child, contoso = (by_name[c["name"]].id for c in COMPANIES)
    pipeline, stages = _stage_ids(client)
    deals = client.crm.deals.batch_api.create(
        DealBatch(
            inputs=[
                DealInput(
                    properties={
                        "dealname": name,
                        "pipeline": pipeline,
                        "dealstage": stages[stage],
                        "amount": amount,
                        "closedate": "2021-06-30T00:00:00.000Z",
                        "createdate": "2021-02-01T00:00:00.000Z",
                    }
                )
                for name, stage, amount in (
                    ("Northwind renewal", "Closed Won", "120000"),
                    ("Contoso pilot", "Qualified To Buy", "30000"),
                )
            ]
        )
    )
    deal_ids = {d.properties["dealname"]: d.id for d in deals.results}
    won, pilot = deal_ids["Northwind renewal"], deal_ids["Contoso pilot"]
    v4 = client.crm.associations.v4
    v4.batch_api.create_default(
        "deals",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(
                    _from=PublicObjectId(id=d), to=PublicObjectId(id=c)
                )
                for d, c in ((won, parent), (pilot, contoso))
            ]
        ),
    )
    buyer = client.crm.contacts.basic_api.create(
        ContactInput(
            properties={
                "email": "ana@northwind.example",
                "firstname": "Ana",
                "lastname": "Lind",
                "createdate": "2017-05-02T10:00:00.000Z",
            }
        )
    ).id
    [label] = [
        spec
        for spec in v4.schema.definitions_api.create(
            "contacts",
            "companies",
            PublicAssociationDefinitionCreateRequest(
                name="decision_maker", label="Decision maker", inverse_label="Buying company"
            ),
        ).results
        if spec.label == "Decision maker"
    ]
    labelled = v4.batch_api.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=buyer),
                    to=PublicObjectId(id=parent),
                    types=[
                        AssociationSpec(
                            association_category="USER_DEFINED", association_type_id=label.type_id
                        )
                    ],
                )
            ]
        ),
    )
    v4.basic_api.create(
        "companies",
        parent,
        "companies",
        child,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=13)],
    )
    v4.basic_api.create_default("deals", won, "contacts", buyer)

    # the companies kept their history and standard properties
    northwind = client.crm.companies.basic_api.get_by_id(
        parent, properties=["founded_year", "phone", "hubspot_owner_id", "hs_num_child_companies"]
    )
    assert northwind.created_at.isoformat() == "2016-04-12T09:30:00+00:00"
    assert northwind.properties["createdate"] == "2016-04-12T09:30:00.000Z"
    assert northwind.properties["founded_year"] == "1998"
    assert northwind.properties["hubspot_owner_id"] == "83492011"
    assert northwind.properties["hs_num_child_companies"] == "1"
    assert northwind.updated_at > northwind.created_at  # modified now, not in 2016
    assert client.crm.companies.basic_api.get_by_id(contoso).properties["createdate"] == (
        "2020-01-01T00:00:00.000Z"
    )
    labs = client.crm.companies.basic_api.get_by_id(child, properties=["hs_parent_company_id"])
    assert labs.properties["hs_parent_company_id"] == parent
    # the deals sit in the default pipeline with HubSpot's derived properties
    renewal = client.crm.deals.basic_api.get_by_id(
        won, properties=["pipeline", "dealstage", "hs_is_closed_won", "hs_deal_stage_probability"]
    )
    assert renewal.properties["pipeline"] == "default"
    assert renewal.properties["dealstage"] == "closedwon"
    assert renewal.properties["hs_is_closed_won"] == "true"
    assert renewal.created_at.isoformat() == "2021-02-01T00:00:00+00:00"
    # the associations read back with their types
    assert labelled.results[0].labels == ["Decision maker"]
    to_companies = v4.basic_api.get_page("contacts", buyer, "companies").results
    assert [
        (a.to_object_id, sorted(t.type_id for t in a.association_types)) for a in to_companies
    ] == [(parent, sorted([1, 279, label.type_id]))]
    from_company = v4.basic_api.get_page("companies", parent, "contacts").results
    assert {t.label for t in from_company[0].association_types} >= {"Buying company"}
    children = v4.basic_api.get_page("companies", parent, "companies").results
    assert [
        (a.to_object_id, {t.type_id: t.label for t in a.association_types}) for a in children
    ] == [(child, {13: "Child Company", 450: None})]
    parents = v4.basic_api.get_page("companies", child, "companies").results
    assert {t.type_id for t in parents[0].association_types} == {14, 450}
    deal_companies = v4.basic_api.get_page("deals", pilot, "companies").results
    assert [a.to_object_id for a in deal_companies] == [contoso]
    deal_contacts = v4.basic_api.get_page("deals", won, "contacts").results
    assert [(a.to_object_id, [t.type_id for t in a.association_types]) for a in deal_contacts] == [
        (buyer, [3])
    ]
    buyer_read = client.crm.contacts.basic_api.get_by_id(buyer)
    assert buyer_read.created_at.isoformat() == "2017-05-02T10:00:00+00:00"
