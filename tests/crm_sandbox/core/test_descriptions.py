"""Seeded descriptions: deterministic, CRM-like, varied, and carrying a trigger of the hidden true
ICP that only the text shows (not predictable from any firmographic field), so a rubric that
reads text has a lift to find beyond the firmographic criteria."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crm_sandbox.core import seed
from crm_sandbox.core.description_themes import (
    CONTRAST_SENTENCES,
    NOT_US_PARTNER_OPENINGS,
    NOT_US_PUBLIC_SENTENCES,
    PLACEHOLDERS,
    TRIGGER_TEMPLATES,
    VENDOR_ACTIVITIES,
    TextTheme,
)
from crm_sandbox.core.descriptions import MAX_CHARS, MIN_CHARS, Describer, Subject
from crm_sandbox.core.times import epoch_ms
from crm_sandbox.core.true_icp import true_icp_probability
from crm_sandbox.core.vocabulary import ADJACENT_FIT_INDUSTRIES, EXACT_FIT_INDUSTRIES

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
_SLOT = re.compile(r"\\\{\w+\\\}")
_STOPWORDS = frozenset({
    "a", "an", "and", "the", "of", "in", "on", "to", "is", "are", "its", "it", "their", "they",
    "them", "every", "each", "one", "two", "with", "from", "for", "by", "at", "as", "all", "since",
    "after", "this", "that", "still", "no", "not", "nobody", "into", "own", "same",
})  # fmt: skip


def _matcher(templates: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a text contains one of `templates` (its slots matching any words)."""
    pattern = re.compile("|".join(_SLOT.sub(".+?", re.escape(t)) for t in templates))
    return lambda text: pattern.search(text) is not None


TELLS_TRIGGER = _matcher(TRIGGER_TEMPLATES)
TELLS_NOT_US = _matcher(NOT_US_PARTNER_OPENINGS + NOT_US_PUBLIC_SENTENCES)
#: A vendor's activity shows as its verb phrase (third or first person) or its noun phrase.
TELLS_CONTRAST = _matcher(
    CONTRAST_SENTENCES
    + tuple(verb.split(" ", 1)[1] for verb, _ in VENDOR_ACTIVITIES)
    + tuple(noun.split(" ", 1)[1] for _, noun in VENDOR_ACTIVITIES)
)


@pytest.fixture(scope="module")
def population() -> seed.SeedData:
    return seed.generate(7, 20_000, 2.0, as_of=AS_OF)


def _share(companies: list[seed.SeedCompany], theme: TextTheme) -> float:
    return sum(c.text_theme == theme for c in companies) / len(companies)


def test_given_the_same_seed_when_generated_twice_then_the_descriptions_are_identical() -> None:
    first = seed.generate(42, 300, as_of=AS_OF)
    again = seed.generate(42, 300, as_of=AS_OF)
    other = seed.generate(43, 300, as_of=AS_OF)

    assert [(c.description, c.text_theme) for c in first.companies] == [
        (c.description, c.text_theme) for c in again.companies
    ]
    assert [c.description for c in first.companies] != [c.description for c in other.companies]
    assert len({c.description for c in first.companies}) > 280


def test_given_descriptions_when_seeded_then_only_deal_outcomes_differ_from_the_text_free_seed() -> (
    None
):
    rng = random.Random(9)
    generator = seed._Generator(rng, epoch_ms(AS_OF))
    bare = [generator.company(index) for index in range(1_500)]
    bare_deals = [
        generator.deal(0, company, true_icp_probability(company))
        for company in bare
        for _ in range(seed._poisson(rng, 2.0))
    ]

    data = seed.generate(9, 1_500, 2.0, as_of=AS_OF)

    def outcome_free(deal: seed.SeedDeal) -> seed.SeedDeal:
        return replace(deal, index=0, stage="closed" if deal.is_closed else deal.stage)

    assert [replace(c, description="", text_theme="plain") for c in data.companies] == bare
    assert [outcome_free(d) for d in data.deals] == [outcome_free(d) for d in bare_deals]
    changed = [d for d, b in zip(data.deals, bare_deals, strict=True) if d.stage != b.stage]
    assert changed
    assert all(data.companies[d.company_index].text_theme in ("trigger", "not_us") for d in changed)


def test_given_20000_companies_then_each_theme_holds_its_share(
    population: seed.SeedData,
) -> None:
    companies = list(population.companies)
    not_trigger = [c for c in companies if c.text_theme != "trigger"]

    assert 0.25 <= _share(companies, "trigger") <= 0.35
    assert 0.03 <= _share(companies, "blank") <= 0.07
    assert 0.03 <= _share(companies, "not_us") <= 0.05
    assert 0.08 <= _share(not_trigger, "contrast") <= 0.12


@pytest.mark.parametrize("theme", ["trigger", "not_us"])
def test_given_20000_companies_then_the_theme_is_as_common_in_every_industry_group_and_size_band(
    population: seed.SeedData, theme: TextTheme
) -> None:
    companies = list(population.companies)
    overall = _share(companies, theme)

    def industry_group(company: seed.SeedCompany) -> str:
        if company.industry is None:
            return "unknown"
        if company.industry in EXACT_FIT_INDUSTRIES:
            return "exact"
        return "adjacent" if company.industry in ADJACENT_FIT_INDUSTRIES else "other"

    def size_band(company: seed.SeedCompany) -> str:
        employees = company.employees
        if employees is None:
            return "unknown"
        return "<50" if employees < 50 else "<200" if employees < 200 else "<2000" if (
            employees < 2_000
        ) else "2000+"  # fmt: skip

    for grouping in (industry_group, size_band, lambda c: str(min(len(c.buying_signals), 3))):
        groups: dict[str, list[seed.SeedCompany]] = {}
        for company in companies:
            groups.setdefault(grouping(company), []).append(company)
        rates = {name: round(_share(group, theme), 3) for name, group in groups.items()}
        assert all(abs(rate - overall) < 0.04 for rate in rates.values()), (overall, rates)


def test_given_20000_companies_then_descriptions_are_crm_sized_and_fully_rendered(
    population: seed.SeedData,
) -> None:
    sentence_end = re.compile(r"[.!?]['\")]?(?:\s|$)")
    for company in population.companies:
        text = company.description
        if company.text_theme == "blank":
            assert text in PLACEHOLDERS
            continue
        assert MIN_CHARS <= len(text) <= MAX_CHARS, text
        assert 1 <= len(sentence_end.findall(text)) <= 4, text
        assert not re.search(r"[{}]| {2}", text), text  # every slot filled, no gap left
    assert Counter(c.description for c in population.companies).most_common(1)[0][0] == ""


def test_given_20000_companies_then_each_theme_shows_in_its_own_texts_only(
    population: seed.SeedData,
) -> None:
    for company in population.companies:
        text, theme = company.description, company.text_theme
        assert TELLS_TRIGGER(text) == (theme == "trigger"), text
        assert TELLS_NOT_US(text) == (theme == "not_us"), text
        assert TELLS_CONTRAST(text) == (theme == "contrast"), text


def test_given_the_trigger_then_it_is_written_many_ways_with_no_word_common_to_most(
    population: seed.SeedData,
) -> None:
    words_of = [set(re.findall(r"[a-z]+", template.lower())) - _STOPWORDS
                for template in TRIGGER_TEMPLATES]  # fmt: skip
    frequency = Counter(word for words in words_of for word in words)
    used = {
        template
        for template in TRIGGER_TEMPLATES
        if any(_matcher((template,))(c.description) for c in population.companies[:3_000])
    }

    assert len(set(TRIGGER_TEMPLATES)) >= 25
    assert frequency.most_common(1)[0][1] < 0.25 * len(TRIGGER_TEMPLATES), frequency.most_common(5)
    assert len(used) >= 25


def test_given_first_person_descriptions_then_their_verbs_are_plural(
    population: seed.SeedData,
) -> None:
    first_person = re.compile(r"^We (\w+)(?: and (\w+))?")
    verbs: Counter[str] = Counter()
    for company in population.companies:
        found = first_person.match(company.description)
        if found:
            verbs.update(v for v in found.groups() if v)

    assert len(verbs) > 20
    assert [verb for verb in verbs if verb.endswith("s") and verb != "process"] == []


def test_given_20000_companies_then_deals_are_won_far_more_often_with_the_trigger(
    population: seed.SeedData,
) -> None:
    won: Counter[TextTheme] = Counter()
    closed: Counter[TextTheme] = Counter()
    for deal in population.deals:
        if deal.is_closed:
            theme = population.companies[deal.company_index].text_theme
            closed[theme] += 1
            won[theme] += deal.is_won
    rate = {theme: won[theme] / closed[theme] for theme in closed}
    without = sum(won[t] for t in closed if t != "trigger") / sum(
        closed[t] for t in closed if t != "trigger"
    )

    assert rate["trigger"] > without + 0.2
    assert rate["trigger"] > 1.5 * rate["plain"]
    assert rate["not_us"] < rate["plain"] - 0.15
    assert abs(rate["contrast"] - rate["plain"]) < 0.05  # the words alone change nothing


def test_given_a_company_when_a_lead_retells_it_then_the_theme_holds_in_other_words() -> None:
    companies = seed.generate(4, 400, as_of=AS_OF).companies
    describer = Describer.for_seed(4, "lead-descriptions")

    retold = [(c, describer.retell(Subject.of(c), c.text_theme)) for c in companies]

    for company, text in retold:
        if text in PLACEHOLDERS:
            continue
        assert TELLS_TRIGGER(text) == (company.text_theme == "trigger"), text
        assert TELLS_NOT_US(text) == (company.text_theme == "not_us"), text
    assert sum(text != c.description for c, text in retold) > 390
    assert 5 <= sum(text in PLACEHOLDERS for _, text in retold) <= 45


def test_given_new_companies_for_inbound_then_they_carry_descriptions_too() -> None:
    made = seed.NewCompanies(3, as_of_ms=epoch_ms(AS_OF))

    companies = [made.next() for _ in range(300)]

    assert sum(bool(c.description) for c in companies) > 270
    assert 0.2 < sum(c.text_theme == "trigger" for c in companies) / 300 < 0.4
