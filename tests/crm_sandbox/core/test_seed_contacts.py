"""The seed's contacts: deterministic, from their own random stream (companies and deals do not
change with them), realistic, and won deals leaning on senior contacts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from statistics import mean

import pytest

from crm_sandbox.core import seed
from crm_sandbox.core.people import LEVELS, SENIORITY_RANK
from crm_sandbox.core.vocabulary import PERSONAL_EMAIL_DOMAINS, WON_STAGE
from crm_sandbox.hubspot.contact_properties import LEAD_STATUSES, LIFECYCLE_STAGES, SENIORITIES

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> seed.SeedData:
    return seed.generate(3, 2_000, 2.0, as_of=AS_OF, contacts_per_company=1.5)


def test_given_contacts_or_none_when_generated_then_companies_and_deals_are_the_same() -> None:
    without = seed.generate(42, 300, 2.0, as_of=AS_OF)
    with_contacts = seed.generate(42, 300, 2.0, as_of=AS_OF, contacts_per_company=3.0)
    again = seed.generate(42, 300, 2.0, as_of=AS_OF, contacts_per_company=3.0)

    assert (with_contacts.companies, with_contacts.deals) == (without.companies, without.deals)
    assert without.contacts == ()
    assert with_contacts == again
    other = seed.generate(43, 300, as_of=AS_OF, contacts_per_company=3.0)
    assert with_contacts.contacts != other.contacts


def test_given_the_default_mean_then_0_to_3_a_company_about_1_5_plus_orphans_and_archived(
    data: seed.SeedData,
) -> None:
    per_company = Counter(c.company_index for c in data.contacts if c.company_index is not None)
    counts = [per_company.get(company.index, 0) for company in data.companies]
    orphans = [c for c in data.contacts if c.company_index is None]

    assert 1.4 < mean(counts) < 1.6
    assert set(counts) == {0, 1, 2, 3}
    assert len(orphans) == 2_000 // 40 + 1
    assert 0.01 < sum(c.archived for c in data.contacts) / len(data.contacts) < 0.03


def test_given_the_contacts_then_emails_are_unique_mostly_at_the_company_domain(
    data: seed.SeedData,
) -> None:
    emails = [c.email for c in data.contacts if c.email]
    domains = {company.index: company.domain for company in data.companies}
    at_company = [
        c for c in data.contacts
        if c.email and c.company_index is not None and c.email.endswith("@" + domains[c.company_index])
    ]  # fmt: skip
    personal = [c for c in data.contacts if c.email.split("@")[-1] in PERSONAL_EMAIL_DOMAINS]

    assert len(emails) == len(set(emails))
    assert all(e.isascii() and e.count("@") == 1 and e == e.lower() for e in emails)
    assert len(at_company) / len(data.contacts) > 0.8
    assert 0.03 < len(personal) / len(data.contacts) < 0.15


def test_given_the_contacts_then_titles_span_levels_languages_and_blanks_with_hubspot_values(
    data: seed.SeedData,
) -> None:
    titles = [c.job_title for c in data.contacts]

    assert {c.level for c in data.contacts} == set(LEVELS)
    assert "" in titles
    assert any(not title.isascii() for title in titles)  # Geschäftsführer, Directeur Général …
    assert {"CEO", "ceo", "VP Sales"} <= set(titles)
    enriched = [c.seniority for c in data.contacts if c.seniority]
    assert 0.3 < len(enriched) / len(data.contacts) < 0.6
    assert set(enriched) <= set(SENIORITIES)
    assert {c.lifecycle_stage for c in data.contacts} <= set(LIFECYCLE_STAGES)
    assert {c.lead_status for c in data.contacts if c.lead_status} <= set(LEAD_STATUSES)
    assert 0.4 < sum(c.last_activity_ms is not None for c in data.contacts) / len(titles) < 0.7
    assert all(c.created_ms <= c.modified_ms <= data.as_of_ms for c in data.contacts)


def test_given_deals_with_contacts_then_won_deals_lean_on_senior_people_at_their_company(
    data: seed.SeedData,
) -> None:
    contacts = data.contacts
    deals = data.deals
    for deal_index, contact_index in data.deal_contacts:
        assert contacts[contact_index].company_index == deals[deal_index].company_index
        assert not contacts[contact_index].archived

    def seniority(won: bool) -> float:
        return mean(
            SENIORITY_RANK[contacts[c].level]
            for d, c in data.deal_contacts
            if (deals[d].stage == WON_STAGE) == won
        )

    assert 0.5 < len({d for d, _ in data.deal_contacts}) / len(deals) < 0.8
    assert seniority(won=True) > seniority(won=False) + 0.4
