"""HubSpot contacts as a population of their own (`app.validation.populations`), on a store
whose answer is known (tests/support/contact_store.py), SQLite and PostgreSQL: each contact
judged on its own deals (never a company's through a shared id), scored as a sync scores it,
and resampled by company; then, on generated contacts, that resampling by company is exactly
resampling each company as one account."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.store.tables import Account
from app.sync.rescore import prepared, scored
from app.validation.accounts import ScoredAccounts
from app.validation.columns import CriteriaTable, OutcomeColumns
from app.validation.deals import deals_of
from app.validation.load import population_columns
from app.validation.plan import compare
from app.validation.populations import ACCOUNTS, CONTACTS
from app.validation.stats import summarise
from tests.app.validation.test_load import NOW
from tests.support import contact_store
from tests.support.contact_store import ALONE, COMPANIES, JUNIORS, SENIORS

TIERS = ["tier_1", "tier_2", "tier_3", "disqualified"]


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    contact_store.fill(sessions)
    return sessions


@pytest.fixture
def seniority(tmp_path: Path) -> CompiledRubric:
    return compile_rubric(load_rubric(contact_store.seniority_rubric(tmp_path)))


def test_given_contacts_with_deals_when_validated_then_each_is_judged_on_its_own_deals_only(
    store: sessionmaker[Session], seniority: CompiledRubric
) -> None:
    with store() as session:
        found = population_columns(session, seniority, now=NOW)
    contacts, accounts = found[CONTACTS].outcomes(), found[ACCOUNTS].outcomes()

    # contact "2" shares its id with company "2", whose won deal `company-only` is not its own
    assert sorted((o.account_id, o.won) for o in contacts) == sorted(
        [(s, True) for s in SENIORS] + [(j, False) for j in (*JUNIORS, ALONE)]
    )
    assert {o.account_id for o in accounts} == set(COMPANIES)  # no contact among the accounts
    assert (len(accounts), sum(o.won for o in accounts)) == (9, 5)


def test_given_contacts_when_validated_then_each_scores_as_a_sync_scores_it_from_its_company(
    store: sessionmaker[Session], seniority: CompiledRubric
) -> None:
    with store() as session:
        found = population_columns(session, seniority, now=NOW)[CONTACTS]
        rows = session.scalars(select(Account).where(Account.object_type == "contact")).all()
        synced = {
            row.crm_id: scored(facts, reason, seniority, NOW)
            for row, facts, reason, _ in prepared(session, rows, seniority)
        }

    assert {(o.account_id, o.score, o.tier) for o in found.outcomes()} == {
        (crm_id, result.score, result.tier) for crm_id, result in synced.items()
    }
    assert {synced[s].tier for s in SENIORS} == {"tier_1"}
    assert {synced[j].tier for j in (*JUNIORS, ALONE)} == {"tier_3"}
    assert synced[JUNIORS[0]].reasons[0].startswith("company data: industry")  # borrowed


def test_given_two_contacts_of_one_company_when_resampled_then_their_cluster_is_the_company(
    store: sessionmaker[Session], seniority: CompiledRubric
) -> None:
    with store() as session:
        found = population_columns(session, seniority, now=NOW)[CONTACTS]

    clusters = dict(zip(found.account_id, found.cluster or [], strict=True))
    assert clusters == {
        **{s: f"company:{c}" for s, c in zip(SENIORS, COMPANIES, strict=True)},
        **{j: f"company:{c}" for j, c in zip(JUNIORS, COMPANIES, strict=True)},
        ALONE: f"contact:{ALONE}",
    }
    deals = deals_of(found, TIERS)
    assert deals.accounts == len(COMPANIES) + 1  # what is resampled: 5 clusters, not 9 contacts
    assert deals_of(dataclasses.replace(found, cluster=None), TIERS).accounts == 9


def test_given_a_rubric_change_when_compared_then_contacts_move_apart_from_the_accounts(
    store: sessionmaker[Session], seniority: CompiledRubric
) -> None:
    default = compile_rubric(load_rubric())
    with store() as session:
        comparison = compare(
            session, seniority, default, now=NOW, accounts=ScoredAccounts(session, now=NOW)
        )

    assert (comparison.accounts, comparison.transitions) == (4, {"tier_1": {"tier_1": 4}})
    assert comparison.contacts is not None
    assert comparison.contacts.accounts == 9
    assert comparison.contacts.transitions == {
        "tier_1": {"tier_1": 4},
        "tier_3": {"tier_1": 4, "tier_3": 1},
    }


# one contact: company (None: none), score, won deals, lost deals
contact = st.tuples(
    st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"])),
    st.integers(0, 100),
    st.integers(0, 2),
    st.integers(0, 2),
).filter(lambda c: c[2] + c[3] > 0)


@settings(max_examples=30, deadline=None)
@given(st.lists(contact, min_size=1, max_size=15))
def test_given_any_contacts_when_summarised_then_it_is_each_company_resampled_as_one_account(
    contacts: list[tuple[str | None, int, int, int]],
) -> None:
    ids = [f"p{i}" for i in range(len(contacts))]
    clusters = [
        f"company:{c}" if c else f"contact:{i}" for i, (c, *_) in zip(ids, contacts, strict=True)
    ]
    records = [i for i, (_, _, won, lost) in enumerate(contacts) for _ in range(won + lost)]
    wins = [j < won for _, _, won, lost in contacts for j in range(won + lost)]
    columns = OutcomeColumns(
        account_id=ids,
        score=[score for _, score, _, _ in contacts],
        tier=["tier_1" if score >= 50 else "tier_3" for _, score, _, _ in contacts],
        criteria=CriteriaTable(("fit",), np.array([[float(s)] for _, s, _, _ in contacts])),
        flags=[()] * len(contacts),
        deal_record=np.array(records, np.int64),
        won=np.array(wins, np.bool_),
        closed_on=np.full(len(records), date(2026, 6, 1).toordinal(), np.int64),
        cluster=clusters,
    )
    # the same deals, each a company's as an account's would be (a contact without one: its own)
    as_accounts = [
        dataclasses.replace(o, account_id=clusters[ids.index(o.account_id)])
        for o in columns.outcomes()
    ]

    by_company = summarise(columns, TIERS, resamples=80, seed=3)

    assert by_company == summarise(as_accounts, TIERS, resamples=80, seed=3)
    assert by_company.accounts == len(set(clusters))
