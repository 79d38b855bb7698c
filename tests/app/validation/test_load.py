"""`app.validation.load.outcomes` and `app.validation.plan.compare` on a real store (SQLite and
PostgreSQL), against an independent computation: ORM rows, in the order the validation reads
them, scored one by one by the reference scorer (`score_reference`, not the generated fast
path) and, for `compare`, by the sync's own `prepared` and `scored`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, ScoreResult, compile_rubric
from app.scoring.scorer import score_reference
from app.store.repo import DealCounts, upsert_accounts, upsert_deals
from app.store.tables import Account, Deal, DealAccount
from app.sync.facts import account_facts
from app.sync.rescore import prepared, scored
from app.validation.accounts import ScoredAccounts
from app.validation.load import outcome_columns, outcomes, read_closed_deals
from app.validation.plan import compare
from app.validation.rubric_validation import validate_rubric
from app.validation.stats import Outcome
from connectors.records import CrmDeal
from tests.app.sync.records import T0, company, sf_account, sf_lead

NOW = T0 + timedelta(days=3)


def a_deal(crm_id: str, *accounts: str, source: str = "hubspot", **fields: object) -> CrmDeal:
    """A deal won on 2026-06-01 unless `fields` say otherwise."""
    base = CrmDeal(
        source=source,  # type: ignore[arg-type]
        crm_id=crm_id,
        modified_at=T0 - timedelta(days=30),
        is_closed=True,
        is_won=True,
        amount=Decimal("1000"),
        close_date=date(2026, 6, 1),
        account_ids=accounts,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """HubSpot companies of every tier (one disqualified, one archived, one deleted later),
    Salesforce accounts and a lead borrowing from one, and deals won, lost, open, archived,
    without a close date, linked to two accounts or to an account never pulled."""
    with sessions() as session:
        upsert_accounts(
            session,
            [
                company("1"),
                company("2", industry="RETAIL", employees=60, technologies=()),
                company("3", employees=5),  # too small: disqualified
                company("4", industry=None, employees=None, annual_revenue=None, properties={}),
                company("5", archived=True),
                company("6", properties={"icp_buying_signals": "hiring", "industry": "INTERNET"}),
            ],
            fetched_at=T0,
        )
        upsert_accounts(
            session,
            [
                sf_account("001A", "acme.example"),
                sf_account("001B", "beta.example", industry="Government", employees=None),
                sf_lead("00QA", "acme.example"),
            ],
            fetched_at=T0,
        )
        upsert_deals(
            session,
            [
                a_deal("d1", "1"),
                a_deal("d2", "1", is_won=False, close_date=date(2025, 12, 31)),
                a_deal("d3", "2", "3"),  # linked to two accounts: an outcome each
                a_deal("d4", "3", is_won=False),
                a_deal("d5", "4", close_date=None),  # closed on its last modification
                a_deal("d6", "5"),  # archived account: left out
                a_deal("d7", "6", archived=True),  # archived deal: left out
                a_deal("d8", "6", is_closed=False, is_won=False),  # open: left out
                a_deal("d9", "404"),  # an account never pulled: left out
                a_deal("d10", "6", is_won=False, close_date=date(2024, 2, 29)),
            ],
            fetched_at=T0,
        )
        upsert_deals(
            session,
            [
                a_deal("o1", "001A", source="salesforce"),
                a_deal("o2", "001B", source="salesforce", is_won=False),
                a_deal("o3", "001B", source="salesforce", close_date=None),
            ],
            fetched_at=T0,
        )
        session.commit()
    return sessions


def variant(**changes: object) -> CompiledRubric:
    document = load_rubric().model_dump()
    document.update(changes)
    return compile_rubric(Rubric.model_validate(document))


def reading_deal_counts() -> CompiledRubric:
    """The default rubric with a criterion on the account's won deals."""
    document = load_rubric().model_dump()
    document["version"] = "with-wins"
    document["layers"]["behavioural"]["criteria"].append(
        {
            "id": "wins",
            "field": "deals_won",
            "weight": 10,
            "reason": "Won deals",
            "bands": [{"min": 1, "points": 100}],
        }
    )
    return compile_rubric(Rubric.model_validate(document))


def expected_outcomes(
    session: Session, rubric: CompiledRubric, *, since: date | None = None
) -> Iterator[Outcome]:
    """The validation's definition, one ORM row and one reference score at a time."""
    query = (
        select(Deal, Account)
        .join(DealAccount, DealAccount.deal_id == Deal.id)
        .join(
            Account,
            and_(Account.source == Deal.source, Account.crm_id == DealAccount.account_crm_id),
        )
        .where(
            Deal.is_closed.is_(True),
            Deal.archived.is_(False),
            Account.archived.is_(False),
            Account.deleted_at.is_(None),
        )
        .order_by(Deal.id, Account.id)
    )
    for deal, account in session.execute(query):
        closed_on = deal.close_date or (deal.crm_updated_at or deal.fetched_at).date()
        if since is not None and closed_on < since:
            continue
        result = score_reference(account_facts(account, DealCounts()), rubric, NOW)
        yield Outcome(
            account_id=account.crm_id,
            score=result.score,
            tier=result.tier,
            won=deal.is_won,
            closed_on=closed_on,
            criteria={c.id: c.points for c in result.criteria if c.points is not None},
            flags=result.flags,
        )


@pytest.mark.parametrize("rubric", [compile_rubric(load_rubric()), reading_deal_counts()])
def test_given_a_store_when_outcomes_are_read_then_they_match_the_independent_computation(
    store: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    with store() as session:
        expected = list(expected_outcomes(session, rubric))
        found = outcomes(session, rubric, now=NOW)

    assert found == expected
    assert len(found) == 10  # d1 d2 d3 (twice) d4 d5 d10, o1 o2 o3
    assert {o.tier for o in found} >= {"tier_1", "disqualified"}
    assert all(isinstance(o.won, bool) and type(o.closed_on) is date for o in found)


def test_given_deals_without_a_close_date_then_they_closed_on_their_last_modification(
    store: sessionmaker[Session],
) -> None:
    with store() as session:
        found = outcomes(session, compile_rubric(load_rubric()), now=NOW)

    modified = (T0 - timedelta(days=30)).astimezone(UTC).date()
    assert sorted(o.account_id for o in found if o.closed_on == modified) == ["001B", "4"]


def test_given_a_since_date_then_only_the_deals_closed_from_that_day_count(
    store: sessionmaker[Session],
) -> None:
    rubric = compile_rubric(load_rubric())
    since = date(2026, 1, 1)
    with store() as session:
        expected = list(expected_outcomes(session, rubric, since=since))
        found = outcomes(session, rubric, now=NOW, since=since)
        everything = outcomes(session, rubric, now=NOW)

    assert found == expected
    assert all(o.closed_on >= since for o in found)
    assert 0 < len(found) < len(everything)


def test_given_one_source_then_only_its_deals_count(store: sessionmaker[Session]) -> None:
    rubric = compile_rubric(load_rubric())
    with store() as session:
        everything = list(expected_outcomes(session, rubric))
        found = outcomes(session, rubric, now=NOW, source="salesforce")

    assert found == [o for o in everything if o.account_id.startswith("00")]
    assert {o.account_id for o in found} == {"001A", "001B"}


def test_given_shared_accounts_when_two_rubrics_are_read_then_each_matches_its_own_reading(
    store: sessionmaker[Session],
) -> None:
    champion, challenger = compile_rubric(load_rubric()), variant(version="other", tiers=[
        {"name": "tier_1", "label": "Tier 1", "min_score": 40},
        {"name": "tier_3", "label": "Tier 3", "min_score": 0},
    ])  # fmt: skip
    with store() as session:
        shared = ScoredAccounts(session, now=NOW)
        together = [outcomes(session, r, now=NOW, accounts=shared) for r in (champion, challenger)]
        alone = [outcomes(session, r, now=NOW) for r in (champion, challenger)]

    assert together == alone
    assert together[0] != together[1]


def synced_scores(session: Session, rubric: CompiledRubric) -> dict[str, ScoreResult]:
    """CRM id → the score a sync gives each live account: `prepared`, then `scored`."""
    found: dict[str, ScoreResult] = {}
    for source in ("hubspot", "salesforce"):
        accounts = list(
            session.scalars(
                select(Account)
                .where(
                    Account.source == source,
                    Account.archived.is_(False),
                    Account.deleted_at.is_(None),
                )
                .order_by(Account.id)
            )
        )
        for account, facts, reason, _ in prepared(session, accounts, rubric):
            found[account.crm_id] = scored(facts, reason, rubric, NOW)
    return found


@pytest.mark.parametrize("challenger", [reading_deal_counts(), variant(version="same")])
def test_given_a_rubric_change_when_compared_then_every_account_is_scored_as_a_sync_would(
    store: sessionmaker[Session], challenger: CompiledRubric
) -> None:
    champion = compile_rubric(load_rubric())
    with store() as session:
        before, after = synced_scores(session, champion), synced_scores(session, challenger)
        comparison = compare(session, champion, challenger, now=NOW)

    assert comparison.accounts == len(before) == 8  # archived company 5 left out
    moved = {
        crm_id
        for crm_id in before
        if (before[crm_id].tier, before[crm_id].score, before[crm_id].flags)
        != (after[crm_id].tier, after[crm_id].score, after[crm_id].flags)
    }
    assert {c.crm_id for c in comparison.changed} == moved
    for change in comparison.changed:
        assert (change.score_before, change.score_after) == (
            before[change.crm_id].score,
            after[change.crm_id].score,
        )
    transitions: dict[str, dict[str, int]] = {}
    for crm_id, old in before.items():
        row = transitions.setdefault(old.tier, {})
        row[after[crm_id].tier] = row.get(after[crm_id].tier, 0) + 1
    assert comparison.transitions == transitions


def test_given_an_account_archived_between_the_two_reads_then_its_deals_are_left_out(
    store: sessionmaker[Session],
) -> None:
    rubric = compile_rubric(load_rubric())
    with store() as session:
        shared = ScoredAccounts(session, now=NOW)
        shared.closed_deals = read_closed_deals(session)
        with store() as sync:  # a sync archives company 1 after the deals were read
            sync.execute(update(Account).where(Account.crm_id == "1").values(archived=True))
            sync.commit()
        found = outcomes(session, rubric, now=NOW, accounts=shared)

    assert "1" not in {o.account_id for o in found}
    assert len(found) == 8


@pytest.mark.parametrize(
    ("rubric", "since", "source"),
    [
        (compile_rubric(load_rubric()), None, None),
        (reading_deal_counts(), None, None),
        (compile_rubric(load_rubric()), date(2026, 1, 1), None),
        (compile_rubric(load_rubric()), None, "hubspot"),
    ],
)
def test_given_a_store_when_judged_on_columns_then_the_validation_is_that_of_the_outcome_list(
    store: sessionmaker[Session], rubric: CompiledRubric, since: date | None, source: str | None
) -> None:
    with store() as session:
        expected = [
            o
            for o in expected_outcomes(session, rubric, since=since)
            if source is None or not o.account_id.startswith("00")
        ]
        columns = outcome_columns(session, rubric, now=NOW, since=since, source=source)

    assert len(columns.account_id) < len(columns) == len(expected)  # one record per account
    assert validate_rubric(columns, rubric.rubric) == validate_rubric(expected, rubric.rubric)
    assert columns.outcomes() == expected
