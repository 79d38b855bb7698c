"""The inbox worker against the Salesforce sandbox over real HTTPS, on SQLite and PostgreSQL:
a notification whose record was last modified by the integration user is our own write coming
back and is dropped without a fetch; a user's hand edit of `ICP_Tier__c` is fetched and
rewritten once; an org that answers 503 for ten minutes (on an injected clock) is waited out
and every event is processed once when it returns, none dead-lettered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import DONE
from app.inbox.worker import Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.sync.orchestrator import run_sync
from connectors.retry import RetryPolicy
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.users import ORG_USERS
from tests.support.inbox import put, statuses
from tests.support.salesforce import rubric_connector

pytestmark = pytest.mark.slow  # a TLS org synced whole per test, then worker passes

TIER = "ICP_Tier__c"
SAM = ORG_USERS[1].id  # a person, not the integration user
PASS_EVERY = timedelta(seconds=20)


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(seed=11, companies=10, deals_per_company=0.0)


@pytest.fixture
def crm(
    org: RunningSalesforce, sessions: sessionmaker[Session], rubric: Rubric
) -> Iterator[SalesforceConnector]:
    """A connector trying each call once (an outage reaches the worker at once), after a
    first sync that scored and wrote every account; the org's update counts cleared."""
    with rubric_connector(org, rubric, retry=RetryPolicy(max_attempts=1)) as connector:
        run_sync(connector, sessions, compile_rubric(rubric))
        org.salesforce.updates.clear()
        yield connector


def notification(event_id: str, account: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An outbound message about `account`, carrying its fields as the org sends them."""
    return {
        "source": "salesforce",
        "event_id": event_id,
        "event_type": "outbound_message",
        "object_type": "account",
        "object_id": account["Id"],
        "payload": {"Id": account["Id"], **fields},
    }


def scored_account(org: RunningSalesforce) -> dict[str, Any]:
    return next(r for r in org.salesforce.snapshot("Account") if r[TIER])


def test_given_our_own_write_notified_then_it_is_dropped_without_a_fetch(
    org: RunningSalesforce,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    crm: SalesforceConnector,
) -> None:
    account = scored_account(org)
    assert account["LastModifiedById"] == org.salesforce.integration_user_id  # our write
    put(sessions, notification("04l1", account, LastModifiedById=account["LastModifiedById"]))
    calls = crm.stats.calls

    report = Worker(sessions, {"salesforce": crm}, compile_rubric(rubric)).run_once()

    assert (report.echoes, report.fetched, report.written) == (1, 0, 0)
    assert crm.stats.calls == calls
    assert statuses(sessions) == {"04l1": DONE}


def test_given_a_tier_a_user_changed_by_hand_when_notified_then_it_is_rewritten_once(
    org: RunningSalesforce,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    crm: SalesforceConnector,
) -> None:
    account = scored_account(org)
    ours = account[TIER]
    edited = "tier_1" if ours != "tier_1" else "tier_2"
    org.salesforce.update("Account", account["Id"], {TIER: edited}, user_id=SAM)
    org.salesforce.updates.clear()
    worker = Worker(sessions, {"salesforce": crm}, compile_rubric(rubric))
    put(sessions, notification("04l1", account, LastModifiedById=SAM[:15]))  # 15-char form

    report = worker.run_once()
    repaired = org.salesforce.get("Account", account["Id"])
    put(sessions, notification("04l2", repaired, LastModifiedById=repaired["LastModifiedById"]))
    echo = worker.run_once()

    assert (report.echoes, report.drifted, report.written) == (0, 1, 1)
    assert repaired[TIER] == ours
    assert org.salesforce.updates == {account["Id"]: 1}
    assert (echo.echoes, echo.fetched) == (1, 0)  # the repair's own notification


def test_given_the_org_down_for_ten_minutes_then_every_event_is_processed_once_when_it_returns(
    org: RunningSalesforce,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    crm: SalesforceConnector,
) -> None:
    first, second = org.salesforce.snapshot("Account")[:2]
    for account in (first, second):
        org.salesforce.update("Account", account["Id"], {"NumberOfEmployees": 3}, user_id=SAM)
    org.salesforce.updates.clear()
    now = [datetime.now(UTC)]
    worker = Worker(sessions, {"salesforce": crm}, compile_rubric(rubric), clock=lambda: now[0])
    put(sessions, notification("a1", first), notification("b1", second), now=now[0])
    org.faults.fail_next(1_000_000, status=503)  # down: every data call answers 503

    passes = 0
    while passes * PASS_EVERY < timedelta(minutes=10):
        assert worker.run_once().dead == 0
        now[0] += PASS_EVERY
        passes += 1

    assert set(statuses(sessions).values()) == {"pending"}
    assert org.salesforce.updates == {}
    org.faults.clear()  # the org is back
    for _ in range(16):  # passes only, no manual step: the back-off is at most 5 minutes
        now[0] += PASS_EVERY
        worker.run_once()

    assert statuses(sessions) == {"a1": DONE, "b1": DONE}
    assert {first["Id"], second["Id"]} <= set(org.salesforce.updates)  # and leads borrowing
    assert set(org.salesforce.updates.values()) == {1}
