"""A record rescored by another writer while its old values are being sent (the worker during
a sync's batch), on SQLite and PostgreSQL against the HubSpot sandbox: the sender records its
outcome only where the row still holds the values it sent, so the new values stay owed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.rubric import load_rubric
from app.store.tables import WritebackState
from app.sync.writeback import (
    PENDING,
    WRITTEN,
    WriteResult,
    claim,
    mark_desired,
    send_committing,
)
from connectors.hubspot.connector import HubSpotConnector
from connectors.records import PropertyUpdate, WriteOutcome
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.app.sync.records import LATER, T0, company, state_of, store

OLD, NEW = {"icp_tier": "tier_2"}, {"icp_tier": "tier_1"}


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=17, companies=2, deals_per_company=0, salesforce_port=0)


@pytest.fixture
def hubspot(sandbox: RunningSandbox) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, load_rubric()) as crm:
        crm.ensure_schema()
        yield crm


class RescoredDuringWrite:
    """The real connector; while the CRM call runs, another session (the worker) rescores
    `crm_id` to NEW values and commits."""

    def __init__(self, crm: HubSpotConnector, sessions: sessionmaker[Session], crm_id: str):
        self._crm, self._sessions, self._crm_id = crm, sessions, crm_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._crm, name)

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        with self._sessions() as other:
            state = state_of(self._sessions, self._crm_id)
            row = other.scalars(
                select(WritebackState).where(WritebackState.account_id == state.account_id)
            ).one()
            mark_desired(other, row, row.account_id, NEW, LATER)
            other.commit()
        return self._crm.write(updates)


def test_given_a_record_rescored_while_its_old_values_are_sent_then_the_new_ones_stay_owed(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    raced, calm = sandbox.hubspot.company_ids()[:2]
    with sessions() as session:
        for row in store(session, company(raced), company(calm)):
            mark_desired(session, None, row.id, OLD, T0)
        session.commit()
        pairs = claim(session, "hubspot", T0, 10, writer="sync:1:host")
        session.commit()

        result = send_committing(
            session, RescoredDuringWrite(hubspot, sessions, raced), pairs, new_since=None, now=T0
        )
        session.commit()

    assert result == WriteResult(written=2)
    assert sandbox.hubspot.company(raced)["icp_tier"] == OLD["icp_tier"]  # what was sent
    now_owed = state_of(sessions, raced)
    assert (now_owed.values, now_owed.status, now_owed.written_at) == (NEW, PENDING, None)
    assert now_owed.claimed_by is None  # the sender let go: the next writer takes it at once
    assert (state_of(sessions, calm).values, state_of(sessions, calm).status) == (OLD, WRITTEN)
    with sessions() as session:
        (taken,) = claim(session, "hubspot", T0, 10, writer="worker:2:host")
        assert taken[1].crm_id == raced
