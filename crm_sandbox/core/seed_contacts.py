"""The seed's contacts: people at the seed's companies, a few with no company, a few archived, and
which of them each deal is associated with.

Drawn from their own random stream (`random.Random(f"{seed}:contacts")`), after the companies
and deals, so adding contacts changes none of the companies' and deals' values or ids; the same
seed and arguments give the same contacts. Per company, `contacts_per_company` on average (0 to 3
a company, a binomial of 3, while the average is at most 3; a Poisson above), plus one
company-less contact per 40 companies, ~2 % archived.

- Names from several languages; e-mails at the company's domain (`first.last@`, `flast@`,
  `first@` …, ASCII-folded), ~6 % at a personal domain (gmail.com, yahoo.com …), unique;
  people at a personal-domain company use one too.
- Job titles as people write them, by level (`people`), ~6 % blank; HubSpot's enrichment
  seniority (`hs_seniority`) on about half of the titled ones.
- Lifecycle stage from the company's deals (customer, opportunity, lead …); last activity,
  last contacted and times contacted for some; an owner for a quarter of them.
- Deals: each deal of a company with live contacts gets one (55 %) or two (20 %) of them.
  Won deals pick senior contacts far more often (`true_icp.contact_pick_weight`), and companies
  with a won deal have more senior contacts (C-level to director weighed `SENIOR_BOOST` times
  more), so seniority goes with winning without any deal's outcome changing.
"""

from __future__ import annotations

import itertools
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from crm_sandbox.core.people import (
    CONTACT_FIRST_NAMES,
    CONTACT_SURNAMES,
    HS_SENIORITY,
    LEVEL_WEIGHTS,
    LEVELS,
    TITLES,
    Level,
)
from crm_sandbox.core.times import DAY_MS
from crm_sandbox.core.true_icp import contact_pick_weight
from crm_sandbox.core.vocabulary import LOST_STAGE, PERSONAL_EMAIL_DOMAINS, WON_STAGE

if TYPE_CHECKING:
    from crm_sandbox.core.seed import SeedCompany, SeedDeal

DEFAULT_CONTACTS_PER_COMPANY = 1.5
"""What `icp-sync sandbox`, the demo and the benchmarks seed (a library caller asks for it)."""
SENIOR_BOOST = 2.0
OWNER_POOL = ("75100011", "75100012", "75100013")
_LEAD_STATUSES = ("NEW", "OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED")


def _level_cumulative(small: bool, won: bool) -> list[float]:
    weights = list(LEVEL_WEIGHTS)
    if small:
        weights[0] *= 3.0  # small companies: founders answer
    if won:  # where deals were won, senior people are in the CRM (`true_icp`)
        weights[:4] = [weight * SENIOR_BOOST for weight in weights[:4]]
    return list(itertools.accumulate(weights))


_LEVEL_CUMULATIVE = {(s, w): _level_cumulative(s, w) for s in (False, True) for w in (False, True)}
_PHONE_PREFIX = {"United States": "+1", "United Kingdom": "+44", "Germany": "+49", "France": "+33"}


@dataclass(frozen=True, slots=True)
class SeedContact:
    """One generated contact; `company_index` None: at no company. Empty strings are empty."""

    index: int
    company_index: int | None
    first_name: str
    last_name: str
    email: str
    job_title: str
    level: Level
    seniority: str  # HubSpot's `hs_seniority`, "" when not enriched
    company_name: str
    website: str
    phone: str
    city: str
    state: str
    country: str
    lifecycle_stage: str
    lead_status: str
    owner_id: str
    last_activity_ms: int | None
    last_contacted_ms: int | None
    times_contacted: int | None
    created_ms: int
    modified_ms: int
    archived: bool


def generate_contacts(
    seed: int,
    companies: Sequence[SeedCompany],
    deals: Sequence[SeedDeal],
    contacts_per_company: float,
    as_of_ms: int,
) -> tuple[tuple[SeedContact, ...], tuple[tuple[int, int], ...]]:
    """The contacts and the (deal index, contact index) associations."""
    if not 0 <= contacts_per_company <= 50:
        raise ValueError(f"contacts_per_company must be within 0..50, got {contacts_per_company}")
    if contacts_per_company == 0:
        return (), ()
    maker = _ContactMaker(random.Random(f"{seed}:contacts"), as_of_ms)  # noqa: S311 - fake data
    stages: dict[int, set[str]] = {}
    for deal in deals:
        stages.setdefault(deal.company_index, set()).add(deal.stage)
    made: list[SeedContact] = []
    by_company: dict[int, list[SeedContact]] = {}
    for company in companies:
        lifecycle = _lifecycle(stages.get(company.index, set()))
        won = WON_STAGE in stages.get(company.index, set())
        for _ in range(maker.count(contacts_per_company)):
            contact = maker.contact(len(made), company, lifecycle, won=won)
            made.append(contact)
            by_company.setdefault(company.index, []).append(contact)
    for _ in range(len(companies) // 40 + 1):
        made.append(maker.contact(len(made), None, "subscriber"))
    links: list[tuple[int, int]] = []
    for deal in deals:
        live = [c for c in by_company.get(deal.company_index, []) if not c.archived]
        for contact in maker.deal_contacts(live, deal.stage):
            links.append((deal.index, contact.index))
    return tuple(made), tuple(links)


def _lifecycle(stages: set[str]) -> str:
    if WON_STAGE in stages:
        return "customer"
    if stages - {LOST_STAGE}:
        return "opportunity"
    return "lead"


@lru_cache(maxsize=1_024)
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


class _ContactMaker:
    def __init__(self, rng: random.Random, as_of_ms: int) -> None:
        self.rng = rng
        self.as_of_ms = as_of_ms
        self.emails: set[str] = set()  # membership only, never iterated

    def count(self, mean: float) -> int:
        rng = self.rng
        if mean <= 3.0:
            return sum(1 for _ in range(3) if rng.random() < mean / 3.0)
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count

    def _email(self, first: str, last: str, domain: str, personal: bool) -> str:
        rng = self.rng
        f, l_ = _ascii(first) or "info", _ascii(last) or "contact"
        if personal:
            local = f"{f}.{l_}" if rng.random() < 0.6 else f"{f}{l_}{rng.randint(1, 99)}"
        else:
            local = rng.choice((f"{f}.{l_}", f"{f}.{l_}", f"{f[0]}{l_}", f, f"{f}_{l_}"))
        email, number = f"{local}@{domain}", 2
        while email in self.emails:
            email, number = f"{local}{number}@{domain}", number + 1
        self.emails.add(email)
        return email

    def contact(
        self, index: int, company: SeedCompany | None, lifecycle: str, *, won: bool = False
    ) -> SeedContact:
        rng = self.rng
        first, last = rng.choice(CONTACT_FIRST_NAMES), rng.choice(CONTACT_SURNAMES)
        small = company is not None and (company.employees or 50) < 20
        level = rng.choices(LEVELS, cum_weights=_LEVEL_CUMULATIVE[(small, won)])[0]
        title = rng.choice(TITLES[level])
        business = company is not None and company.domain not in PERSONAL_EMAIL_DOMAINS
        personal = not business or rng.random() < 0.06
        domain = rng.choice(PERSONAL_EMAIL_DOMAINS[:2]) if personal and business else ""
        domain = domain or (company.domain if company is not None else "gmail.com")
        email = "" if rng.random() < 0.01 else self._email(first, last, domain, personal)
        start = company.created_ms if company is not None else self.as_of_ms - 400 * DAY_MS
        created = start + int((self.as_of_ms - start) * rng.random())
        modified = created + int((self.as_of_ms - created) * rng.random() ** 2)
        activity = last_contacted = times = None
        if rng.random() < 0.55:
            activity = created + int((self.as_of_ms - created) * rng.random() ** 0.5)
            if rng.random() < 0.7:
                last_contacted = created + int((activity - created) * rng.random())
                times = rng.randint(1, 12)
        place = company is not None and rng.random() < 0.7
        country = (company.country or "") if place and company is not None else ""
        phone = ""
        if country in _PHONE_PREFIX and rng.random() < 0.4:
            phone = (
                f"{_PHONE_PREFIX[country]} {rng.randint(20, 989)} {rng.randint(100_000, 999_999)}"
            )
        if lifecycle == "customer" and rng.random() < 0.4:
            lifecycle = "opportunity"
        elif lifecycle == "lead":
            lifecycle = rng.choice(("lead", "lead", "subscriber", "marketingqualifiedlead",
                                    "salesqualifiedlead"))  # fmt: skip
        return SeedContact(
            index=index,
            company_index=None if company is None else company.index,
            first_name=first,
            last_name="" if rng.random() < 0.03 else last,
            email=email,
            job_title=title,
            level=level,
            seniority=HS_SENIORITY.get(level, "") if title and rng.random() < 0.5 else "",
            company_name=company.name if company is not None and rng.random() < 0.85 else "",
            website=f"https://{company.domain}"
            if business and company and rng.random() < 0.2
            else "",
            phone=phone,
            city=(company.city or "") if place and company is not None else "",
            state=(company.state or "") if place and company is not None else "",
            country=country,
            lifecycle_stage=lifecycle,
            lead_status=rng.choice(_LEAD_STATUSES)
            if lifecycle != "customer" and rng.random() < 0.5
            else "",
            owner_id=rng.choice(OWNER_POOL) if rng.random() < 0.25 else "",
            last_activity_ms=activity,
            last_contacted_ms=last_contacted,
            times_contacted=times,
            created_ms=created,
            modified_ms=max(modified, activity or 0),
            archived=rng.random() < 0.02,
        )

    def deal_contacts(self, live: list[SeedContact], stage: str) -> list[SeedContact]:
        rng = self.rng
        draw = rng.random()
        wanted = 0 if not live or draw >= 0.75 else (2 if draw < 0.2 else 1)
        chosen: list[SeedContact] = []
        candidates = list(live)
        for _ in range(min(wanted, len(candidates))):
            weights = [contact_pick_weight(c.level, won=stage == WON_STAGE) for c in candidates]
            pick = rng.choices(candidates, weights)[0]
            chosen.append(pick)
            candidates.remove(pick)
        return chosen
