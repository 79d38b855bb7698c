"""Inbox event identity, on SQLite and PostgreSQL: events are told apart by what makes them
distinct (portal, object, id, property, occurred-at), not by the CRM's event id alone — HubSpot
documents `eventId` as not guaranteed unique — while a redelivery is still one event."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import JSON, column, select, table
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import ColumnClause

from app.crm import hubspot_connector
from app.inbox.events import DONE
from app.inbox.receive import Enqueued, enqueue
from app.inbox.worker import Worker
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.engine import make_engine
from app.store.migrate import downgrade_to, upgrade_to_head
from app.store.tables import WebhookEvent
from app.sync.orchestrator import run_sync
from app.webhooks import hubspot, salesforce_soap
from crm_sandbox.pytest_plugin import SandboxFactory
from tests.app.webhooks.test_salesforce_soap import ACCOUNT, LEAD, ORG_ID, envelope
from tests.conftest import StoreOpener

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def hubspot_event(object_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "eventId": 100,
        "subscriptionId": 25,
        "portalId": 33,
        "occurredAt": 1_700_000_000_000,
        "subscriptionType": "company.propertyChange",
        "attemptNumber": 0,
        "objectId": object_id,
        "propertyName": "industry",
        "propertyValue": "COMPUTER_SOFTWARE",
    } | fields


def deliver_hubspot(sessions: sessionmaker[Session], *events: dict[str, Any]) -> Enqueued:
    delivery = hubspot.parse_delivery(json.dumps(list(events)).encode())
    with sessions() as session:
        result = enqueue(session, delivery.events, NOW)
        session.commit()
    return result


def deliver_soap(sessions: sessionmaker[Session], body: str, org_id: str = ORG_ID) -> Enqueued:
    delivery = salesforce_soap.parse_delivery(body.encode(), org_id=org_id)
    with sessions() as session:
        result = enqueue(session, delivery.events, NOW)
        session.commit()
    return result


def stored(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))
        return [(row.event_id, row.object_id) for row in rows]


@pytest.mark.parametrize(
    "other",
    [
        {"objectId": 8},
        {"propertyName": "numberofemployees"},
        {"occurredAt": 1_700_000_000_001},
        {"portalId": 34},
        {"subscriptionType": "company.creation"},
    ],
    ids=["object", "property", "occurred-at", "portal", "type"],
)
def test_given_two_distinct_hubspot_events_sharing_an_event_id_when_received_then_both_stored(
    sessions: sessionmaker[Session], other: dict[str, Any]
) -> None:
    first = hubspot_event(7)

    result = deliver_hubspot(sessions, first, first | other)

    assert result == (2, 0, 0)
    assert len(stored(sessions)) == 2


def test_given_a_hubspot_event_when_redelivered_then_it_is_still_a_duplicate(
    sessions: sessionmaker[Session],
) -> None:
    assert deliver_hubspot(sessions, hubspot_event(7)) == (1, 0, 0)

    retry = hubspot_event(7, attemptNumber=1)  # HubSpot's retry: same event, next attempt
    assert deliver_hubspot(sessions, retry, retry) == (0, 2, 0)

    assert stored(sessions) == [("100", "7")]


def test_given_an_outbound_message_when_redelivered_then_it_is_still_a_duplicate(
    sessions: sessionmaker[Session],
) -> None:
    body = envelope(("04l5e00000AbCdEAAA", LEAD), ("04l5e00000AbCdFAAA", ACCOUNT))
    assert deliver_soap(sessions, body) == (2, 0, 0)

    assert deliver_soap(sessions, body) == (0, 2, 0)  # Salesforce resends the same notification Ids

    assert len(stored(sessions)) == 2


def test_given_rows_stored_before_the_identity_column_when_migrated_then_each_gets_its_identity(
    database_url: str, open_store: StoreOpener
) -> None:
    upgrade_to_head(database_url)
    downgrade_to(database_url, "0001")
    old_row = {
        "source": "hubspot",
        "event_id": "100",
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": "7",
        "payload": hubspot_event(7),
        "status": "done",
        "attempts": 1,
        "received_at": NOW,
    }
    columns: list[ColumnClause[Any]] = [column(name) for name in old_row if name != "payload"]
    old_table = table("webhook_events", *columns, column("payload", JSON))
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(old_table.insert(), [old_row])
    finally:
        engine.dispose()

    from app.inbox.events import event_identity  # here: the parent commit has none

    sessions = open_store(database_url)  # upgrades to head

    with sessions() as session:
        row = session.scalars(select(WebhookEvent)).one()
        assert row.identity == event_identity(
            "hubspot", "100", "company.propertyChange", "company", "7", hubspot_event(7)
        )
    assert deliver_hubspot(sessions, hubspot_event(7, attemptNumber=1)) == (0, 1, 0)
    assert deliver_hubspot(sessions, hubspot_event(8)) == (1, 0, 0)


def test_given_two_distinct_events_sharing_an_event_id_when_the_worker_runs_then_both_processed(
    start_crm_sandbox: SandboxFactory, sessions: sessionmaker[Session]
) -> None:
    sandbox = start_crm_sandbox(seed=15, companies=10)
    rubric = load_rubric()
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        run_sync(connector, sessions, compile_rubric(rubric))
        sandbox.hubspot.clear_writes()
        first, second = sandbox.hubspot.company_ids()[:2]
        for company in (first, second):
            sandbox.hubspot.touch_company(company, numberofemployees="3")  # now too small
        deliver_hubspot(
            sessions,
            hubspot_event(int(first), propertyName="numberofemployees", propertyValue="3"),
            hubspot_event(int(second), propertyName="numberofemployees", propertyValue="3"),
        )

        report = Worker(sessions, {"hubspot": connector}, compile_rubric(rubric)).run_once()

    assert (report.claimed, report.written) == (2, 2)
    writes = sandbox.hubspot.writes("companies")
    assert Counter(w.object_id for w in writes if "icp_tier" in w.properties) == Counter(
        {first: 1, second: 1}
    )
    with sessions() as session:
        assert set(session.scalars(select(WebhookEvent.status))) == {DONE}
