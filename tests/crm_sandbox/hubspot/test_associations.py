"""Deal ↔ company associations: v4 reads (numeric ids, typed labels), v4 batch reads, and the
`associations=` block of v3 reads."""

from __future__ import annotations

import hubspot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)

from crm_sandbox import RunningSandbox


def test_given_a_deal_when_reading_its_v4_associations_then_its_company_comes_with_both_types(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    deal_id = sandbox.hubspot.deal_ids()[3]
    [company_id] = sandbox.hubspot.associated_company_ids(deal_id)

    page = client.crm.associations.v4.basic_api.get_page("deals", deal_id, "companies", limit=500)

    [association] = page.results
    assert association.to_object_id == company_id
    assert [(t.type_id, t.label, t.category) for t in association.association_types] == [
        (5, "Primary", "HUBSPOT_DEFINED"),
        (341, None, "HUBSPOT_DEFINED"),
    ]
    assert page.paging is None


def test_given_a_company_when_reading_its_deals_then_every_associated_deal_comes(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    company_id = next(c for c in state.company_ids() if len(state.associated_deal_ids(c)) >= 2)

    page = client.crm.associations.v4.basic_api.get_page("companies", company_id, "deals")

    assert [a.to_object_id for a in page.results] == state.associated_deal_ids(company_id)


def test_given_deals_when_batch_reading_v4_then_each_gets_its_company_and_lone_deals_an_error(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    state = sandbox.hubspot
    deals = state.deal_ids()[:5]
    lone = state.create_deal(dealname="No company", dealstage="qualifiedtobuy")
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=d) for d in [*deals, lone]]
    )

    result = client.crm.associations.v4.batch_api.get_page("deals", "companies", request)

    assert {r._from.id: [t.to_object_id for t in r.to] for r in result.results} == {
        d: state.associated_company_ids(d) for d in deals
    }
    assert result.num_errors == 1
    [error] = result.errors
    assert error.sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert error.context == {"fromObjectId": [lone]}


def test_given_deals_listed_with_associations_then_the_raw_block_has_string_ids_and_types(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    page = client.crm.deals.basic_api.get_page(limit=20, associations=["companies"])

    for deal in page.results:
        [company_id] = sandbox.hubspot.associated_company_ids(deal.id)
        types = [(a.id, a.type) for a in deal.associations["companies"].results]
        assert types == [(company_id, "deal_to_company"), (company_id, "deal_to_company_unlabeled")]
