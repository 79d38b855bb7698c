"""`app.sync.writeback` on a real store (SQLite and PostgreSQL): which values are owed and
when, what a CRM answer does to them, and, against the HubSpot sandbox over real HTTP, the
crash-safe send: `sending` durable before the CRM call, a batch left in doubt confirmed by
reading it back rather than sent again; and claims: one writer per record, across sessions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.rubric import load_rubric
from app.scoring import compile_rubric
from app.store.tables import Account, WritebackState
from app.sync.rescore import rescore
from app.sync.writeback import (
    CLAIM_LEASE,
    FAILED,
    MAX_RETRY_DELAY,
    PENDING,
    SENDING,
    WRITTEN,
    WriteResult,
    claim,
    due,
    mark_desired,
    record_outcomes,
    send_committing,
    updates_for,
)
from connectors.hubspot.connector import HubSpotConnector
from connectors.records import PropertyUpdate, WriteOutcome
from connectors.retry import RetryPolicy
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.app.sync.records import LATER, T0, company, state_of, store

Pairs = list[tuple[WritebackState, Account]]


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=17, companies=4, deals_per_company=0)


@pytest.fixture
def hubspot(sandbox: RunningSandbox) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, load_rubric()) as crm:
        crm.ensure_schema()
        yield crm


def owed(sessions: sessionmaker[Session], *states: dict[str, Any]) -> list[int]:
    """One company per entry, owed {"icp_tier": "tier_1"} with the entry's state fields
    (and `archived`, `deleted_at`, `source` of its account); their row ids in order."""
    ids: list[int] = []
    with sessions() as session:
        for number, fields in enumerate(states, start=1):
            account_fields = {k: fields.pop(k) for k in ("archived",) if k in fields}
            (row,) = store(session, company(str(number), **account_fields))
            row.deleted_at = fields.pop("deleted_at", None)
            state = mark_desired(session, None, row.id, {"icp_tier": "tier_1"}, T0)
            for name, value in fields.items():
                setattr(state, name, value)
            ids.append(row.id)
        session.commit()
    return ids


def from_crm(session: Session, crm: HubSpotConnector, crm_ids: Sequence[str]) -> Pairs:
    """These companies stored and scored as a pull would, and what they are now owed."""
    rows = store(session, *crm.fetch_accounts(crm_ids))
    compiled = compile_rubric(load_rubric())
    rescore(session, rows, rubric=compiled, render=crm.render_score, now=T0)
    return due(session, "hubspot", T0, limit=100, only=[row.id for row in rows])


def written_ids(sandbox: RunningSandbox) -> list[str]:
    return [w.object_id for w in sandbox.hubspot.writes("companies") if "icp_tier" in w.properties]


def test_given_states_in_every_status_then_due_are_the_owed_in_doubt_and_retry_ready_ones(
    sessions: sessionmaker[Session],
) -> None:
    ids = owed(
        sessions,
        {"status": PENDING},
        {"status": SENDING},
        {"status": WRITTEN},
        {"status": FAILED, "next_attempt_at": T0},
        {"status": FAILED, "next_attempt_at": LATER},
        {"status": PENDING, "archived": True},
        {"status": PENDING, "deleted_at": T0},
    )

    with sessions() as session:
        everything = [state.account_id for state, _ in due(session, "hubspot", T0, limit=100)]
        some = [s.account_id for s, _ in due(session, "hubspot", T0, limit=100, only=ids[1:5])]
        first = [state.account_id for state, _ in due(session, "hubspot", T0, limit=2)]
        elsewhere = due(session, "salesforce", T0, limit=100)
        after_retry_time = [s.account_id for s, _ in due(session, "hubspot", LATER, limit=100)]

    assert everything == [ids[0], ids[1], ids[3]]
    assert some == [ids[1], ids[3]]
    assert first == [ids[0], ids[1]]
    assert elsewhere == []
    assert after_retry_time == [ids[0], ids[1], ids[3], ids[4]]


def test_given_desired_values_then_only_a_change_makes_them_owed_again(
    sessions: sessionmaker[Session],
) -> None:
    (account_id,) = owed(sessions, {"status": WRITTEN, "written_at": T0})

    with sessions() as session:
        state = session.get(WritebackState, account_id)
        same = mark_desired(session, state, account_id, {"icp_tier": "tier_1"}, LATER)
        same_status, same_updated = same.status, same.updated_at
        state = mark_desired(session, state, account_id, {"icp_tier": "tier_2"}, LATER)
        session.commit()

    assert (same_status, same_updated) == (WRITTEN, T0)
    assert (state.status, state.values, state.updated_at) == (PENDING, {"icp_tier": "tier_2"},
                                                             LATER)  # fmt: skip


def test_given_first_writes_then_only_records_created_since_the_last_full_sync_are_new(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        rows = store(
            session,
            company("1", created_at=LATER),
            company("2", created_at=LATER),
            company("3", created_at=T0 - timedelta(days=1)),
            company("4"),
        )
        pairs = [(mark_desired(session, None, r.id, {"icp_tier": "tier_1"}, T0), r) for r in rows]
        pairs[1][0].written_at = T0  # written once before: no longer new

        since_full_sync = updates_for(pairs, new_since=T0)
        before_any_full_sync = updates_for(pairs, new_since=None)

    assert [u.new_record for u in since_full_sync] == [True, False, False, False]
    assert not any(u.new_record for u in before_any_full_sync)
    assert since_full_sync[0] == PropertyUpdate(
        object_type="company", crm_id="1", values={"icp_tier": "tier_1"}, new_record=True
    )


def test_given_crm_outcomes_then_failures_are_kept_with_their_error_and_retried_later(
    sessions: sessionmaker[Session],
) -> None:
    owed(sessions, {"status": SENDING}, {"status": SENDING, "attempts": 9})

    with sessions() as session:
        pairs = due(session, "hubspot", T0, limit=10)
        counts = record_outcomes(
            pairs,
            [WriteOutcome("1", written=True), WriteOutcome("2", written=False, error="bad")],
            LATER,
        )
        session.commit()

    assert counts == (1, 1)
    landed, refused = state_of(sessions, "1"), state_of(sessions, "2")
    assert (landed.status, landed.written_at, landed.attempts, landed.next_attempt_at) == (
        WRITTEN, LATER, 0, None
    )  # fmt: skip
    assert (refused.status, refused.attempts, refused.last_error) == (FAILED, 10, "bad")
    assert refused.next_attempt_at == LATER + MAX_RETRY_DELAY  # 2**10 minutes, capped

    with sessions() as session:
        (pair,) = due(session, "hubspot", LATER + MAX_RETRY_DELAY, limit=10)
        record_outcomes([pair], [WriteOutcome("2", written=False, error="again")], LATER)
        assert pair[0].next_attempt_at == LATER + MAX_RETRY_DELAY
        pair[0].attempts = 0
        record_outcomes([pair], [WriteOutcome("2", written=False, error="again")], LATER)
        assert pair[0].next_attempt_at == LATER + timedelta(minutes=2)


def test_given_an_outcome_for_another_record_then_nothing_is_recorded(
    sessions: sessionmaker[Session],
) -> None:
    owed(sessions, {"status": SENDING})

    with sessions() as session:
        pairs = due(session, "hubspot", T0, limit=10)
        with pytest.raises(ValueError, match="paired with 1"):
            record_outcomes(pairs, [WriteOutcome("2", written=True)], LATER)


class SeesStatusAtWrite:
    """The real connector, recording the statuses another session sees when the CRM call is
    made (what a process killed at that moment would leave)."""

    def __init__(self, crm: HubSpotConnector, sessions: sessionmaker[Session]) -> None:
        self._crm, self._sessions = crm, sessions
        self.seen: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._crm, name)

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        with self._sessions() as other:
            self.seen = sorted(s.status for s in other.scalars(select(WritebackState)))
        return self._crm.write(updates)


def test_given_owed_values_when_sent_then_sending_is_durable_first_and_outcomes_await_the_caller(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    crm_ids = sandbox.hubspot.company_ids()[:3]
    spy = SeesStatusAtWrite(hubspot, sessions)

    with sessions() as session:
        pairs = from_crm(session, hubspot, crm_ids)
        result = send_committing(session, spy, pairs, new_since=None, now=LATER)
        before_commit = [state_of(sessions, crm_id).status for crm_id in crm_ids]
        session.commit()

    assert result == WriteResult(written=3)
    assert spy.seen == [SENDING] * 3
    assert before_commit == [SENDING] * 3
    assert [state_of(sessions, crm_id).status for crm_id in crm_ids] == [WRITTEN] * 3
    assert sorted(written_ids(sandbox)) == sorted(crm_ids)
    owed_values = state_of(sessions, crm_ids[0]).values
    assert sandbox.hubspot.company(crm_ids[0])["icp_tier"] == owed_values["icp_tier"]


def test_given_a_batch_left_sending_when_sent_again_then_what_landed_is_confirmed_not_resent(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    landed, lost = sandbox.hubspot.company_ids()[:2]
    with sessions() as session:  # a writer sent `landed`, then was killed before its commit
        pairs = from_crm(session, hubspot, [landed, lost])
        hubspot.write(updates_for(pairs[:1], new_since=None))
        for state, _ in pairs:
            state.status = SENDING
        session.commit()
    sandbox.hubspot.clear_writes()

    with sessions() as session:
        result = send_committing(
            session, hubspot, due(session, "hubspot", LATER, limit=10), new_since=None, now=LATER
        )
        session.commit()

    assert result == WriteResult(written=1, confirmed=1)
    assert written_ids(sandbox) == [lost]  # `landed` read back, not written twice
    assert (state_of(sessions, landed).status, state_of(sessions, landed).written_at) == (
        WRITTEN, LATER
    )  # fmt: skip
    assert state_of(sessions, lost).status == WRITTEN


def test_given_a_record_the_crm_no_longer_has_when_sent_then_it_fails_alone_and_is_kept(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    alive = sandbox.hubspot.company_ids()[0]
    with sessions() as session:
        pairs = from_crm(session, hubspot, [alive])
        (gone,) = store(session, company("99999999999"))
        mark_desired(session, None, gone.id, {"icp_tier": "tier_2"}, T0)
        pairs = due(session, "hubspot", T0, limit=10)
        result = send_committing(session, hubspot, pairs, new_since=None, now=LATER)
        session.commit()

    assert result == WriteResult(written=1, failed=1)
    refused = state_of(sessions, "99999999999")
    assert (refused.status, refused.attempts) == (FAILED, 1)
    assert refused.last_error
    assert refused.next_attempt_at == LATER + timedelta(minutes=2)
    assert state_of(sessions, alive).status == WRITTEN


def test_given_a_writer_that_dies_after_the_crm_call_then_its_batch_is_left_marked_sending(
    sessions: sessionmaker[Session],
) -> None:
    owed(sessions, {"status": PENDING}, {"status": PENDING})
    unreachable = HubSpotConnector("http://127.0.0.1:9", "pat-x", retry=RetryPolicy(max_attempts=1))

    with unreachable, sessions() as session:
        pairs = due(session, "hubspot", T0, limit=10)
        result = send_committing(session, unreachable, pairs, new_since=None, now=LATER)
        session.rollback()  # the outcomes never reach the store

    assert result == WriteResult(failed=2)
    assert [state_of(sessions, crm_id).status for crm_id in ("1", "2")] == [SENDING, SENDING]
    assert state_of(sessions, "1").updated_at == LATER


def claimed_ids(session: Session, writer: str, limit: int = 100, *, at: Any = T0) -> list[int]:
    return [state.account_id for state, _ in claim(session, "hubspot", at, limit, writer=writer)]


def test_given_a_writer_holding_a_claim_then_others_skip_it_until_its_lease_ends(
    sessions: sessionmaker[Session],
) -> None:
    ids = owed(sessions, {"status": PENDING}, {"status": PENDING}, {"status": WRITTEN})

    with sessions() as first:
        held = claimed_ids(first, "worker:1:host", limit=1)
        first.commit()
    with sessions() as second:
        rest = claimed_ids(second, "worker:2:host")
        second.commit()
    with sessions() as third:
        none_left = claimed_ids(third, "sync:3:host", at=T0 + CLAIM_LEASE)
        after_lease = claimed_ids(third, "worker:4:host", at=T0 + CLAIM_LEASE + timedelta(1))

    assert held == ids[:1]
    assert rest == ids[1:2]  # not the first one's, not the written one
    assert none_left == []  # a live worker's claim: even a sync waits for its lease
    assert after_lease == ids[:2]  # presumed dead: in doubt, taken over


def test_given_a_dead_syncs_claims_when_the_next_sync_claims_then_it_takes_them_at_once(
    sessions: sessionmaker[Session],
) -> None:
    ids = owed(sessions, {"status": PENDING}, {"status": PENDING})
    with sessions() as killed:
        claimed_ids(killed, "sync:1:host")
        for state, _ in due(killed, "hubspot", T0, limit=10):
            state.status = SENDING
        killed.commit()

    with sessions() as session:
        by_worker = claimed_ids(session, "worker:2:host")
        by_next_sync = [
            (state.account_id, state.status)
            for state, _ in claim(session, "hubspot", T0, 10, writer="sync:3:host")
        ]

    assert by_worker == []
    assert by_next_sync == [(ids[0], SENDING), (ids[1], SENDING)]  # in doubt: read back first


def test_given_two_sessions_claiming_at_once_then_each_record_goes_to_one_without_waiting(
    sessions: sessionmaker[Session],
) -> None:
    ids = owed(sessions, *({"status": PENDING} for _ in range(4)))
    if sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the second waits for the first's commit")

    with sessions() as first, sessions() as second:
        mine = claimed_ids(first, "worker:1:host", limit=2)  # uncommitted: rows still locked
        theirs = claimed_ids(second, "worker:2:host")  # SKIP LOCKED: passes them by
        second.commit()
        first.commit()

    assert mine == ids[:2]
    assert theirs == ids[2:]
