"""The seed loaded into the HubSpot state: contacts with their primary company, derived values
and deal links, while the companies and deals stay what they are without contacts; companies'
descriptions in the built-in `description` property, which the API returns when asked."""

from __future__ import annotations

from datetime import UTC, datetime

import hubspot
from hubspot.crm.companies import PublicObjectSearchRequest

from crm_sandbox import RunningSandbox
from crm_sandbox.core.seed import generate
from crm_sandbox.hubspot.state import HubSpotState

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_given_contacts_or_none_when_seeded_then_company_and_deal_records_are_identical() -> None:
    without = HubSpotState.seeded(5, 60, as_of=AS_OF, contacts_per_company=0)
    default = HubSpotState.seeded(5, 60, as_of=AS_OF, contacts_per_company=1.5)

    for object_type in ("companies", "deals"):
        ids = without.ids(object_type) + without.ids(object_type, archived=True)
        assert ids == default.ids(object_type) + default.ids(object_type, archived=True)
        assert [without.record(object_type, i) for i in ids] == [
            default.record(object_type, i) for i in ids
        ]
    assert without.count("contacts") == 0
    assert default.count("contacts") > 60


def test_given_seeded_contacts_then_primary_company_email_domain_and_deal_links_hold() -> None:
    state = HubSpotState.seeded(5, 60, as_of=AS_OF, contacts_per_company=1.5)

    for contact in state.contact_ids() + state.contact_ids(archived=True):
        values = state.contact(contact)
        companies = state.contact_company_ids(contact)
        assert values.get("associatedcompanyid") == (companies[0] if companies else None)
        assert "hs_lastmodifieddate" not in values
        if values.get("email"):
            assert values["hs_email_domain"] == values["email"].split("@")[1]
    linked = [d for d in state.deal_ids() if state.deal_contact_ids(d)]
    assert linked
    for deal in linked:
        for contact in state.deal_contact_ids(deal):
            assert state.contact_company_ids(contact) == state.associated_company_ids(deal)
    assert state.contact_ids(archived=True)
    assert any(not state.contact_company_ids(c) for c in state.contact_ids())


def test_given_seeded_companies_then_each_holds_its_seed_description_or_none_when_empty() -> None:
    state = HubSpotState.seeded(5, 80, as_of=AS_OF, contacts_per_company=0)
    companies = generate(5, 80, as_of=AS_OF).companies

    ids = sorted(state.company_ids() + state.company_ids(archived=True), key=int)
    stored = [state.company(i).get("description") for i in ids]

    assert stored == [c.description or None for c in companies]
    assert sum(text is not None for text in stored) > 70


def test_given_the_official_client_when_description_is_requested_then_list_and_search_return_it(
    sandbox: RunningSandbox, client: hubspot.Client
) -> None:
    seeded = generate(11, 250, as_of=AS_OF).companies
    definition = client.crm.properties.core_api.get_by_name("companies", "description")

    listed = client.crm.companies.get_all(properties=["name", "description"])
    assert sandbox.wait_search_indexed()
    found = client.crm.companies.search_api.do_search(
        PublicObjectSearchRequest(properties=["description"], limit=100)
    )

    assert (definition.type, definition.field_type) == ("string", "textarea")
    by_id = {c.id: c.properties.get("description") for c in listed}
    assert by_id == {i: sandbox.hubspot.company(i).get("description") for i in by_id}
    texts = {c.description for c in seeded if c.description and not c.archived}
    assert len(texts & set(by_id.values())) > 0.9 * len(texts)  # other tests edit a few
    assert [c.properties["description"] for c in found.results] == [
        by_id[c.id] for c in found.results
    ]
    assert any(c.properties["description"] for c in found.results)
    assert "description" not in client.crm.companies.get_all()[0].properties  # not asked for
