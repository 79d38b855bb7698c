"""`app.sync.pipeline`, the one path from CRM records to written scores, on a real store
(SQLite and PostgreSQL): what a batch of changes stores, deletes and rescores, that nothing
is committed behind the caller's back, and (against the HubSpot sandbox over real HTTP) what
is written back, batch by batch, with failures kept for a later retry."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.repo import sync_state
from app.store.tables import Account, Score, WritebackState
from app.sync.pipeline import ACCOUNTS, Applied, Changes, PlannedWrite, UpdatePipeline
from app.sync.writeback import FAILED, PENDING, WRITTEN, WriteResult
from connectors.hubspot.connector import HubSpotConnector
from connectors.records import CrmAccount, CrmDeal, PropertyUpdate, WriteOutcome
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.app.sync.records import LATER, T0, company, score_of, state_of

OFFLINE = "http://127.0.0.1:9"
"""No CRM listens here: storing and scoring never call the CRM."""


@pytest.fixture
def rubric() -> CompiledRubric:
    return compile_rubric(load_rubric())


@pytest.fixture
def offline() -> Iterator[HubSpotConnector]:
    with hubspot_connector(OFFLINE, "pat-unused", load_rubric()) as crm:
        yield crm


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=23, companies=4, deals_per_company=0)


@pytest.fixture
def hubspot(sandbox: RunningSandbox) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, load_rubric()) as crm:
        crm.ensure_schema()
        yield crm


def reading_deals() -> CompiledRubric:
    """The default rubric plus a criterion on won deals."""
    data = copy.deepcopy(load_rubric().model_dump(exclude_none=True))
    data["version"] = "test-with-deals"
    data["layers"]["behavioural"]["criteria"].append(
        {"id": "won_deals", "field": "deals_won", "weight": 10, "reason": "Won deals",
         "otherwise": 0, "bands": [{"min": 1, "points": 100}]}
    )  # fmt: skip
    return compile_rubric(Rubric.model_validate(data))


def won(crm_id: str, *account_ids: str) -> CrmDeal:
    return CrmDeal(source="hubspot", crm_id=crm_id, modified_at=T0, is_closed=True,
                   is_won=True, account_ids=account_ids)  # fmt: skip


def applied(
    sessions: sessionmaker[Session],
    crm: HubSpotConnector,
    rubric: CompiledRubric,
    changes: Changes,
    now: datetime = T0,
) -> Applied:
    with sessions() as session:
        result = UpdatePipeline(session, crm, rubric, lambda: now).apply(changes)
        session.commit()
    return result


def crm_ids(sessions: sessionmaker[Session], account_ids: set[int]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Account.crm_id).where(Account.id.in_(account_ids))))


def test_given_pulled_accounts_when_applied_then_stored_scored_and_owed(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    result = applied(sessions, offline, rubric, Changes(accounts=[company("1"), company("2")]))

    assert (result.rescore.scored, result.rescore.changed, result.deleted) == (2, 2, 0)
    assert crm_ids(sessions, result.account_ids) == {"1", "2"}
    assert score_of(sessions, "1").tier == "tier_1"
    assert state_of(sessions, "2").status == PENDING


def test_given_an_apply_the_caller_rolls_back_then_nothing_is_stored(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    with sessions() as session:
        pipeline = UpdatePipeline(session, offline, rubric, lambda: T0)
        pipeline.apply(Changes(accounts=[company("1")], deals=[won("d1", "1")]))
        pipeline.mark_unseen_deleted({"company"}, pulled_since=LATER)
        session.rollback()

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0
        assert session.scalar(select(func.count()).select_from(Score)) == 0


def test_given_records_the_crm_no_longer_has_when_applied_then_they_are_marked_and_not_owed(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    applied(sessions, offline, rubric, Changes(accounts=[company("1"), company("2")]))

    result = applied(
        sessions, offline, rubric, Changes(gone={("company", "2"), ("company", "404")}), now=LATER
    )
    with sessions() as session:
        planned = UpdatePipeline(session, offline, rubric, lambda: LATER).planned_writes(10)
        deleted_at = session.scalars(select(Account.deleted_at).where(Account.crm_id == "2")).one()

    assert (result.deleted, result.account_ids) == (1, set())
    assert deleted_at == LATER
    assert planned == (1, [PlannedWrite("1", "Company 1", state_of(sessions, "1").values)])
    back = applied(sessions, offline, rubric, Changes(accounts=[company("2")]), now=LATER)
    assert back.rescore.scored == 0  # unchanged inputs: no new score, but live again
    with sessions() as session:
        assert UpdatePipeline(session, offline, rubric, lambda: LATER).planned_writes(0)[0] == 2


def test_given_a_full_pull_when_unseen_records_are_marked_then_only_those_not_pulled_since(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    applied(sessions, offline, rubric, Changes(accounts=[company("1"), company("2")]))
    applied(sessions, offline, rubric, Changes(accounts=[company("1")]), now=LATER)

    with sessions() as session:
        pipeline = UpdatePipeline(session, offline, rubric, lambda: LATER)
        marked = pipeline.mark_unseen_deleted({"company"}, pulled_since=LATER)
        session.commit()
        live = set(session.scalars(select(Account.crm_id).where(Account.deleted_at.is_(None))))

    assert (marked, live) == (1, {"1"})


def test_given_a_rubric_reading_deals_when_a_deal_moves_then_both_accounts_are_rescored(
    sessions: sessionmaker[Session], offline: HubSpotConnector
) -> None:
    rubric = reading_deals()
    accounts = [company("1"), company("2"), company("3")]
    applied(sessions, offline, rubric, Changes(accounts=accounts, deals=[won("d1", "1")]))
    assert (
        score_of(sessions, "1").criteria["won_deals"]
        > score_of(sessions, "2").criteria["won_deals"]
    )

    moved = applied(sessions, offline, rubric, Changes(deals=[won("d1", "2")]), now=LATER)

    assert crm_ids(sessions, moved.rescore.scored_ids) == {"1", "2"}
    assert crm_ids(sessions, moved.account_ids) == {"1", "2"}
    assert score_of(sessions, "1").criteria["won_deals"] == 0
    assert score_of(sessions, "2").criteria["won_deals"] > 0
    assert score_of(sessions, "3").scored_at == T0


def test_given_a_rubric_that_reads_no_deals_when_deals_arrive_then_nothing_is_rescored(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    applied(sessions, offline, rubric, Changes(accounts=[company("1")]))

    result = applied(sessions, offline, rubric, Changes(deals=[won("d1", "1")]), now=LATER)

    assert (result.rescore.considered, result.account_ids) == (0, set())


class Recording:
    """The real connector; remembers every update handed to `write`, and what another
    session sees of the writeback when each call is made."""

    def __init__(self, crm: HubSpotConnector, sessions: sessionmaker[Session]) -> None:
        self._crm, self._sessions = crm, sessions
        self.updates: list[PropertyUpdate] = []
        self.written_before: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._crm, name)

    def write(self, updates: Sequence[PropertyUpdate]) -> list[WriteOutcome]:
        with self._sessions() as other:
            self.written_before.append(
                len(other.scalars(select(WritebackState).where(WritebackState.status == WRITTEN))
                    .all())
            )  # fmt: skip
        self.updates += updates
        return self._crm.write(updates)


def stored_from(
    sessions: sessionmaker[Session], crm: HubSpotConnector, records: Sequence[CrmAccount]
) -> Applied:
    return applied(sessions, crm, compile_rubric(load_rubric()), Changes(accounts=records))


def test_given_owed_accounts_when_some_are_written_back_then_only_those_and_the_caller_commits(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    ids = sandbox.hubspot.company_ids()
    first = stored_from(sessions, hubspot, hubspot.fetch_accounts(ids[:2]))
    stored_from(sessions, hubspot, hubspot.fetch_accounts(ids[2:]))

    with sessions() as session:
        pipeline = UpdatePipeline(session, hubspot, compile_rubric(load_rubric()), lambda: LATER)
        result = pipeline.write_back_committing(first.account_ids)
        nothing = pipeline.write_back_committing(set())
        session.rollback()  # the caller's commit never comes

    assert (result, nothing) == (WriteResult(written=2), WriteResult())
    assert sorted(w.object_id for w in sandbox.hubspot.writes("companies")) == sorted(ids[:2])
    assert {state_of(sessions, i).status for i in ids[:2]} == {"sending"}  # left in doubt
    assert {state_of(sessions, i).status for i in ids[2:]} == {PENDING}


def test_given_everything_owed_when_written_back_then_batch_by_batch_with_failures_retried_later(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    ids = sandbox.hubspot.company_ids()[:3]
    stored_from(sessions, hubspot, [*hubspot.fetch_accounts(ids), company("99999999999")])
    crm = Recording(hubspot, sessions)
    now = [LATER]
    batches: list[WriteResult] = []

    with sessions() as session:
        pipeline = UpdatePipeline(session, crm, compile_rubric(load_rubric()), lambda: now[0])
        total = pipeline.write_back_all_committing(2, batches.append)
        again = pipeline.write_back_all_committing(2, batches.append)
        now[0] = LATER + timedelta(minutes=2)
        retried = pipeline.write_back_all_committing(2, batches.append)

    assert total == WriteResult(written=3, failed=1)
    assert batches == [WriteResult(written=2), WriteResult(written=1, failed=1),
                       WriteResult(failed=1)]  # fmt: skip
    assert crm.written_before == [0, 2, 3]  # each batch committed before the next is sent
    assert again == WriteResult()
    assert retried == WriteResult(failed=1)
    refused = state_of(sessions, "99999999999")
    assert (refused.status, refused.attempts) == (FAILED, 2)
    assert {state_of(sessions, i).status for i in ids} == {WRITTEN}


def test_given_a_completed_full_sync_then_only_records_created_since_are_first_written_as_new(
    sandbox: RunningSandbox, hubspot: HubSpotConnector, sessions: sessionmaker[Session]
) -> None:
    old, new, unrouted = sandbox.hubspot.company_ids()[:3]
    stored_from(sessions, hubspot, [
        company(old, created_at=T0 - timedelta(days=30)),
        company(new, created_at=LATER),
    ])  # fmt: skip
    with sessions() as session:
        sync_state(session, "hubspot", ACCOUNTS).full_sync_completed_at = T0
        session.commit()
    crm = Recording(hubspot, sessions)

    with sessions() as session:
        pipeline = UpdatePipeline(session, crm, compile_rubric(load_rubric()), lambda: LATER)
        pipeline.write_back_all_committing(10)
    stored_from(sessions, hubspot, [company(unrouted, created_at=LATER, employees=3)])
    with sessions() as session:
        sync_state(session, "hubspot", ACCOUNTS).full_sync_completed_at = None
        session.commit()
        UpdatePipeline(
            session, crm, compile_rubric(load_rubric()), lambda: LATER
        ).write_back_all_committing(10)

    assert {u.crm_id: u.new_record for u in crm.updates} == {
        old: False, new: True, unrouted: False
    }  # fmt: skip


def test_given_other_rubric_scores_far_apart_when_swept_then_each_found_in_bounded_pages(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    applied(sessions, offline, rubric, Changes(accounts=[company(str(i)) for i in range(1, 31)]))
    with sessions() as session:
        ids = list(session.scalars(select(Account.id).order_by(Account.id)))
        older = update(Score).where(Score.account_id.in_([ids[2], ids[27]]))
        session.execute(older.values(rubric_version="older"))
        pipeline = UpdatePipeline(session, offline, rubric, lambda: LATER)
        found, examined, after = [], [], 0
        while True:  # as the sync's sweep calls it: one found per page, ten examined at most
            rows, last = pipeline.scored_by_other_rubric(after, 1)
            found += [row.id for row in rows]
            if last == after:
                break
            examined.append(last)
            after = last

    assert found == [ids[2], ids[27]]
    assert examined == [ids[2], ids[12], ids[22], ids[27], ids[29]]
