"""The seed generator: deterministic, realistic, fast, and with a hidden "true ICP" to find."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from crm_sandbox.core import seed
from crm_sandbox.core.description_themes import TextTheme
from crm_sandbox.core.times import iso_ms
from crm_sandbox.core.true_icp import is_true_icp, true_icp_logit, true_icp_probability
from crm_sandbox.core.vocabulary import DEAL_STAGES, PERSONAL_EMAIL_DOMAINS
from crm_sandbox.hubspot.builtin_properties import INDUSTRY_OPTIONS, company_properties

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def big() -> seed.SeedData:
    return seed.generate(3, 4_000, 2.0, as_of=AS_OF)


def test_given_the_same_seed_when_generated_twice_then_the_records_are_identical() -> None:
    first = seed.generate(42, 300, 2.0, as_of=AS_OF)
    second = seed.generate(42, 300, 2.0, as_of=AS_OF)

    assert first == second
    assert len(first.deals) > 300


def test_given_another_seed_when_generated_then_the_records_differ() -> None:
    first = seed.generate(1, 50, as_of=AS_OF)
    second = seed.generate(2, 50, as_of=AS_OF)

    assert [c.domain for c in first.companies] != [c.domain for c in second.companies]


@pytest.mark.slow
def test_given_20000_companies_when_generated_then_it_takes_seconds_with_about_two_deals_each() -> (
    None
):
    started = time.perf_counter()
    data = seed.generate(7, 20_000, 2.0, as_of=AS_OF)
    elapsed = time.perf_counter() - started

    assert len(data.companies) == 20_000
    assert 1.9 < len(data.deals) / 20_000 < 2.1
    assert elapsed < 8.0, f"generation took {elapsed:.1f} s"


def test_given_generated_companies_when_checked_then_business_domains_are_unique(
    big: seed.SeedData,
) -> None:
    business = [c.domain for c in big.companies if c.domain not in PERSONAL_EMAIL_DOMAINS]

    assert len(business) == len(set(business))
    assert all(domain == domain.lower() and "." in domain for domain in business)


def test_given_generated_values_when_compared_with_the_hubspot_options_then_all_are_options(
    big: seed.SeedData,
) -> None:
    definitions = {d.name: d for d in company_properties(0)}
    technologies = set(definitions["web_technologies"].option_values)
    signals = set(definitions["icp_buying_signals"].option_values)

    assert {c.industry for c in big.companies if c.industry} <= set(INDUSTRY_OPTIONS)
    assert {t for c in big.companies for t in c.technologies} <= technologies
    assert {s for c in big.companies for s in c.buying_signals} <= signals
    assert {d.stage for d in big.deals} == set(DEAL_STAGES)


def test_given_a_large_seed_then_it_holds_the_messy_cases_a_real_crm_has(
    big: seed.SeedData,
) -> None:
    companies = big.companies
    industries = Counter(c.industry for c in companies)

    assert industries.most_common(1)[0][0] == "COMPUTER_SOFTWARE"  # skewed distribution
    assert 15 <= len([i for i in industries if i]) <= 25
    assert any(c.domain == "gmail.com" for c in companies)
    assert any(c.employees is not None and c.employees < 10 for c in companies)
    assert any(c.employees is None for c in companies)
    assert any(c.industry is None for c in companies)
    assert any(c.last_activity_ms is None for c in companies)
    assert 0 < sum(c.archived for c in companies) < len(companies) * 0.03
    employees = sorted(c.employees for c in companies if c.employees is not None)
    median = employees[len(employees) // 2]
    assert 80 < median < 400
    assert employees[-1] > 20 * median  # log-normal: a long tail
    assert all(c.created_ms <= c.modified_ms <= big.as_of_ms for c in companies)
    assert all(d.created_ms <= d.modified_ms <= big.as_of_ms for d in big.deals)


def test_given_closed_deals_when_grouped_by_true_icp_then_true_icp_companies_win_more(
    big: seed.SeedData,
) -> None:
    won: Counter[bool] = Counter()
    closed: Counter[bool] = Counter()
    for deal in big.deals:
        if deal.is_closed:
            fit = is_true_icp(big.companies[deal.company_index])
            closed[fit] += 1
            won[fit] += deal.is_won
    icp_rate = won[True] / closed[True]
    other_rate = won[False] / closed[False]

    assert closed[True] > 200
    assert closed[False] > 200
    assert icp_rate > 2 * other_rate
    assert icp_rate > 0.5 > other_rate


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ({"industry": "COMPUTER_SOFTWARE"}, {"industry": "RETAIL"}),
        ({"industry": "FINANCIAL_SERVICES"}, {"industry": "CONSTRUCTION"}),
        ({"employees": 800}, {"employees": 40_000}),
        ({"employees": 800}, {"employees": 60}),
        ({"buying_signals": 3}, {"buying_signals": 0}),
        ({"stack_overlap": 3}, {"stack_overlap": 0}),
        ({"personal_domain": False}, {"personal_domain": True}),
        ({"text_theme": "trigger"}, {"text_theme": "plain"}),
        ({"text_theme": "plain"}, {"text_theme": "not_us"}),
    ],
)
def test_given_the_hidden_icp_when_one_input_improves_then_the_log_odds_rise(
    better: dict[str, object], worse: dict[str, object]
) -> None:
    base: dict[str, object] = {
        "industry": "INTERNET",
        "employees": 500,
        "buying_signals": 1,
        "stack_overlap": 1,
        "personal_domain": False,
        "text_theme": "plain",
    }

    assert true_icp_logit(**{**base, **better}) > true_icp_logit(**{**base, **worse})  # type: ignore[arg-type]


def test_given_a_company_when_its_probability_is_computed_then_it_follows_the_documented_formula() -> (
    None
):
    company = seed.generate(5, 1, as_of=AS_OF).companies[0]
    expected_logit = true_icp_logit(
        industry=company.industry,
        employees=company.employees,
        buying_signals=len(company.buying_signals),
        stack_overlap=company.stack_overlap,
        personal_domain=company.domain in PERSONAL_EMAIL_DOMAINS,
        text_theme=company.text_theme,
    )

    noiseless = true_icp_probability(company, with_noise=False)
    assert noiseless == pytest.approx(1 / (1 + 2.718281828459045 ** (-expected_logit)))
    assert is_true_icp(company) == (noiseless >= 0.5)
    assert true_icp_logit(
        industry="COMPUTER_SOFTWARE", employees=500, buying_signals=2, stack_overlap=1
    ) == pytest.approx(-4.2 + 2.0 + 1.8 + 1.1 + 0.4)
    terms: tuple[tuple[TextTheme, float], ...] = (
        ("trigger", 1.6), ("not_us", -2.0), ("contrast", 0.0), ("blank", 0.0)
    )  # fmt: skip
    for theme, term in terms:
        assert true_icp_logit(
            industry="RETAIL", employees=80, buying_signals=0, stack_overlap=0, text_theme=theme
        ) == pytest.approx(-4.2 + 0.9 + term)


def test_given_iso_formatting_when_rendering_epoch_ms_then_it_matches_hubspot_format() -> None:
    assert iso_ms(1_723_741_753_648) == "2024-08-15T17:09:13.648Z"
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"
