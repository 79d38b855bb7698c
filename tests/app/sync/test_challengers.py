"""Challengers in shadow: a sync, a webhook and a rescore of the store each score the
challengers too and keep their scores, history and start apart; the CRM (the HubSpot sandbox
over real HTTP) receives the champion's values only. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.inbox.worker import Worker
from app.rubric import Rubric, load_rubric, parse_rubric
from app.scoring import AccountFacts, CompiledRubric, compile_rubric, score
from app.store.repo import DealCounts
from app.store.tables import (
    Account,
    ChallengerScore,
    ChallengerScoreHistory,
    ChallengerStart,
    Score,
    WritebackState,
)
from app.sync.challengers import Challenger, Rubrics
from app.sync.facts import account_facts
from app.sync.orchestrator import run_sync
from app.sync.pipeline import UpdatePipeline
from connectors.hubspot.connector import HubSpotConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.inbox import company_change, put
from tests.support.rubric_dir import CHALLENGER_WRITTEN, CHAMPION_WRITTEN, challenger_document

pytestmark = pytest.mark.slow  # a sandbox per test, synced

NAME = "challenger"


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=13, companies=30, salesforce_port=0)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture
def hubspot(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector:
        connector.ensure_schema()
        yield connector


@pytest.fixture
def challenger() -> Challenger:
    return Challenger(NAME, compile_rubric(parse_rubric(challenger_document())))


def crm_holds_champion_values_only(sandbox: RunningSandbox, sessions: sessionmaker[Session]) -> int:
    """Asserts every score the sandbox received is the champion's stored one; returns how many
    writes it received."""
    writes = [
        w for w in sandbox.hubspot.writes("companies") if "icp_rubric_version" in w.properties
    ]
    with sessions() as session:
        rows = session.execute(select(Account.crm_id, Score.score).join(Score))
        stored = {row.crm_id: row.score for row in rows}
    for write in writes:
        assert write.properties["icp_rubric_version"] == CHAMPION_WRITTEN
        assert write.properties["icp_fit_score"] == str(stored[write.object_id])
    return len(writes)


def champion_scored(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Account.crm_id).join(Score)))


def expected(account: Account, rubric: CompiledRubric) -> int:
    facts: AccountFacts = account_facts(account, DealCounts())
    return score(facts, rubric, datetime.now(UTC)).score


def shadow_scores(sessions: sessionmaker[Session]) -> dict[str, ChallengerScore]:
    with sessions() as session:
        rows = session.execute(
            select(Account.crm_id, ChallengerScore).join(
                ChallengerScore, ChallengerScore.account_id == Account.id
            )
        )
        return {row.crm_id: row.ChallengerScore for row in rows}


def history_of(sessions: sessionmaker[Session], crm_id: str) -> list[ChallengerScoreHistory]:
    with sessions() as session:
        return list(
            session.scalars(
                select(ChallengerScoreHistory)
                .join(Account, Account.id == ChallengerScoreHistory.account_id)
                .where(Account.crm_id == crm_id)
                .order_by(ChallengerScoreHistory.id)
            )
        )


def test_given_a_challenger_when_synced_then_every_account_is_shadow_scored_and_never_written(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
    challenger: Challenger,
) -> None:
    report = run_sync(hubspot, sessions, compile_rubric(rubric), challengers=[challenger])

    companies = champion_scored(sessions)
    shadow = shadow_scores(sessions)
    assert set(shadow) == companies
    assert report.rescore.shadow_scored == len(companies)
    assert {s.rubric_version for s in shadow.values()} == {CHALLENGER_WRITTEN}
    with sessions() as session:
        accounts = {a.crm_id: a for a in session.scalars(select(Account))}
        start = session.get(ChallengerStart, NAME)
        assert session.scalar(select(func.count()).select_from(ChallengerScoreHistory)) == len(
            companies
        )
    assert start is not None
    assert start.fingerprint == challenger.rubric.fingerprint
    assert all(s.score == expected(accounts[i], challenger.rubric) for i, s in shadow.items())
    champion = compile_rubric(rubric)
    assert any(s.score != expected(accounts[i], champion) for i, s in shadow.items())
    assert crm_holds_champion_values_only(sandbox, sessions) == report.written > 0


def test_given_a_challenger_when_a_webhook_changes_a_company_then_its_shadow_score_follows(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
    challenger: Challenger,
) -> None:
    champion = compile_rubric(rubric)
    run_sync(hubspot, sessions, champion, challengers=[challenger])
    sandbox.hubspot.clear_writes()
    company = sandbox.hubspot.company_ids()[0]
    before = shadow_scores(sessions)[company]
    employees = "5000" if (before.criteria.get("employees") or 0) < 100 else "3"
    sandbox.hubspot.touch_company(company, numberofemployees=employees)
    put(sessions, company_change("e1", company, propertyName="numberofemployees"))

    worker = Worker(
        sessions, {"hubspot": hubspot}, champion, rubrics=lambda _: Rubrics(champion, (challenger,))
    )
    report = worker.run_once()

    after = shadow_scores(sessions)[company]
    assert report.scored == 1
    assert after.score != before.score
    assert after.scored_at > before.scored_at
    assert [h.score for h in history_of(sessions, company)] == [before.score, after.score]
    assert crm_holds_champion_values_only(sandbox, sessions) <= 1


def test_given_a_new_challenger_when_the_store_is_rescored_then_it_scores_all_and_writes_nothing(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
    challenger: Challenger,
) -> None:
    champion = compile_rubric(rubric)
    run_sync(hubspot, sessions, champion)
    sandbox.hubspot.clear_writes()
    with sessions() as session:
        owed_before = {w.account_id: w.values_hash for w in session.scalars(select(WritebackState))}

    reports = []
    for _ in range(2):  # the second finds every input unchanged: nothing is scored again
        with sessions() as session:
            rows = list(session.scalars(select(Account).order_by(Account.id)))
            pipeline = UpdatePipeline(
                session, hubspot, champion, lambda: datetime.now(UTC), challengers=[challenger]
            )
            reports.append(pipeline.rescore(rows))
            session.commit()

    companies = champion_scored(sessions)
    assert [(r.scored, r.shadow_scored) for r in reports] == [(0, len(companies)), (0, 0)]
    assert set(shadow_scores(sessions)) == companies
    with sessions() as session:
        owed_after = {w.account_id: w.values_hash for w in session.scalars(select(WritebackState))}
    assert owed_after == owed_before
    assert sandbox.hubspot.writes("companies") == []
