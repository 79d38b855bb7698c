"""Deterministic seed data for the CRM sandboxes: companies and their deals.

`generate(seed=7, companies=200)` always returns the same records for the same arguments
(`random.Random(seed)`, no set iteration, no wall clock unless `as_of` is left to the caller).
The records are CRM-neutral: HubSpot's industry values (upper-snake) and deal stage ids are used
as the canonical vocabulary, and each sandbox renders them in its own CRM's shape.

What is in it, roughly (20,000 companies are generated in about a second):
- names and unique business domains; ~1.5 % of companies are people signed up with a personal
  e-mail domain (gmail.com, …), which of course repeat across companies;
- ~20 industries with a skewed distribution (software and IT services most common), ~4 % empty;
- log-normal headcount (median ~180, a few % under 10, ~4 % empty), revenue per employee by
  industry (~12 % empty), countries / states / cities with a US-heavy mix;
- a `;`-joined tech stack and 0-5 buying signals, a last-activity time (~18 % empty);
- ~1 % archived companies, ~0.5 % archived deals;
- a free-text description per company (`descriptions`, its own random stream), in which a
  hidden trigger of the true ICP shows, and only there;
- deals (Poisson, mean `deals_per_company`) whose closed-won / closed-lost outcome follows the
  hidden "true ICP" below, so a backtest of a rubric has something real to find;
- optionally contacts (`contacts_per_company`, `seed_contacts`), from a separate random stream.

The hidden true ICP is in `true_icp`, the vocabularies in `vocabulary`, the time helpers in
`times`.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from crm_sandbox.core.description_themes import TextTheme
from crm_sandbox.core.descriptions import Describer, describe_companies
from crm_sandbox.core.seed_contacts import SeedContact, generate_contacts
from crm_sandbox.core.times import DAY_MS, epoch_ms
from crm_sandbox.core.true_icp import true_icp_probability
from crm_sandbox.core.vocabulary import (
    BUYING_SIGNALS,
    COMPLEMENTARY_STACK,
    COUNTRY_WEIGHTS,
    DEAL_KINDS,
    DEFAULT_REVENUE_PER_EMPLOYEE,
    EXACT_FIT_INDUSTRIES,
    FIRST_NAMES,
    GEOGRAPHY,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    LOST_STAGE,
    NOUNS_BY_INDUSTRY,
    NOUNS_SERVICES,
    OPEN_DEAL_STAGES,
    OPEN_STAGE_WEIGHTS,
    PERSONAL_EMAIL_DOMAINS,
    REVENUE_PER_EMPLOYEE,
    SIGNAL_COUNT_WEIGHTS,
    STEMS_A,
    STEMS_B,
    SURNAMES,
    TECH_BASE_RATE,
    TECHNOLOGIES,
    WON_STAGE,
)

_T = TypeVar("_T")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class SeedCompany:
    """One generated company. Times are epoch milliseconds (UTC); None = empty in the CRM."""

    index: int
    name: str
    domain: str
    industry: str | None
    employees: int | None
    annual_revenue: int | None
    country: str | None
    state: str | None
    city: str | None
    technologies: tuple[str, ...]
    buying_signals: tuple[str, ...]
    last_activity_ms: int | None
    created_ms: int
    modified_ms: int
    archived: bool
    icp_noise: float  # the company's draw of the true ICP's noise term
    description: str = ""  # free text, "" when empty (`descriptions`)
    text_theme: TextTheme = "plain"  # what the description says, hidden (`descriptions`)

    @property
    def stack_overlap(self) -> int:
        return sum(1 for tool in self.technologies if tool in COMPLEMENTARY_STACK)


@dataclass(frozen=True, slots=True)
class SeedDeal:
    """One generated deal of `company_index`. `stage` is a HubSpot default-pipeline stage id."""

    index: int
    company_index: int
    name: str
    amount: int | None
    stage: str
    deal_type: str
    close_ms: int
    created_ms: int
    modified_ms: int
    archived: bool

    @property
    def is_closed(self) -> bool:
        return self.stage in (WON_STAGE, LOST_STAGE)

    @property
    def is_won(self) -> bool:
        return self.stage == WON_STAGE


@dataclass(frozen=True, slots=True)
class SeedData:
    seed: int
    as_of_ms: int
    companies: tuple[SeedCompany, ...]
    deals: tuple[SeedDeal, ...]
    contacts: tuple[SeedContact, ...] = ()
    deal_contacts: tuple[tuple[int, int], ...] = ()  # (deal index, contact index)


def default_as_of() -> datetime:
    """The start of the current UTC day: records are the same all day for the same seed, and
    "days since last activity" stays realistic whenever the sandbox is started."""
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def resolve_as_of(as_of: datetime | date | None) -> datetime:
    """The instant seed data is dated from: `as_of`, a date's midnight UTC, or by default the
    start of today."""
    if as_of is None:
        return default_as_of()
    if isinstance(as_of, datetime):
        return as_of
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)


def generate(
    seed: int = 7,
    companies: int = 200,
    deals_per_company: float = 2.0,
    *,
    as_of: datetime | date | None = None,
    contacts_per_company: float = 0.0,
) -> SeedData:
    """Companies and deals, the same for the same arguments, and `contacts_per_company`
    contacts per company on average (`seed_contacts`: their own random stream, so the
    companies and deals do not depend on it). `as_of` (default: the start of today, UTC) is the
    newest time any record carries."""
    if companies < 0:
        raise ValueError(f"companies must be >= 0, got {companies}")
    if not 0 <= deals_per_company <= 50:
        raise ValueError(f"deals_per_company must be within 0..50, got {deals_per_company}")
    as_of_ms = epoch_ms(resolve_as_of(as_of))
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    generator = _Generator(rng, as_of_ms)
    made = describe_companies(seed, (generator.company(index) for index in range(companies)))
    deals: list[SeedDeal] = []
    for company in made:
        win_probability = true_icp_probability(company)
        for _ in range(_poisson(rng, deals_per_company)):
            deals.append(generator.deal(len(deals), company, win_probability))
    contacts, deal_contacts = generate_contacts(seed, made, deals, contacts_per_company, as_of_ms)
    return SeedData(
        seed=seed,
        as_of_ms=as_of_ms,
        companies=made,
        deals=tuple(deals),
        contacts=contacts,
        deal_contacts=deal_contacts,
    )


class NewCompanies:
    """Companies beyond the seed's, one at a time, for simulated inbound traffic: the same
    vocabularies and distributions as `generate` (names, domains, industries, sizes, stacks,
    signals, ~1.5 % personal e-mail domains, descriptions), with business domains unique
    against `taken_domains` and each other. Times are the generator's (in the past of
    `as_of_ms`): a caller that creates the company now uses only its firmographics and text."""

    def __init__(self, seed: int, *, as_of_ms: int, taken_domains: Iterable[str] = ()) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
        self._generator = _Generator(self.rng, as_of_ms)
        self._generator.domains.update(taken_domains)
        self._describer = Describer.for_seed(seed)
        self._index = 0

    def next(self) -> SeedCompany:
        company = self._describer.company(self._generator.company(self._index))
        self._index += 1
        return company

    def person(self) -> tuple[str, str]:
        """A first and last name from the seed's vocabulary."""
        return self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _Generator:
    def __init__(self, rng: random.Random, as_of_ms: int) -> None:
        self.rng = rng
        self.as_of_ms = as_of_ms
        self.domains: set[str] = set()  # membership only, never iterated
        self._industry_cum = _cumulative([w for _, w in INDUSTRY_WEIGHTS])
        self._country_cum = _cumulative(list(COUNTRY_WEIGHTS))
        self._signal_cum = _cumulative(list(SIGNAL_COUNT_WEIGHTS))
        self._stage_cum = _cumulative(list(OPEN_STAGE_WEIGHTS))

    def _pick(self, options: Sequence[str], cumulative: list[float]) -> str:
        return options[bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def _choice(self, options: Sequence[_T]) -> _T:
        return options[int(self.rng.random() * len(options))]

    def company(self, index: int) -> SeedCompany:
        rng = self.rng
        personal = rng.random() < 0.015
        industry: str | None = self._pick(INDUSTRIES, self._industry_cum)
        country_index = bisect_right(self._country_cum, rng.random() * self._country_cum[-1])
        country_name, _, tld, regions = GEOGRAPHY[country_index]
        state_name, cities = self._choice(regions)
        country: str | None = country_name
        state: str | None = state_name
        city: str | None = self._choice(cities)

        if personal:
            first, last = self._choice(FIRST_NAMES), self._choice(SURNAMES)
            name = f"{first} {last}" if rng.random() < 0.6 else f"{first} {last} Consulting"
            domain = self._choice(PERSONAL_EMAIL_DOMAINS)
            employees: int | None = rng.randint(1, 5)
        else:
            name, domain = self._name_and_domain(industry, tld)
            employees = max(1, min(250_000, round(rng.lognormvariate(math.log(180.0), 1.5))))
        if rng.random() < 0.04:
            industry = None
        if rng.random() < 0.04:
            employees = None
        revenue: int | None = None
        if employees is not None and rng.random() >= 0.12:
            per_employee = REVENUE_PER_EMPLOYEE.get(industry or "", DEFAULT_REVENUE_PER_EMPLOYEE)
            revenue = _round_significant(employees * per_employee * rng.lognormvariate(0.0, 0.45))
        if rng.random() < 0.03:
            country = state = city = None

        size_boost = 1.0 if employees is None else min(2.0, 0.6 + math.log10(employees + 1) / 3)
        tech_boost = 1.5 if industry in EXACT_FIT_INDUSTRIES else 1.0
        technologies = tuple(
            tool
            for tool, rate in zip(TECHNOLOGIES, TECH_BASE_RATE, strict=True)
            if rng.random() < min(0.95, rate * size_boost * tech_boost)
        )
        signal_count = int(self._pick("012345", self._signal_cum))
        signals = tuple(sorted(rng.sample(range(len(BUYING_SIGNALS)), signal_count)))

        created = self.as_of_ms - int(rng.uniform(30, 1_100) * DAY_MS)
        # Most records were last touched recently, a few long ago.
        modified = self.as_of_ms - int((self.as_of_ms - created) * rng.random() ** 2.5)
        last_activity: int | None = None
        if rng.random() >= 0.18:
            ago = min(int(rng.expovariate(1 / 60) * DAY_MS), self.as_of_ms - created)
            last_activity = self.as_of_ms - ago
        return SeedCompany(
            index=index,
            name=name,
            domain=domain,
            industry=industry,
            employees=employees,
            annual_revenue=revenue,
            country=country,
            state=state,
            city=city,
            technologies=technologies,
            buying_signals=tuple(BUYING_SIGNALS[i] for i in signals),
            last_activity_ms=last_activity,
            created_ms=created,
            modified_ms=max(modified, created, last_activity or 0),
            archived=rng.random() < 0.01,
            icp_noise=rng.gauss(0.0, 0.5),
        )

    def _name_and_domain(self, industry: str | None, tld: str) -> tuple[str, str]:
        rng = self.rng
        nouns = NOUNS_BY_INDUSTRY.get(industry or "", NOUNS_SERVICES)
        noun = self._choice(nouns)
        if rng.random() < 0.12:
            first, second = rng.sample(SURNAMES, 2)
            stem = f"{first} & {second}" if rng.random() < 0.5 else first
        else:
            stem = self._choice(STEMS_A) + self._choice(STEMS_B)
        name = f"{stem} {noun}"
        slug_stem = _slug(stem)
        slug_full = _slug(name)
        tech_tld = self._choice(("io", "ai", "co")) if tld == "com" else tld
        candidates = (
            f"{slug_full}.{tld}",
            f"{slug_stem}.{tech_tld}",
            f"{slug_stem}{_slug(noun)[:3]}.{tld}",
            f"get{slug_full}.{tld}",
        )
        for domain in candidates:
            if domain not in self.domains:
                self.domains.add(domain)
                return name, domain
        number = 2
        while f"{slug_full}{number}.{tld}" in self.domains:
            number += 1
        domain = f"{slug_full}{number}.{tld}"
        self.domains.add(domain)
        return name, domain

    def deal(self, index: int, company: SeedCompany, win_probability: float) -> SeedDeal:
        rng = self.rng
        created = company.created_ms + int((self.as_of_ms - company.created_ms) * rng.random())
        age_days = (self.as_of_ms - created) / DAY_MS
        closed = rng.random() < (0.85 if age_days > 90 else 0.35)
        if closed:
            won = rng.random() < win_probability
            stage = WON_STAGE if won else LOST_STAGE
            close = min(self.as_of_ms, created + int(rng.uniform(7, 150) * DAY_MS))
            modified = close + int((self.as_of_ms - close) * rng.random() ** 4)
        else:
            stage = self._pick(OPEN_DEAL_STAGES, self._stage_cum)
            close = self.as_of_ms + int(rng.uniform(7, 120) * DAY_MS)
            modified = created + int((self.as_of_ms - created) * rng.random() ** 0.5)
        employees = company.employees or 50
        amount: int | None = None
        if rng.random() >= 0.03:
            amount = round(8_000 * (employees / 100) ** 0.4 * rng.lognormvariate(0.0, 0.5), -2)
            amount = max(500, int(amount))
        kind = self._choice(DEAL_KINDS)
        return SeedDeal(
            index=index,
            company_index=company.index,
            name=f"{company.name} – {kind}",
            amount=amount,
            stage=stage,
            deal_type="existingbusiness" if kind in ("Expansion", "Renewal") else "newbusiness",
            close_ms=close,
            created_ms=created,
            modified_ms=max(created, min(modified, self.as_of_ms)),
            archived=rng.random() < 0.005,
        )


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _slug(text: str) -> str:
    return _NOT_SLUG.sub("", text.lower())


def _round_significant(value: float, digits: int = 3) -> int:
    if value <= 0:
        return 0
    magnitude = 10 ** max(0, math.floor(math.log10(value)) - digits + 1)
    return int(round(value / magnitude) * magnitude)
