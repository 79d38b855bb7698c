"""A small store for the accounts pages' tests: records of both CRMs and every kind, scored
with the default rubric's criteria ids and reason texts, a history with changes, deals and a
challenger score; and a logged-in client over the real app."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.rubric import load_rubric
from app.settings import Settings
from app.store.tables import (
    Account,
    ChallengerScore,
    Deal,
    DealAccount,
    DealContact,
    Score,
    ScoreHistory,
    WebhookEvent,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient as Client

__all__ = ["AUTH", "FLAG", "INSTANCE", "PORTAL", "Client", "client_for", "fill"]

TOKEN = "ui-accounts-5f2b9c0e7a4d1836b0c2e9f4"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PORTAL = 4471
INSTANCE = "https://acme.my.salesforce.com"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
V1, V2 = "2026.11-default+aaaaaaaa", "2026.12-default+bbbbbbbb"
RUBRIC = load_rubric()
CRITERIA = [c for _, c in RUBRIC.criteria][:2]
FLAG = RUBRIC.disqualifiers[0].id

# name, source, kind, domain, score, tier, flags, history days ago (oldest first)
RECORDS: list[tuple[str, str, str, str | None, int | None, str | None, list[str], list[int]]] = [
    ("Acme Robotics", "hubspot", "company", "acme.io", 91, "A", [], [40, 3]),
    ('=HYPERLINK("http://evil","x")', "hubspot", "company", "evil.example", 55, "B", [], [40]),
    ("Beta Bank", "salesforce", "account", "betabank.com", 12, "disqualified", [FLAG], [40, 1]),
    ("Carol Chen", "hubspot", "contact", "acme.io", 70, "B", [], [40]),
    ("Dan Lead", "salesforce", "lead", "danco.net", 30, "C", [], [20]),
    ("Zeta Unscored", "hubspot", "company", "zeta.org", None, None, [], []),
]


def client_for(database_url: str, **settings: Any) -> Client:
    return Client(
        create_app(
            Settings(
                database_url=database_url,
                admin_token=TOKEN,
                salesforce_instance_url=INSTANCE,
                **settings,
            )
        )
    )


def _score(score: int, tier: str, flags: list[str], version: str, at: datetime) -> dict[str, Any]:
    return {
        "score": score,
        "tier": tier,
        "disqualified": tier == "disqualified",
        "flags": flags,
        "rubric_version": version,
        "scored_at": at,
    }


def fill(sessions: sessionmaker[Session]) -> dict[str, int]:
    """The records above (plus one archived and one deleted); returns name → id."""
    ids: dict[str, int] = {}
    with sessions() as session, session.begin():
        for n, (name, source, kind, domain, score, tier, flags, days) in enumerate(RECORDS):
            account = _account(n, name, source, kind, domain)
            session.add(account)
            session.flush()
            ids[name] = account.id
            if score is None or tier is None:
                continue
            _scored(session, account.id, score, tier, flags, days)
        for n, gone in enumerate(("Old Archived", "Old Deleted")):
            account = _account(100 + n, gone, "hubspot", "company", "gone.example")
            account.archived = n == 0
            account.deleted_at = NOW if n == 1 else None
            session.add(account)
            session.flush()
            ids[gone] = account.id
            session.add(Score(account_id=account.id, criteria={}, reasons=[], input_hash="x",
                              **_score(99, "A", [], V2, NOW)))  # fmt: skip
        _deals(session)
        session.add(
            WebhookEvent(source="hubspot", event_id="e1", event_type="company.creation",
                         object_type="company", object_id="1000", received_at=NOW,
                         payload={"portalId": PORTAL, "objectId": 1000})
        )  # fmt: skip
        session.add(
            ChallengerScore(name="bolder", account_id=ids["Acme Robotics"], criteria={},
                            reasons=[], input_hash="x", **_score(77, "B", [], "bolder+cc", NOW))
        )  # fmt: skip
    return ids


def _account(n: int, name: str, source: str, kind: str, domain: str | None) -> Account:
    return Account(
        source=source,
        object_type=kind,
        crm_id=str(1000 + n),
        name=name,
        domain=domain,
        industry="Software",
        employees=120 + n,
        annual_revenue=Decimal("2500000"),
        country="Germany",
        state="Berlin",
        technologies=["Slack"],
        properties={},
        title="CTO" if kind in ("contact", "lead") else None,
        email="carol@acme.io" if kind == "contact" else None,
        crm_created_at=NOW - timedelta(days=400),
        crm_updated_at=NOW - timedelta(days=n),
        fetched_at=NOW,
    )


def _scored(
    session: Session, account_id: int, score: int, tier: str, flags: list[str], days: list[int]
) -> None:
    first, second = CRITERIA
    session.add(
        Score(
            account_id=account_id,
            criteria={first.id: 100.0, second.id: 25.0},
            reasons=[f"{first.reason}: matched exactly", f"{second.reason}: only partly"]
            + [f"Blocked: why → disqualified ({f})" for f in flags],
            input_hash="h",
            **_score(score, tier, flags, V2, NOW - timedelta(days=days[-1])),
        )
    )
    if len(days) == 2:  # an earlier, lower score on the older rubric, without the flags
        session.add(ScoreHistory(account_id=account_id, reasons=[],
                                 **_score(score - 20, "C", [], V1, NOW - timedelta(days=days[0]))))  # fmt: skip
    session.add(ScoreHistory(account_id=account_id, reasons=[],
                             **_score(score, tier, flags, V2, NOW - timedelta(days=days[-1]))))  # fmt: skip


def _deals(session: Session) -> None:
    for n, (crm_id, won, closed, link, contact) in enumerate(
        [("D1", True, True, "1000", None), ("D2", False, True, "1000", None),
         ("D3", False, False, None, "1003"), ("D4", True, True, "1002", None)]
    ):  # fmt: skip
        deal = Deal(
            source="salesforce" if crm_id == "D4" else "hubspot",
            crm_id=crm_id,
            name=f"Deal {crm_id}",
            stage="closedwon" if won else "open",
            is_closed=closed,
            is_won=won,
            amount=Decimal(10_000 * (n + 1)),
            close_date=date(2026, 10, 1 + n),
            properties={},
            fetched_at=NOW,
        )
        session.add(deal)
        session.flush()
        if link is not None:
            session.add(DealAccount(deal_id=deal.id, account_crm_id=link))
        if contact is not None:
            session.add(DealContact(deal_id=deal.id, contact_crm_id=contact))
