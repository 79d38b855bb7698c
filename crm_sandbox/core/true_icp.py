"""The hidden true ICP the seed's deal outcomes follow, so a backtest of a rubric has something
real to find: a logistic function of industry fit, a 200-2,000 employee sweet spot, the number
of buying signals and the overlap with a complementary sales/data stack, plus two terms only a
company's free-text description shows (`descriptions`): +1.6 when it tells of customer and
revenue data scattered after growth, an acquisition or a reorganisation (the `trigger` theme,
~30 % of companies, drawn independently of every firmographic field), -2.0 when it is a
partner, reseller or consultancy implementing such tools for clients, or a public-sector body
(`not_us`, ~4 %). No structured field encodes either, so only a rubric that reads the text
(issue 20's `semantic` rule) can find them. Each company adds Gaussian noise (sd 0.5) to the
logit once (`SeedCompany.icp_noise`), and each of its closed deals is won with the resulting
probability.

Contacts (`seed_contacts`) play no part in the probability (they are drawn after the deals, so
their absence or presence changes no outcome); instead a won deal is associated with senior
contacts far more often than a lost or open one (`contact_pick_weight`): a rubric that looks at
who the company's people are can find that seniority goes with winning.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from crm_sandbox.core.description_themes import TextTheme
from crm_sandbox.core.people import SENIORITY_RANK, Level
from crm_sandbox.core.vocabulary import (
    ADJACENT_FIT_INDUSTRIES,
    EXACT_FIT_INDUSTRIES,
    PERSONAL_EMAIL_DOMAINS,
)

if TYPE_CHECKING:
    from crm_sandbox.core.seed import SeedCompany

#: The text-only terms of the log-odds, by description theme; other themes add nothing.
TEXT_THEME_LOGIT: dict[TextTheme, float] = {"trigger": 1.6, "not_us": -2.0}


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
    text_theme: TextTheme = "plain",
) -> float:
    """The hidden true ICP's log-odds of winning a deal, before the company's noise:

        -4.2 + 2.0·industry_fit + 1.8·size_fit + 0.55·min(signals, 4) + 0.4·min(overlap, 4)
             + 1.6·[description tells the trigger] - 2.0·[description says not-us]

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
        + TEXT_THEME_LOGIT.get(text_theme, 0.0)
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
        text_theme=company.text_theme,
    )
    return _sigmoid(logit + (company.icp_noise if with_noise else 0.0))


def is_true_icp(company: SeedCompany) -> bool:
    """A company is "true ICP" when the noiseless win probability is at least one half."""
    return true_icp_probability(company, with_noise=False) >= 0.5


def contact_pick_weight(level: Level, *, won: bool) -> float:
    """How likely a deal is associated with a contact of this level, relative to the company's
    other contacts: by seniority rank to the fourth power for won deals, evenly otherwise."""
    return float(SENIORITY_RANK[level] ** 4) if won else 1.0
