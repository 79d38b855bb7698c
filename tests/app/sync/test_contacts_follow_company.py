"""HubSpot contacts scored as prospects, on a real store (SQLite and PostgreSQL): a contact
borrows the company-level facts it lacks from its primary company and says so first among its
reasons; a change to the company rescores exactly its contacts, and only those whose result
changed are owed a write; a contact without a company is scored on what it has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.crm import hubspot_connector
from app.rubric import load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.tables import Account, WritebackState
from app.sync.pipeline import Changes, UpdatePipeline
from app.sync.writeback import PENDING
from connectors.hubspot.connector import HubSpotConnector
from tests.app.sync.records import LATER, T0, company, contact, score_of

SEED_MODEL = Path(__file__).parents[3] / "examples" / "rubrics" / "seed-model.yaml"
OFFLINE = "http://127.0.0.1:9"
"""No CRM listens here: storing and scoring never call the CRM."""


@pytest.fixture
def rubric() -> CompiledRubric:
    return compile_rubric(load_rubric())


@pytest.fixture
def offline() -> Iterator[HubSpotConnector]:
    with hubspot_connector(OFFLINE, "pat-unused", load_rubric()) as crm:
        yield crm


def apply(
    sessions: sessionmaker[Session], crm: HubSpotConnector, rubric: CompiledRubric, changes: Changes
) -> set[str]:
    """Applies the changes at T0 (LATER once something is stored) and returns the CRM ids of
    the records now owed a write."""
    with sessions() as session:
        now = LATER if session.scalar(select(Account.id).limit(1)) else T0
        UpdatePipeline(session, crm, rubric, lambda: now).apply(changes)
        session.commit()
        owed = select(Account.object_type, Account.crm_id).join(
            WritebackState, WritebackState.account_id == Account.id
        )
        return {
            f"{kind}:{crm_id}"
            for kind, crm_id in session.execute(owed.where(WritebackState.status == PENDING))
        }


def written(sessions: sessionmaker[Session]) -> None:
    """Marks every owed write done, as a successful writeback would."""
    with sessions() as session:
        for state in session.scalars(select(WritebackState)):
            state.status = "written"
        session.commit()


def test_given_a_contact_at_a_company_when_scored_then_it_borrows_the_company_data_and_says_so(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    apply(sessions, offline, rubric, Changes(accounts=[company("1"), contact("501", "1")]))

    own, borrowed = score_of(sessions, "1"), score_of(sessions, "501")
    assert borrowed.reasons[0].startswith("company data: industry")
    assert (
        "from company Company 1 (c1.example.com); the rest the contact's own"
        in (borrowed.reasons[0])
    )
    assert (borrowed.score, borrowed.tier) == (own.score, own.tier)


def test_given_a_contact_without_a_company_when_scored_then_it_is_scored_on_what_it_has(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    apply(sessions, offline, rubric, Changes(accounts=[contact("502", None)]))

    alone = score_of(sessions, "502")
    assert alone.reasons[0] == "company data: the contact's own (no company associated)"
    assert alone.tier == "tier_3"


def test_given_a_company_and_a_contact_sharing_an_id_when_stored_then_each_keeps_its_own_row(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    owed = apply(sessions, offline, rubric, Changes(accounts=[company("7"), contact("7", "7")]))

    assert owed == {"company:7", "contact:7"}


def test_given_a_companys_industry_changes_then_exactly_its_contacts_whose_score_changed_are_owed(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    own_industry = {"industry": "COMPUTER_SOFTWARE"}
    records = [
        company("1"),
        company("2"),
        contact("601", "1"),  # borrows the industry: changes with it
        contact("602", "1", **own_industry),  # its own industry: unchanged
        contact("603", "2"),  # another company's
    ]
    apply(sessions, offline, rubric, Changes(accounts=records))
    written(sessions)
    before = score_of(sessions, "601").score

    owed = apply(sessions, offline, rubric, Changes(accounts=[company("1", industry="RETAIL")]))

    assert owed == {"company:1", "contact:601"}
    assert score_of(sessions, "601").score < before


def test_given_a_contact_moves_to_another_company_when_pulled_then_it_borrows_from_the_new_one(
    sessions: sessionmaker[Session], offline: HubSpotConnector, rubric: CompiledRubric
) -> None:
    apply(
        sessions,
        offline,
        rubric,
        Changes(accounts=[company("1"), company("3", industry="RETAIL"), contact("701", "1")]),
    )
    written(sessions)

    owed = apply(sessions, offline, rubric, Changes(accounts=[contact("701", "3")]))

    assert owed == {"contact:701"}
    assert "from company Company 3" in score_of(sessions, "701").reasons[0]


def test_given_a_person_level_criterion_then_a_contact_lacking_its_value_does_not_borrow_it(
    sessions: sessionmaker[Session], offline: HubSpotConnector
) -> None:
    seed_model = compile_rubric(load_rubric(SEED_MODEL))
    engaged = company("1", properties={"notes_last_updated": "2026-10-30T10:00:00Z"})
    cold = contact("801", "1", title="VP Sales")  # no activity of its own

    apply(sessions, offline, seed_model, Changes(accounts=[engaged, cold]))

    reasons = score_of(sessions, "801").reasons
    assert reasons[0].startswith("company data: industry, employees from company Company 1")
    assert "Engagement history: missing +4" in reasons  # the seeds' "cold", not the company's
