"""A first (full) sync of Salesforce cut short at each phase, then run again, on SQLite and
PostgreSQL: the rerun goes on from the last committed page (nothing committed is read again),
the "complete full sync" state is set once the whole sync has completed, and a lead created
after it is routed by its tier.

The sync dies the way a killed process does, as far as the store can tell: a `BaseException`
(nothing catches it) raised by the connector where the CRM call would have been, after some
pages of one stream, or on a write-back batch. `tests/app/sync/test_crash_safety.py` kills
the real process (SIGKILL) mid-pull."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.store.tables import Account, Deal, SyncState
from app.sync.orchestrator import SyncReport, run_sync
from connectors.records import Page, RecordT, WriteOutcome
from connectors.salesforce.connector import SalesforceConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.salesforce.server import RunningSalesforce
from tests.support.salesforce import new_lead, rubric_connector

PAGE = 10
"""Records per query page the org serves."""
STREAMS = {"accounts": "Account", "leads": "Lead", "deals": "Opportunity"}


class Killed(BaseException):
    """The process died here (nothing in the service catches a BaseException)."""


@pytest.fixture
def org(start_crm_sandbox: SandboxFactory) -> RunningSalesforce:
    return start_crm_sandbox.salesforce_only(
        seed=13, companies=30, deals_per_company=1.0, leads_per_company=1.0, page_size=PAGE
    )


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def dying(connector: SalesforceConnector, stream: str, pages: int) -> SalesforceConnector:
    """The connector, set to die after `pages` pages of `stream` ("write back": after that
    many write batches), where its next CRM call would be."""

    def cut(pulled: Iterator[Page[RecordT]]) -> Iterator[Page[RecordT]]:
        for number, page in enumerate(pulled):
            if number == pages:
                raise Killed(f"after {pages} pages of {stream}")
            yield page
        raise Killed(f"after the last page of {stream}")

    pull_accounts, pull_deals, write = (
        connector.pull_accounts,
        connector.pull_deals,
        connector.write,
    )

    def accounts(*args: Any, **kwargs: Any) -> Iterator[Page[Any]]:
        pulled = pull_accounts(*args, **kwargs)
        kind = "leads" if "lead" in args else "accounts"
        return cut(pulled) if stream == kind else pulled

    def deals(*args: Any, **kwargs: Any) -> Iterator[Page[Any]]:
        pulled = pull_deals(*args, **kwargs)
        return cut(pulled) if stream == "deals" else pulled

    batches: list[int] = []

    def writes(updates: Any) -> list[WriteOutcome]:
        if len(batches) == pages:
            raise Killed(f"after {pages} write batches")
        batches.append(len(updates))
        return write(updates)

    connector.pull_accounts = accounts  # type: ignore[method-assign]
    connector.pull_deals = deals  # type: ignore[method-assign]
    connector.write = writes  # type: ignore[method-assign]
    return connector


def sync(org: RunningSalesforce, rubric: Rubric, sessions: sessionmaker[Session]) -> SyncReport:
    with rubric_connector(org, rubric) as connector:
        return run_sync(connector, sessions, compile_rubric(rubric), write_batch=PAGE)


def crm_count(org: RunningSalesforce, stream: str) -> int:
    records = org.salesforce.snapshot(STREAMS[stream])
    return sum(1 for r in records if not r.get("IsConverted"))


def stored(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        live = Account.archived.is_(False)  # a rerun's incremental pull reads the recycle bin
        types = list(session.scalars(select(Account.object_type).where(live)))
        deals = len(list(session.scalars(select(Deal.id).where(Deal.archived.is_(False)))))
    return {"accounts": types.count("account"), "leads": types.count("lead"), "deals": deals}


def sync_states(sessions: sessionmaker[Session]) -> dict[str, SyncState]:
    with sessions() as session:
        states = session.scalars(select(SyncState).where(SyncState.source == "salesforce"))
        return {state.object_type: state for state in states}


@pytest.mark.parametrize(
    ("stream", "pages"),
    [
        ("accounts", 1),  # mid-pull of the first stream
        ("leads", 0),  # accounts complete, leads not begun
        ("leads", 2),  # mid-pull of the second stream
        ("deals", 1),  # mid-pull of the last stream
        ("write back", 1),  # every pull complete, one batch written
    ],
)
def test_given_a_first_sync_cut_short_when_run_again_then_it_resumes_completes_and_routes_new_leads(
    org: RunningSalesforce,
    rubric: Rubric,
    sessions: sessionmaker[Session],
    stream: str,
    pages: int,
) -> None:
    with dying(rubric_connector(org, rubric), stream, pages) as connector, pytest.raises(Killed):
        run_sync(connector, sessions, compile_rubric(rubric), write_batch=PAGE)
    before = stored(sessions)
    assert sync_states(sessions)["accounts"].full_sync_completed_at is None

    rerun = sync(org, rubric, sessions)

    states = sync_states(sessions)
    assert rerun.completed_full_sync
    assert states["accounts"].full_sync_completed_at is not None
    assert all(states[s].cursor_updated_at is not None for s in STREAMS)  # each one complete
    assert all(states[s].full_pull_resume is None for s in STREAMS)
    assert stored(sessions) == {s: crm_count(org, s) for s in STREAMS}  # each record once
    if stream in STREAMS:  # the rest of that stream, and nothing committed, was read again
        assert rerun.pulled[stream] == crm_count(org, stream) - before[stream]
        assert before[stream] == pages * PAGE
        assert rerun.resumed == ([stream] if pages else [])

    assert routed_new_lead(org, rubric, sessions) == "tier_2"  # as in the report


def routed_new_lead(org: RunningSalesforce, rubric: Rubric, sessions: sessionmaker[Session]) -> str:
    """Creates a lead as a web form does (it lands in the catch-all queue), syncs, and checks
    the assignment rule routed it to its tier's queue; returns the tier."""
    lead_id = new_lead(org)
    assert org.salesforce.get("Lead", lead_id)["OwnerId"] == org.salesforce.queues["Unscored"]

    sync(org, rubric, sessions)

    lead = org.salesforce.get("Lead", lead_id)
    tier = str(lead["ICP_Tier__c"])
    assert lead["OwnerId"] == org.salesforce.assignment_rules[tier]
    return tier
