"""The seed loaded into the HubSpot state: contacts with their primary company, derived values
and deal links, while the companies and deals stay what they are without contacts."""

from __future__ import annotations

from datetime import UTC, datetime

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
