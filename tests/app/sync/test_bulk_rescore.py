"""The pipeline's bulk rescoring (app.sync.bulk) against the per-record path (app.sync.rescore,
the reference), on random stores (SQLite and PostgreSQL): Salesforce accounts and leads (leads
borrowing from the oldest account at their domain, or from none), deals, archived and deleted
records, raw properties a canonical column falls back on, scores of an older rubric and of the
current one, written and failed writeback states, a challenger; and HubSpot companies with
contacts (borrowing from their primary company, a missing one, or none; some sharing their id
with a company). Both leave the store exactly alike: scores, score history, writeback state,
challenger scores and their history."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.repo import mark_deleted, upsert_accounts, upsert_deals
from app.store.tables import (
    Account,
    Base,
    ChallengerScore,
    ChallengerScoreHistory,
    ChallengerStart,
    Score,
    ScoreHistory,
    WritebackState,
)
from app.sync.bulk import BulkRescore
from app.sync.challengers import Challenger
from app.sync.rescore import RescoreReport, rescore_with_prospects_of
from app.sync.writeback import FAILED, WRITTEN
from connectors.hubspot.render import render_score as hubspot_values
from connectors.records import CrmAccount, CrmDeal
from connectors.salesforce.render import render_score as salesforce_values
from tests.app.sync.records import LATER, T0, company, contact

NOW = LATER + timedelta(days=1)
INDUSTRIES = [None, "", "Technology", "Finance", "Retail", "Software", "Gambling"]
TECH = ["Salesforce", "HubSpot", "Gong", "Outreach", "Snowflake"]
SIGNALS = ["hiring", "funding", "intent_surge", "expansion"]
SOURCES = (("salesforce", salesforce_values), ("hubspot", hubspot_values))
TITLES = [None, "CEO", "VP Sales", "Sales Manager", "Account Executive"]


def variant(version: str, *, deals: bool, tier_one: int = 0) -> CompiledRubric:
    """The default rubric under another version, with a lead-only criterion on a raw property;
    reading won deals, and with tier 1 moved by `tier_one` points, when asked."""
    data = copy.deepcopy(load_rubric().model_dump(mode="json", exclude_none=True))
    data["version"] = version
    data["tiers"][0]["min_score"] += tier_one
    data["layers"]["behavioural"]["criteria"].append(  # read from a lead's raw properties
        {
            "id": "rating",
            "field": "Rating",
            "weight": 5,
            "reason": "Rating",
            "applies_to": ["lead", "contact"],
            "otherwise": 0,
            "match": [{"label": "hot", "points": 100, "values": ["Hot"]}],
        }
    )
    if deals:
        data["layers"]["behavioural"]["criteria"].append(
            {
                "id": "won_deals",
                "field": "deals_won",
                "weight": 10,
                "reason": "Won deals",
                "otherwise": 0,
                "bands": [{"min": 1, "points": 100}],
            }
        )
    return compile_rubric(Rubric.model_validate(data))


def firm(rng: random.Random) -> dict[str, Any]:
    """Random company data, often incomplete, sometimes only in raw properties."""
    properties: dict[str, Any] = {}
    if rng.random() < 0.6:
        properties["Buying_Signals__c"] = ";".join(rng.sample(SIGNALS, rng.randint(0, 3)))
    if rng.random() < 0.5:
        properties["LastActivityDate"] = (T0 - timedelta(days=rng.randint(0, 400))).isoformat()
    if rng.random() < 0.2:
        properties["industry"] = rng.choice(INDUSTRIES[2:])
    if rng.random() < 0.2:
        properties["employees"] = rng.choice([30, 300, "450", 5000])
    if rng.random() < 0.3:
        properties["Rating"] = rng.choice(["Hot", "Cold"])
    if rng.random() < 0.1:
        properties["deals_won"] = rng.randint(0, 2)
    return {
        "industry": rng.choice(INDUSTRIES),
        "employees": rng.choice([None, 10, 120, 600, 3000, 20000]),
        "annual_revenue": rng.choice([None, Decimal("900000"), Decimal("45000000.50")]),
        "technologies": tuple(rng.sample(TECH, rng.randint(0, 3))),
        "country": rng.choice([None, "US", "DE"]),
        "properties": properties,
    }


def records(rng: random.Random, accounts: int, leads: int) -> list[CrmAccount]:
    domains = [f"d{i}.example.com" for i in range(accounts // 2)]
    made = [
        CrmAccount(
            source="salesforce",
            object_type="account",
            crm_id=f"A{i}",
            modified_at=T0,
            name=rng.choice([None, f"Account {i}"]),
            domain=rng.choice([*domains, None]),
            archived=rng.random() < 0.05,
            **firm(rng),
        )
        for i in range(accounts)
    ]
    made += [
        CrmAccount(
            source="salesforce",
            object_type="lead",
            crm_id=f"L{i}",
            modified_at=T0,
            name=f"Lead {i}",
            domain=rng.choice([*domains, "nowhere.example.com", None]),
            email=f"l{i}@example.com",
            title=rng.choice([None, "CTO"]),
            archived=rng.random() < 0.05,
            **(firm(rng) if rng.random() < 0.4 else {}),
        )
        for i in range(leads)
    ]
    rng.shuffle(made)  # leads before and after their donors, by id
    return made


def deals(rng: random.Random, accounts: int) -> list[CrmDeal]:
    made = []
    for i in range(accounts):
        closed = rng.random() < 0.7
        linked = {f"A{rng.randrange(accounts)}" for _ in range(rng.randint(1, 2))}
        made.append(
            CrmDeal(
                source="salesforce",
                crm_id=f"D{i}",
                modified_at=T0,
                is_closed=closed,
                is_won=closed and rng.random() < 0.5,
                archived=rng.random() < 0.1,
                account_ids=tuple(sorted(linked)),
            )
        )
    return made


def contacts(rng: random.Random, count: int) -> list[CrmAccount]:
    """HubSpot contacts at companies H0-H19, at companies the store does not hold, or at
    none; some with an industry of their own; ids H0… shared with the companies."""
    return [
        contact(
            f"H{i}",
            rng.choice([f"H{rng.randrange(25)}", None]),
            title=rng.choice(TITLES),
            industry=rng.choice(INDUSTRIES),
            properties={"Rating": rng.choice(["Hot", "Cold"])},
        )
        for i in range(count)
    ]


def per_record(
    session: Session,
    rubric: CompiledRubric,
    challengers: list[Challenger],
    batch: int,
    now: datetime = NOW,
) -> RescoreReport:
    """The reference: the roll-out's loop as it was, `rescore_with_prospects_of` a batch of ORM
    rows at a time."""
    report = RescoreReport()
    for source, render in SOURCES:
        after = 0
        while rows := list(
            session.scalars(
                select(Account)
                .where(
                    Account.source == source,
                    Account.archived.is_(False),
                    Account.deleted_at.is_(None),
                    Account.id > after,
                )
                .order_by(Account.id)
                .limit(batch)
            )
        ):
            after = rows[-1].id
            report.add(
                rescore_with_prospects_of(
                    session, rows, rubric=rubric, render=render, now=now, challengers=challengers
                )
            )
    return report


Run = Callable[[Session, CompiledRubric, list[Challenger], int], RescoreReport]


def bulk(worker: bool, pages_in_worker: list[int]) -> Run:
    """The bulk mode, its pages read and scored by two scoring processes or by this one;
    appends how many pages the processes scored to `pages_in_worker`."""

    def run(
        session: Session, rubric: CompiledRubric, challengers: list[Challenger], batch: int
    ) -> RescoreReport:
        report = RescoreReport()
        for source, render in SOURCES:
            rescorer = BulkRescore(
                session, source, rubric, render, challengers, processes=2 if worker else 0
            )
            after = 0
            while True:
                page, last = rescorer.page(after, batch, NOW)
                if last is None:
                    pages_in_worker.append(rescorer.pages_in_workers)
                    break
                report.add(page)
                after = last
        return report

    return run


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the rescoring writes, ids of append-only rows left out, in a stable order."""
    session.flush()

    def rows(model: type[Base], skip: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        columns = [c for c in model.__table__.columns if c.name not in skip]
        return sorted((tuple(row) for row in session.execute(select(*columns))), key=repr)

    return {
        "scores": rows(Score),
        "history": rows(ScoreHistory, ("id",)),
        "states": rows(WritebackState),
        "challenger_scores": rows(ChallengerScore),
        "challenger_history": rows(ChallengerScoreHistory, ("id",)),
        "challenger_starts": rows(ChallengerStart),
    }


def fill(sessions: sessionmaker[Session], seed: int, champion: CompiledRubric) -> list[Challenger]:
    """A random store as syncs under earlier rubrics leave it; returns the challengers."""
    rng = random.Random(seed)
    older = variant("older", deals=False)
    challenger = Challenger("wins", variant("wins", deals=True, tier_one=-5))
    with sessions() as session:
        made = records(rng, accounts=120, leads=150)
        upsert_accounts(session, made, fetched_at=T0)
        upsert_accounts(session, [company(f"H{i}") for i in range(20)], fetched_at=T0)
        upsert_accounts(session, contacts(rng, 40), fetched_at=T0)
        upsert_deals(session, deals(rng, 120), fetched_at=T0)
        mark_deleted(
            session, "salesforce", [("account", f"A{i}") for i in range(0, 120, 17)], now=T0
        )
        session.commit()
        per_record(session, older, [], 50, T0)  # every record once scored, by an older rubric
        per_record(session, champion, [challenger], 50, LATER)  # then some by this one
        session.execute(
            update(Score)
            .where(Score.account_id % 3 != 0)
            .values(rubric_version=older.written_version, input_hash="stale")
        )
        session.execute(  # inputs "changed", the score will not
            update(Score).where(Score.account_id % 6 == 0).values(input_hash="stale")
        )
        session.execute(
            update(ChallengerScore)
            .where(ChallengerScore.account_id % 4 == 0)
            .values(input_hash="stale")
        )
        session.execute(
            update(WritebackState)
            .where(WritebackState.account_id % 2 == 0)
            .values(status=WRITTEN, written_at=T0)
        )
        session.execute(
            update(WritebackState)
            .where(WritebackState.account_id % 5 == 0)
            .values(status=FAILED, attempts=2, last_error="boom", next_attempt_at=LATER)
        )
        session.commit()
        # data changed since: scored again, to the same score or not
        changed = [replace_some(rng, r) for r in made if rng.random() < 0.3]
        upsert_accounts(session, changed, fetched_at=LATER)
        session.commit()
    return [challenger]


def replace_some(rng: random.Random, record: CrmAccount) -> CrmAccount:
    return replace(
        record, modified_at=LATER, **{k: v for k, v in firm(rng).items() if rng.random() < 0.5}
    )


def outcome(
    sessions: sessionmaker[Session],
    run: Run,
    champion: CompiledRubric,
    challengers: list[Challenger],
    batch: int,
) -> tuple[RescoreReport, dict[str, list[tuple[Any, ...]]]]:
    """What `run` leaves, rolled back after."""
    with sessions() as session:
        report = run(session, champion, challengers, batch)
        state = snapshot(session)
        session.rollback()
    return report, state


@pytest.mark.parametrize(("seed", "worker"), [(1, True), (2, False)])
def test_given_a_random_store_when_rescored_in_bulk_then_it_is_left_as_the_per_record_path_leaves_it(
    sessions: sessionmaker[Session], seed: int, worker: bool
) -> None:
    champion = variant("champion", deals=True)
    challengers = fill(sessions, seed, champion)
    pages_in_worker: list[int] = []

    expected_report, expected = outcome(sessions, per_record, champion, challengers, batch=23)
    report, found = outcome(
        sessions, bulk(worker, pages_in_worker), champion, challengers, batch=31
    )

    # the store holds more than a page: every page of each CRM was read and scored in the
    # processes, and per CRM the empty one after the last that says none is left
    pages = math.ceil(report.considered / 31)
    assert pages > 5
    if worker:
        assert sum(pages_in_worker) in (pages + 2, pages + 3)
        assert min(pages_in_worker) > 1
    else:
        assert pages_in_worker == [0, 0]

    assert expected_report.scored > 100
    assert 50 < expected_report.changed < expected_report.scored
    assert expected_report.shadow_scored > 50
    assert len(expected["history"]) > len(expected["scores"])  # pre-existing history kept
    for table in expected:
        assert found[table] == expected[table], table
    assert (report.scored, report.changed, report.shadow_scored) == (
        expected_report.scored,
        expected_report.changed,
        expected_report.shadow_scored,
    )
    assert report.transitions == expected_report.transitions


def test_given_a_store_of_two_crms_when_one_is_rescored_in_bulk_then_the_other_is_left_alone(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        upsert_accounts(session, [company(f"H{i}") for i in range(5)], fetched_at=T0)
        session.commit()
        rescorer = BulkRescore(session, "salesforce", variant("x", deals=False), hubspot_values)
        report, last = rescorer.page(0, 10, NOW)
        assert (report.considered, last) == (0, None)
        assert session.scalars(select(Score)).all() == []
