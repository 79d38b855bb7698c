"""Links to a record's page in its CRM: HubSpot's need the portal id, set or told by a stored
webhook event; Salesforce's need the instance URL setting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings
from app.store.tables import WebhookEvent
from app.ui.crm_links import CrmLinks

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_given_no_hubspot_event_then_no_link_and_why_until_one_arrives(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    links = CrmLinks(Settings(database_url=database_url))
    with sessions() as session:
        before = links.link(session, "hubspot", "company", "77")
        assert before.url is None
        assert before.missing is not None
        assert "set ICP_SYNC_HUBSPOT_PORTAL_ID" in before.missing
        session.add(
            WebhookEvent(source="hubspot", event_id="e", event_type="contact.creation",
                         object_type="contact", object_id="9", received_at=NOW,
                         payload={"portalId": 62515, "objectId": 9})
        )  # fmt: skip
        session.commit()
        after = links.link(session, "hubspot", "contact", "a/b")
    assert after.url == "https://app.hubspot.com/contacts/62515/record/0-1/a%2Fb"


def test_given_the_portal_id_setting_then_hubspot_links_need_no_webhook(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    links = CrmLinks(Settings(database_url=database_url, hubspot_portal_id=62515))
    with sessions() as session:
        company = links.link(session, "hubspot", "company", "77")
    assert company.url == "https://app.hubspot.com/contacts/62515/record/0-2/77"


def test_given_salesforce_with_and_without_an_instance_url_then_lightning_link_or_why(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    bare = CrmLinks(Settings(database_url=database_url))
    configured = CrmLinks(
        Settings(database_url=database_url, salesforce_instance_url="https://x.my.salesforce.com/")
    )
    with sessions() as session:
        assert bare.link(session, "salesforce", "lead", "00Q1").missing is not None
        lead = configured.link(session, "salesforce", "lead", "00Q1")
    assert lead.url == "https://x.my.salesforce.com/lightning/r/Lead/00Q1/view"
