"""A store and a rubric change whose `plan` answer is known by construction.

The challenger is the shipped rubric with three changes: `too_small` now below 100 employees
(was 10), `excluded_industry` no longer lists GOVERNMENT_ADMINISTRATION, and a new
disqualifier `sanctioned_country` (country Atlantis). On the HubSpot companies below:

- A1 (50 employees): newly disqualified by too_small; won deals d1 (1,000), d2 (2,500) and
  the shared d-shared (4,000); a lost, an archived won and an open deal that do not count;
- A2 (500, Atlantis): newly disqualified by sanctioned_country; won d4 without an amount;
- A3 (50, Atlantis): newly disqualified by both; won d3 (500) and d-shared;
- A4 (government): no longer disqualified; its won deal is not thrown away;
- A5 (5 employees): disqualified by both rubrics: its won deal was thrown away already;
- A6: a fit company, unchanged; A7: archived (left out);
- B00…B54 (20 employees, no deals): newly disqualified by too_small, more than a page lists;
- a Salesforce account with the crm id A1 (unchanged) and a won deal: the deal↔account join
  keeps to one CRM, so it is not A1's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.rubric import DEFAULT_RUBRIC_PATH
from app.store.tables import Account, Deal, DealAccount

NOW = datetime(2026, 11, 1, tzinfo=UTC)
A1_NAME = '=HYPERLINK("http://evil.example")'
A3_NAME = "<script>alert('x')</script> & \"Co\""
BULK = [f"B{index:02d}" for index in range(55)]
NEWLY_DISQUALIFIED = ["A1", "A2", "A3", *BULK]
NO_LONGER_DISQUALIFIED = ["A4"]
DISCARDED = {
    "total": {
        "flag": None,
        "accounts": 3 + len(BULK),
        "won_deals": 5,
        "revenue": 8000.0,
        "won_deals_without_amount": 1,
    },
    "by_flag": [
        {
            "flag": "too_small",
            "accounts": 2 + len(BULK),
            "won_deals": 4,
            "revenue": 8000.0,
            "won_deals_without_amount": 0,
        },
        {
            "flag": "sanctioned_country",
            "accounts": 2,
            "won_deals": 3,
            "revenue": 4500.0,
            "won_deals_without_amount": 1,
        },
    ],
}


def challenger_rubric(folder: Path) -> Path:
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    for old, new in (
        ('version: "2026.11-default"', 'version: "2026.12-strict"'),
        ("less_than: 10\n", "less_than: 100\n"),
        ("one_of: [GOVERNMENT_ADMINISTRATION, MILITARY", "one_of: [MILITARY"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    text += (
        "\n  - id: sanctioned_country\n    field: country\n"
        "    reason: Country we cannot sell to\n    one_of: [Atlantis]\n"
    )
    path = folder / "challenger.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _account(
    crm_id: str,
    source: str = "hubspot",
    *,
    name: str | None = None,
    industry: str = "COMPUTER_SOFTWARE",
    employees: int = 500,
    country: str = "United States",
    archived: bool = False,
) -> Account:
    return Account(
        source=source,
        object_type="company" if source == "hubspot" else "account",
        crm_id=crm_id,
        name=name or f"Company {crm_id}",
        domain=f"{crm_id.lower()}.example",
        industry=industry,
        employees=employees,
        country=country,
        technologies=[],
        properties={},
        archived=archived,
        fetched_at=NOW,
    )


def _deal(
    crm_id: str,
    *,
    won: bool,
    amount: str | None,
    closed: bool = True,
    archived: bool = False,
    source: str = "hubspot",
) -> Deal:
    return Deal(
        source=source,
        crm_id=crm_id,
        name=f"Deal {crm_id}",
        is_closed=closed,
        is_won=won,
        amount=None if amount is None else Decimal(amount),
        close_date=date(2026, 9, 15),
        properties={},
        archived=archived,
        fetched_at=NOW,
    )


def fill(sessions: sessionmaker[Session]) -> None:
    accounts = [
        _account("A1", employees=50, name=A1_NAME),
        _account("A2", country="Atlantis"),
        _account("A3", employees=50, country="Atlantis", name=A3_NAME),
        _account("A4", industry="GOVERNMENT_ADMINISTRATION"),
        _account("A5", employees=5),
        _account("A6"),
        _account("A7", employees=50, archived=True),
        *(_account(crm_id, employees=20) for crm_id in BULK),
        _account("A1", source="salesforce"),
    ]
    deals = {
        "d1": (_deal("d1", won=True, amount="1000"), ["A1"]),
        "d2": (_deal("d2", won=True, amount="2500"), ["A1"]),
        "lost": (_deal("lost", won=False, amount="9999"), ["A1"]),
        "archived": (_deal("archived", won=True, amount="7777", archived=True), ["A1"]),
        "open": (_deal("open", won=False, amount="5555", closed=False), ["A1"]),
        "d-shared": (_deal("d-shared", won=True, amount="4000"), ["A1", "A3"]),
        "d3": (_deal("d3", won=True, amount="500"), ["A3"]),
        "d4": (_deal("d4", won=True, amount=None), ["A2"]),
        "d5": (_deal("d5", won=True, amount="3000"), ["A4"]),
        "d6": (_deal("d6", won=True, amount="6000"), ["A5"]),
        "d7": (_deal("d7", won=True, amount="8000"), ["A6"]),
        "d8": (_deal("d8", won=False, amount="100"), ["A7"]),
        "sf": (_deal("sf", won=True, amount="100000", source="salesforce"), ["A1"]),
    }
    with sessions.begin() as session:
        session.add_all(accounts)
        session.add_all(deal for deal, _ in deals.values())
        session.flush()
        session.add_all(
            DealAccount(deal_id=deal.id, account_crm_id=crm_id)
            for deal, linked in deals.values()
            for crm_id in linked
        )
