"""Deterministic seed data for the CRM sandboxes: companies and their deals.

`generate(seed=7, companies=200)` always returns the same records for the same arguments
(`random.Random(seed)`, no set iteration, no wall clock unless `as_of` is left to the caller).
The records are CRM-neutral: HubSpot's industry values (upper-snake) and deal stage ids are used
as the canonical vocabulary, and each sandbox renders them in its own CRM's shape.

What is in it, roughly (20,000 companies are generated in well under a second):
- names and unique business domains; ~1.5 % of companies are people signed up with a personal
  e-mail domain (gmail.com, …), which of course repeat across companies;
- ~20 industries with a skewed distribution (software and IT services most common), ~4 % empty;
- log-normal headcount (median ~180, a few % under 10, ~4 % empty), revenue per employee by
  industry (~12 % empty), countries / states / cities with a US-heavy mix;
- a `;`-joined tech stack and 0-5 buying signals, a last-activity time (~18 % empty);
- ~1 % archived companies, ~0.5 % archived deals;
- deals (Poisson, mean `deals_per_company`) whose closed-won / closed-lost outcome follows the
  hidden "true ICP" below, so a backtest of a rubric has something real to find.

The hidden true ICP (`true_icp_logit`, `true_icp_probability`, `is_true_icp`) is a logistic
function of industry fit, a 200-2,000 employee sweet spot, the number of buying signals and the
overlap with a complementary sales/data stack; each company adds Gaussian noise (sd 0.5) to the
logit once, and each of its closed deals is won with the resulting probability.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

DAY_MS = 86_400_000
_EPOCH_DATE = date(1970, 1, 1)
_T = TypeVar("_T")

# --- vocabularies -------------------------------------------------------------------------

#: Industries the generator uses (HubSpot values) with their relative frequency.
INDUSTRY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("COMPUTER_SOFTWARE", 14.0),
    ("INFORMATION_TECHNOLOGY_AND_SERVICES", 12.0),
    ("INTERNET", 8.0),
    ("FINANCIAL_SERVICES", 7.0),
    ("MARKETING_AND_ADVERTISING", 7.0),
    ("HOSPITAL_HEALTH_CARE", 6.0),
    ("RETAIL", 6.0),
    ("MANAGEMENT_CONSULTING", 5.0),
    ("STAFFING_AND_RECRUITING", 4.0),
    ("CONSTRUCTION", 4.0),
    ("TELECOMMUNICATIONS", 3.0),
    ("COMPUTER_NETWORK_SECURITY", 3.0),
    ("MACHINERY", 3.0),
    ("REAL_ESTATE", 3.0),
    ("INSURANCE", 3.0),
    ("EDUCATION_MANAGEMENT", 2.5),
    ("LOGISTICS_AND_SUPPLY_CHAIN", 2.5),
    ("BANKING", 2.0),
    ("AUTOMOTIVE", 2.0),
    ("GOVERNMENT_ADMINISTRATION", 2.0),
    ("NON_PROFIT_ORGANIZATION_MANAGEMENT", 1.0),
)
INDUSTRIES: tuple[str, ...] = tuple(name for name, _ in INDUSTRY_WEIGHTS)

#: Industries the hidden true ICP likes best, and those it likes half as much.
EXACT_FIT_INDUSTRIES: tuple[str, ...] = (
    "COMPUTER_SOFTWARE",
    "INTERNET",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
)
ADJACENT_FIT_INDUSTRIES: tuple[str, ...] = (
    "FINANCIAL_SERVICES",
    "MARKETING_AND_ADVERTISING",
    "MANAGEMENT_CONSULTING",
    "STAFFING_AND_RECRUITING",
    "TELECOMMUNICATIONS",
    "COMPUTER_NETWORK_SECURITY",
)

#: Every tool that can appear in a company's stack (HubSpot `web_technologies` option values).
TECHNOLOGIES: tuple[str, ...] = (
    "Salesforce",
    "HubSpot",
    "Outreach",
    "Salesloft",
    "Gong",
    "ZoomInfo",
    "Segment",
    "Snowflake",
    "Slack",
    "Zendesk",
    "Jira",
    "Intercom",
)
#: The tools the hidden true ICP counts as a complementary stack.
COMPLEMENTARY_STACK: tuple[str, ...] = TECHNOLOGIES[:8]
_TECH_BASE_RATE: tuple[float, ...] = (
    0.32,
    0.28,
    0.12,
    0.08,
    0.10,
    0.12,
    0.10,
    0.11,
    0.45,
    0.20,
    0.30,
    0.15,
)

#: Values of the custom multi-checkbox property `icp_buying_signals`.
BUYING_SIGNALS: tuple[str, ...] = (
    "hiring",
    "funding",
    "leadership_change",
    "intent_surge",
    "expansion",
)
_SIGNAL_COUNT_WEIGHTS: tuple[float, ...] = (45.0, 25.0, 15.0, 9.0, 4.0, 2.0)

PERSONAL_EMAIL_DOMAINS: tuple[str, ...] = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
)

#: HubSpot's default sales pipeline, in order; the last two are closed.
OPEN_DEAL_STAGES: tuple[str, ...] = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)
_OPEN_STAGE_WEIGHTS: tuple[float, ...] = (30.0, 25.0, 20.0, 15.0, 10.0)
WON_STAGE = "closedwon"
LOST_STAGE = "closedlost"
DEAL_STAGES: tuple[str, ...] = (*OPEN_DEAL_STAGES, WON_STAGE, LOST_STAGE)

# (country, weight, top-level domain, ((state, (city, …)), …))
_GEOGRAPHY: tuple[tuple[str, float, str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "United States",
        55.0,
        "com",
        (
            ("CA", ("San Francisco", "Los Angeles", "San Diego", "San Jose", "Palo Alto")),
            ("NY", ("New York", "Brooklyn", "Buffalo")),
            ("TX", ("Austin", "Dallas", "Houston")),
            ("MA", ("Boston", "Cambridge")),
            ("WA", ("Seattle", "Bellevue")),
            ("IL", ("Chicago",)),
            ("CO", ("Denver", "Boulder")),
            ("GA", ("Atlanta",)),
            ("FL", ("Miami", "Tampa")),
            ("NC", ("Raleigh", "Charlotte")),
            ("UT", ("Salt Lake City", "Lehi")),
            ("PA", ("Philadelphia", "Pittsburgh")),
            ("OH", ("Columbus", "Cleveland")),
            ("MN", ("Minneapolis",)),
            ("VA", ("Reston", "Arlington")),
        ),
    ),
    (
        "United Kingdom",
        10.0,
        "co.uk",
        (("England", ("London", "Manchester", "Bristol")), ("Scotland", ("Edinburgh",))),
    ),
    ("Germany", 8.0, "de", (("Berlin", ("Berlin",)), ("Bavaria", ("Munich",)))),
    ("Canada", 6.0, "ca", (("ON", ("Toronto", "Ottawa")), ("BC", ("Vancouver",)))),
    ("France", 5.0, "fr", (("Île-de-France", ("Paris",)), ("Auvergne-Rhône-Alpes", ("Lyon",)))),
    ("Australia", 4.0, "com.au", (("NSW", ("Sydney",)), ("VIC", ("Melbourne",)))),
    ("Netherlands", 3.0, "nl", (("North Holland", ("Amsterdam",)),)),
    ("India", 3.0, "in", (("Karnataka", ("Bengaluru",)), ("Maharashtra", ("Mumbai", "Pune")))),
    ("Sweden", 2.0, "se", (("Stockholm County", ("Stockholm",)),)),
    ("Spain", 2.0, "es", (("Madrid", ("Madrid",)), ("Catalonia", ("Barcelona",)))),
    ("Ireland", 2.0, "ie", (("Leinster", ("Dublin",)),)),
)
_COUNTRY_WEIGHTS = tuple(weight for _, weight, _, _ in _GEOGRAPHY)

_STEMS_A = (
    "North", "Blue", "Bright", "Iron", "Silver", "Red", "Green", "Clear", "Swift", "Summit",
    "Pine", "Cedar", "Harbor", "Granite", "Nova", "Astra", "Vertex", "Quantum", "Lumen", "Atlas",
    "Beacon", "Crest", "Delta", "Echo", "Falcon", "Golden", "Helix", "Indigo", "Juniper",
    "Kestrel", "Lattice", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "River", "Sage",
    "Terra", "Vector", "Willow", "Zenith", "Apex", "Boreal", "Cobalt", "Drift", "Ember", "Fathom",
    "Glacier", "Horizon", "Jade", "Keystone", "Meridian", "Nexus", "Onyx", "Polar", "Radiant",
    "Sierra", "Tidal", "Vista", "West", "Zephyr", "Arc", "Bold", "Core", "Dune", "Oak", "Hollow",
)  # fmt: skip
_STEMS_B = (
    "wind", "field", "stone", "bridge", "point", "gate", "wave", "line", "path", "works",
    "forge", "light", "spark", "ridge", "bay", "rock", "view", "well", "wood", "mark", "scale",
    "shift", "stack", "loop", "grid", "leaf", "peak", "port", "sync", "ware", "craft", "lane",
)  # fmt: skip
_SURNAMES = (
    "Hartley", "Morgan", "Whitaker", "Okafor", "Lindqvist", "Moreau", "Castillo", "Nakamura",
    "Brennan", "Fischer", "Patel", "Kowalski", "Sullivan", "Haddad", "Andersen", "Reyes",
)  # fmt: skip
_FIRST_NAMES = (
    "Jane", "John", "Priya", "Lucas", "Maria", "Tom", "Aisha", "Chen", "Elena", "Sam",
)  # fmt: skip
_NOUNS_TECH = ("Software", "Labs", "Analytics", "Cloud", "Systems", "Technologies", "AI", "Data")
_NOUNS_SERVICES = ("Partners", "Group", "Advisors", "Consulting", "Associates", "Solutions")
_NOUNS_BY_INDUSTRY: dict[str, tuple[str, ...]] = {
    "COMPUTER_SOFTWARE": _NOUNS_TECH,
    "INFORMATION_TECHNOLOGY_AND_SERVICES": ("IT", "Systems", "Technologies", "Digital", "Tech"),
    "INTERNET": ("Online", "Digital", "Media", "Web", "Apps"),
    "FINANCIAL_SERVICES": ("Capital", "Payments", "Finance", "Wealth", "Pay"),
    "MARKETING_AND_ADVERTISING": ("Media", "Marketing", "Creative", "Agency", "Brands"),
    "HOSPITAL_HEALTH_CARE": ("Health", "Care", "Medical", "Clinics", "Hospital"),
    "RETAIL": ("Outfitters", "Stores", "Market", "Goods", "Supply"),
    "MANAGEMENT_CONSULTING": _NOUNS_SERVICES,
    "STAFFING_AND_RECRUITING": ("Talent", "Staffing", "Recruiting", "People", "Search"),
    "CONSTRUCTION": ("Builders", "Construction", "Contracting", "Build", "Structures"),
    "TELECOMMUNICATIONS": ("Telecom", "Networks", "Communications", "Connect", "Wireless"),
    "COMPUTER_NETWORK_SECURITY": ("Security", "Cyber", "Defense", "Shield", "Secure"),
    "MACHINERY": ("Machines", "Industrial", "Engineering", "Manufacturing", "Tools"),
    "REAL_ESTATE": ("Properties", "Realty", "Estates", "Homes", "Real Estate"),
    "INSURANCE": ("Insurance", "Assurance", "Underwriters", "Mutual", "Cover"),
    "EDUCATION_MANAGEMENT": ("Learning", "Academy", "Education", "Schools", "Institute"),
    "LOGISTICS_AND_SUPPLY_CHAIN": ("Logistics", "Freight", "Supply Chain", "Shipping", "Cargo"),
    "BANKING": ("Bank", "Bancorp", "Savings", "Trust", "Financial"),
    "AUTOMOTIVE": ("Motors", "Automotive", "Mobility", "Auto", "Parts"),
    "GOVERNMENT_ADMINISTRATION": ("County", "Agency", "Authority", "Department", "Office"),
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": ("Foundation", "Trust", "Alliance", "Fund", "Society"),
}
# Median revenue per employee (USD) by industry; others use the default.
_REVENUE_PER_EMPLOYEE: dict[str, float] = {
    "COMPUTER_SOFTWARE": 230_000.0,
    "INTERNET": 260_000.0,
    "FINANCIAL_SERVICES": 300_000.0,
    "BANKING": 320_000.0,
    "INSURANCE": 280_000.0,
    "RETAIL": 140_000.0,
    "STAFFING_AND_RECRUITING": 110_000.0,
    "GOVERNMENT_ADMINISTRATION": 90_000.0,
    "NON_PROFIT_ORGANIZATION_MANAGEMENT": 70_000.0,
}
_DEFAULT_REVENUE_PER_EMPLOYEE = 170_000.0
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_DEAL_KINDS = ("New Business", "Expansion", "Renewal", "Pilot", "Platform", "Team Plan")

# --- records -------------------------------------------------------------------------------


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


# --- the hidden true ICP -------------------------------------------------------------------


def industry_fit(industry: str | None) -> float:
    """1 for the best-fit industries, 0.5 for adjacent ones, else 0."""
    if industry in EXACT_FIT_INDUSTRIES:
        return 1.0
    if industry in ADJACENT_FIT_INDUSTRIES:
        return 0.5
    return 0.0


def size_fit(employees: int | None) -> float:
    """1 inside the 200-2,000 sweet spot, 0.5 for 50-199 and 2,000-9,999, 0.25 when unknown."""
    if employees is None:
        return 0.25
    if 200 <= employees < 2_000:
        return 1.0
    if 50 <= employees < 200 or 2_000 <= employees < 10_000:
        return 0.5
    return 0.0


def true_icp_logit(
    *,
    industry: str | None,
    employees: int | None,
    buying_signals: int,
    stack_overlap: int,
    personal_domain: bool = False,
) -> float:
    """The hidden true ICP's log-odds of winning a deal, before the company's noise:

        -4.2 + 2.0·industry_fit + 1.8·size_fit + 0.55·min(signals, 4) + 0.4·min(overlap, 4)

    minus 3 for people on a personal e-mail domain or companies under 10 employees (they
    rarely buy). Revenue, country and recency play no part: a rubric that leans on them should
    validate worse than one that does not.
    """
    logit = (
        -4.2
        + 2.0 * industry_fit(industry)
        + 1.8 * size_fit(employees)
        + 0.55 * min(buying_signals, 4)
        + 0.4 * min(stack_overlap, 4)
    )
    if personal_domain or (employees is not None and employees < 10):
        logit -= 3.0
    return logit


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def true_icp_probability(company: SeedCompany, *, with_noise: bool = True) -> float:
    """Probability that a closed deal of this company is won (the company's noise included
    unless `with_noise=False`)."""
    logit = true_icp_logit(
        industry=company.industry,
        employees=company.employees,
        buying_signals=len(company.buying_signals),
        stack_overlap=company.stack_overlap,
        personal_domain=company.domain in PERSONAL_EMAIL_DOMAINS,
    )
    return _sigmoid(logit + (company.icp_noise if with_noise else 0.0))


def is_true_icp(company: SeedCompany) -> bool:
    """A company is "true ICP" when the noiseless win probability is at least one half."""
    return true_icp_probability(company, with_noise=False) >= 0.5


# --- formatting helpers ---------------------------------------------------------------------


def iso_ms(epoch_ms: int) -> str:
    """`2024-08-15T17:09:13.648Z`: HubSpot's datetime format."""
    days, in_day = divmod(epoch_ms, DAY_MS)
    seconds, millis = divmod(in_day, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_iso_day(days)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@lru_cache(maxsize=8_192)
def _iso_day(days_since_epoch: int) -> str:
    return (_EPOCH_DATE + timedelta(days=days_since_epoch)).isoformat()


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def default_as_of() -> datetime:
    """The start of the current UTC day: records are the same all day for the same seed, and
    "days since last activity" stays realistic whenever the sandbox is started."""
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


# --- the generator -------------------------------------------------------------------------


def generate(
    seed: int = 7,
    companies: int = 200,
    deals_per_company: float = 2.0,
    *,
    as_of: datetime | date | None = None,
) -> SeedData:
    """Companies and deals, the same for the same arguments. `as_of` (default: the start of
    today, UTC) is the newest time any record carries."""
    if companies < 0:
        raise ValueError(f"companies must be >= 0, got {companies}")
    if not 0 <= deals_per_company <= 50:
        raise ValueError(f"deals_per_company must be within 0..50, got {deals_per_company}")
    if as_of is None:
        as_of = default_as_of()
    elif not isinstance(as_of, datetime):
        as_of = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    as_of_ms = epoch_ms(as_of)
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    generator = _Generator(rng, as_of_ms)
    made = tuple(generator.company(index) for index in range(companies))
    deals: list[SeedDeal] = []
    for company in made:
        win_probability = true_icp_probability(company)
        for _ in range(_poisson(rng, deals_per_company)):
            deals.append(generator.deal(len(deals), company, win_probability))
    return SeedData(seed=seed, as_of_ms=as_of_ms, companies=made, deals=tuple(deals))


class NewCompanies:
    """Companies beyond the seed's, one at a time, for simulated inbound traffic: the same
    vocabularies and distributions as `generate` (names, domains, industries, sizes, stacks,
    signals, ~1.5 % personal e-mail domains), with business domains unique against
    `taken_domains` and each other. Times are the generator's (in the past of `as_of_ms`): a
    caller that creates the company now uses only its firmographics."""

    def __init__(self, seed: int, *, as_of_ms: int, taken_domains: Iterable[str] = ()) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
        self._generator = _Generator(self.rng, as_of_ms)
        self._generator.domains.update(taken_domains)
        self._index = 0

    def next(self) -> SeedCompany:
        company = self._generator.company(self._index)
        self._index += 1
        return company

    def person(self) -> tuple[str, str]:
        """A first and last name from the seed's vocabulary."""
        return self.rng.choice(_FIRST_NAMES), self.rng.choice(_SURNAMES)


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
        self._country_cum = _cumulative(list(_COUNTRY_WEIGHTS))
        self._signal_cum = _cumulative(list(_SIGNAL_COUNT_WEIGHTS))
        self._stage_cum = _cumulative(list(_OPEN_STAGE_WEIGHTS))

    def _pick(self, options: Sequence[str], cumulative: list[float]) -> str:
        return options[bisect_right(cumulative, self.rng.random() * cumulative[-1])]

    def _choice(self, options: Sequence[_T]) -> _T:
        return options[int(self.rng.random() * len(options))]

    def company(self, index: int) -> SeedCompany:
        rng = self.rng
        personal = rng.random() < 0.015
        industry: str | None = self._pick(INDUSTRIES, self._industry_cum)
        country_index = bisect_right(self._country_cum, rng.random() * self._country_cum[-1])
        country_name, _, tld, regions = _GEOGRAPHY[country_index]
        state_name, cities = self._choice(regions)
        country: str | None = country_name
        state: str | None = state_name
        city: str | None = self._choice(cities)

        if personal:
            first, last = self._choice(_FIRST_NAMES), self._choice(_SURNAMES)
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
            per_employee = _REVENUE_PER_EMPLOYEE.get(industry or "", _DEFAULT_REVENUE_PER_EMPLOYEE)
            revenue = _round_significant(employees * per_employee * rng.lognormvariate(0.0, 0.45))
        if rng.random() < 0.03:
            country = state = city = None

        size_boost = 1.0 if employees is None else min(2.0, 0.6 + math.log10(employees + 1) / 3)
        tech_boost = 1.5 if industry in EXACT_FIT_INDUSTRIES else 1.0
        technologies = tuple(
            tool
            for tool, rate in zip(TECHNOLOGIES, _TECH_BASE_RATE, strict=True)
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
        nouns = _NOUNS_BY_INDUSTRY.get(industry or "", _NOUNS_SERVICES)
        noun = self._choice(nouns)
        if rng.random() < 0.12:
            first, second = rng.sample(_SURNAMES, 2)
            stem = f"{first} & {second}" if rng.random() < 0.5 else first
        else:
            stem = self._choice(_STEMS_A) + self._choice(_STEMS_B)
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
        kind = self._choice(_DEAL_KINDS)
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
