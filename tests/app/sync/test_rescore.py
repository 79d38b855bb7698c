"""`app.sync.rescore` on a real store (SQLite and PostgreSQL): what is rescored and what is
not, the score history, the tier transitions, the values the CRM is then owed, and a lead's
company data borrowed from the account at its domain."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.tables import Account, WritebackState
from app.sync.rescore import RescoreReport, rescore, rescore_with_prospects_of
from app.sync.writeback import FAILED, PENDING, WRITTEN, values_hash
from connectors.hubspot.render import render_score as hubspot_values
from connectors.records import CrmAccount
from connectors.salesforce.render import render_score as salesforce_values
from tests.app.sync.records import (
    LATER,
    T0,
    company,
    history_of,
    score_of,
    sf_account,
    sf_lead,
    state_of,
    store,
)


@pytest.fixture
def rubric() -> CompiledRubric:
    return compile_rubric(load_rubric())


def rescored(
    sessions: sessionmaker[Session],
    rubric: CompiledRubric,
    *records: CrmAccount,
    now: datetime = T0,
) -> RescoreReport:
    """Stores the records as a pull would, rescores those rows, commits."""
    with sessions() as session:
        rows = store(session, *records)
        report = rescore(session, rows, rubric=rubric, render=hubspot_values, now=now)
        session.commit()
    return report


def with_leads(
    sessions: sessionmaker[Session], rubric: CompiledRubric, *records: CrmAccount, now: datetime
) -> tuple[RescoreReport, dict[int, str]]:
    """Stores Salesforce records and rescores them with their leads; the report and the row
    id → CRM id of every stored record."""
    with sessions() as session:
        rows = store(session, *records)
        report = rescore_with_prospects_of(
            session, rows, rubric=rubric, render=salesforce_values, now=now
        )
        session.commit()
        ids = {a.id: a.crm_id for a in session.scalars(select(Account))}
    return report, ids


def mark_all(sessions: sessionmaker[Session], status: str, **fields: object) -> None:
    with sessions() as session:
        for state in session.scalars(select(WritebackState)):
            state.status = status
            for name, value in fields.items():
                setattr(state, name, value)
        session.commit()


def test_given_new_companies_when_rescored_then_each_has_a_score_a_history_row_and_owed_values(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    report = rescored(sessions, rubric, company("1"), company("2", employees=3))

    assert (report.considered, report.scored, report.changed) == (2, 2, 2)
    assert report.transitions == Counter({("new", "tier_1"): 1, ("new", "disqualified"): 1})
    fit, small = score_of(sessions, "1"), score_of(sessions, "2")
    assert (fit.tier, fit.disqualified, fit.scored_at) == ("tier_1", False, T0)
    assert (small.tier, small.flags) == ("disqualified", ["too_small"])
    assert [(h.tier, h.score, h.scored_at) for h in history_of(sessions, "1")] == [
        ("tier_1", fit.score, T0)
    ]
    state = state_of(sessions, "1")
    assert (state.status, state.attempts, state.updated_at) == (PENDING, 0, T0)
    assert state.values["icp_tier"] == "tier_1"
    assert state.values["icp_fit_score"] == str(fit.score)
    assert state.values_hash == values_hash(state.values)


def test_given_a_change_the_rubric_does_not_read_when_rescored_then_nothing_is_scored(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    rescored(sessions, rubric, company("1"))
    mark_all(sessions, WRITTEN, written_at=T0)
    echo = company("1", modified_at=LATER, properties={
        "icp_buying_signals": "hiring;funding;intent_surge", "icp_tier": "tier_1",
        "hs_lastmodifieddate": LATER.isoformat(),
    })  # fmt: skip

    report = rescored(sessions, rubric, echo, now=LATER)

    assert (report.considered, report.scored, report.changed) == (1, 0, 0)
    assert report.scored_ids == set()
    assert score_of(sessions, "1").scored_at == T0
    assert len(history_of(sessions, "1")) == 1
    assert state_of(sessions, "1").status == WRITTEN


def test_given_an_input_change_with_the_same_result_when_rescored_then_nothing_is_owed(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    rescored(sessions, rubric, company("1"))
    mark_all(sessions, WRITTEN, written_at=T0)
    before = state_of(sessions, "1").values_hash

    stack = ("Salesforce", "HubSpot", "Gong", "Jira")  # one more tool the rubric does not count
    report = rescored(sessions, rubric, company("1", technologies=stack), now=LATER)

    assert (report.scored, report.changed, report.transitions) == (1, 0, Counter())
    assert report.scored_ids == {score_of(sessions, "1").account_id}
    assert score_of(sessions, "1").scored_at == T0  # same content: same CRM values
    assert len(history_of(sessions, "1")) == 1
    state = state_of(sessions, "1")
    assert (state.status, state.values_hash, state.updated_at) == (WRITTEN, before, T0)
    again = rescored(sessions, rubric, company("1", technologies=stack), now=LATER)
    assert again.scored == 0  # the new inputs were recorded


def test_given_a_tier_change_when_rescored_then_history_and_fresh_owed_values_replace_a_failure(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    rescored(sessions, rubric, company("1"), company("2"))
    mark_all(sessions, FAILED, attempts=3, last_error="HTTP 400", next_attempt_at=LATER)

    report = rescored(sessions, rubric, company("1", employees=3), company("2"), now=LATER)

    assert (report.considered, report.scored, report.changed) == (2, 1, 1)
    assert report.transitions == Counter({("tier_1", "disqualified"): 1})
    assert [(h.tier, h.scored_at) for h in history_of(sessions, "1")] == [
        ("tier_1", T0),
        ("disqualified", LATER),
    ]
    assert score_of(sessions, "1").scored_at == LATER
    owed = state_of(sessions, "1")
    assert (owed.status, owed.attempts, owed.last_error, owed.next_attempt_at) == (
        PENDING, 0, None, None
    )  # fmt: skip
    assert (owed.values["icp_tier"], owed.values["icp_disqualified"]) == ("disqualified", "true")
    assert owed.updated_at == LATER
    untouched = state_of(sessions, "2")
    assert (untouched.status, untouched.attempts) == (FAILED, 3)  # its retry stays as it was


def test_given_a_new_rubric_when_rescored_then_every_account_is_rescored_and_owed(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    rescored(sessions, rubric, company("1"), company("2", employees=60))
    mark_all(sessions, WRITTEN, written_at=T0)
    changed = copy.deepcopy(load_rubric().model_dump())
    changed["version"] = "test-stricter"
    changed["tiers"][0]["min_score"] = 99
    stricter = compile_rubric(Rubric.model_validate(changed))

    report = rescored(sessions, stricter, company("1"), company("2", employees=60), now=LATER)

    assert (report.scored, report.changed) == (2, 2)
    written = f"test-stricter+{stricter.fingerprint[:8]}"
    assert score_of(sessions, "1").rubric_version == stricter.written_version == written
    assert score_of(sessions, "1").tier == "tier_2"
    for crm_id in ("1", "2"):
        state = state_of(sessions, crm_id)
        assert (state.status, state.values["icp_rubric_version"]) == (PENDING, written)


def test_given_a_lead_at_an_accounts_domain_when_scored_then_it_borrows_company_data_and_says_so(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    report, _ = with_leads(
        sessions,
        rubric,
        sf_account("001A", "acme.io"),
        sf_lead("00QA", "acme.io"),
        sf_lead("00QB", "nobody.io"),
        now=T0,
    )

    assert report.scored == 3
    borrowed, alone = score_of(sessions, "00QA"), score_of(sessions, "00QB")
    assert borrowed.reasons[0].startswith("company data: industry, employees, annual_revenue")
    assert "from account Account 001A (acme.io)" in borrowed.reasons[0]
    assert alone.reasons[0] == "company data: the lead's own (no account matches its domain)"
    assert borrowed.score > alone.score
    assert state_of(sessions, "00QA").values["ICP_Reasons__c"].startswith("company data:")


def test_given_a_change_to_what_leads_borrow_when_the_account_is_rescored_then_its_leads_are_too(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    with_leads(
        sessions,
        rubric,
        sf_account("001A", "acme.io"),
        sf_account("001B", "other.io"),
        sf_lead("00QA", "acme.io"),
        sf_lead("00QB", "other.io"),
        now=T0,
    )

    report, ids = with_leads(
        sessions, rubric, sf_account("001A", "acme.io", industry="Government"), now=LATER
    )

    assert {ids[i] for i in report.scored_ids} == {"001A", "00QA"}
    assert {after for _, after in report.transitions} == {"disqualified"}
    assert report.transitions.total() == 2
    assert score_of(sessions, "00QA").flags == ["excluded_industry"]
    assert score_of(sessions, "00QB").scored_at == T0
    assert state_of(sessions, "00QA").values["ICP_Tier__c"] == "disqualified"


def test_given_a_lead_with_its_own_data_when_its_account_changes_then_the_lead_is_not_rescored(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    own = {"industry": "Software", "employees": 300, "annual_revenue": None}
    with_leads(
        sessions, rubric, sf_account("001A", "acme.io"), sf_lead("00QA", "acme.io", **own), now=T0
    )

    report, ids = with_leads(
        sessions, rubric, sf_account("001A", "acme.io", employees=900), now=LATER
    )

    assert {ids[i] for i in report.scored_ids} == {"001A"}
    assert score_of(sessions, "00QA").scored_at == T0
    assert len(history_of(sessions, "00QA")) == 1


def test_given_no_rows_when_rescored_then_the_report_is_empty(
    sessions: sessionmaker[Session], rubric: CompiledRubric
) -> None:
    with sessions() as session:
        report = rescore_with_prospects_of(
            session, [], rubric=rubric, render=hubspot_values, now=T0 + timedelta(days=1)
        )

    assert (report.considered, report.scored, report.changed, report.scored_ids) == (0, 0, 0, set())
