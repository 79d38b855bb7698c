"""Drift repair against the Salesforce sandbox over real HTTPS, on SQLite and PostgreSQL: an
`ICP_Tier__c` a user changed by hand is rewritten by the next sync; our own writes read back
are not drift."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.sync.orchestrator import run_sync
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from crm_sandbox.salesforce.users import ORG_USERS
from tests.support.salesforce import rubric_connector

pytestmark = pytest.mark.slow  # a TLS org synced whole

TIER = "ICP_Tier__c"
SAM = ORG_USERS[1].id  # a person, not the integration user


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(seed=11, companies=10, deals_per_company=0.0)


def test_given_a_tier_a_user_changed_by_hand_when_synced_then_it_is_rewritten_once(
    org: RunningSalesforce, sessions: sessionmaker[Session]
) -> None:
    rubric: Rubric = load_rubric()
    with rubric_connector(org, rubric) as connector:
        compiled = compile_rubric(rubric)
        run_sync(connector, sessions, compiled)
        account = next(r for r in org.salesforce.snapshot("Account") if r[TIER])
        ours = account[TIER]
        edited = "tier_1" if ours != "tier_1" else "tier_2"
        org.salesforce.update("Account", account["Id"], {TIER: edited}, user_id=SAM)
        updates = org.salesforce.updates[account["Id"]]

        report = run_sync(connector, sessions, compiled)
        again = run_sync(connector, sessions, compiled)

    assert (report.drifted, report.rescore.scored, report.written) == (1, 0, 1)
    assert org.salesforce.get("Account", account["Id"])[TIER] == ours
    assert org.salesforce.updates[account["Id"]] == updates + 1
    assert (again.drifted, again.written) == (0, 0)  # the repair read back is not drift
