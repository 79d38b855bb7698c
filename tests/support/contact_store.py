"""A store whose HubSpot contacts' validation is known by construction, and the rubrics to
judge it with.

The rubric `seniority_rubric` writes is the shipped one plus a contact-only criterion on the
title (a VP or chief earns it, anyone else not), weighted as much as the rest together. Four
HubSpot companies "1".."4", identical and a good fit; at company i a senior contact 2i-1
("VP Sales") whose deal was won and a junior contact 2i ("Intern") whose deal was lost, each
deal linked to the contact and its company; contact "9" with no company lost a deal of its
own. Contact ids overlap company ids (HubSpot ids are unique per object type only): company
"2" alone has won deal `company-only`, which contact "2" (a junior at company 1) must not be
given; contact "1" also has an open deal, which counts nowhere.

So the contacts' figures: 9 closed deals, 4 won, from 9 contacts at 5 resampling clusters (4
companies and contact 9 on its own); seniors tier 1 and all won, the others tier 3 and all
lost (ROC AUC 1). The accounts' figures: 9 closed deals of the 4 companies, 5 won.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.store.repo import upsert_accounts, upsert_deals
from connectors.records import CrmDeal
from tests.app.sync.records import T0, company, contact

COMPANIES = ("1", "2", "3", "4")
SENIORS = ("1", "3", "5", "7")
JUNIORS = ("2", "4", "6", "8")
ALONE = "9"
"""A contact without a company: a resampling cluster of its own."""

SENIORITY = {
    "id": "seniority",
    "field": "title",
    "weight": 100,
    "reason": "Seniority",
    "applies_to": ["contact"],
    "match": [{"label": "senior", "points": 100, "keywords": ["chief", "vp", "head"]}],
}


def seniority_rubric(folder: Path) -> Path:
    """The shipped rubric judging contacts on their seniority too (version `seniority`)."""
    document = load_rubric().model_dump(mode="json", exclude_none=True)
    document["version"] = "seniority"
    document["layers"]["behavioural"]["criteria"].append(SENIORITY)
    Rubric.model_validate(document)
    path = folder / "seniority.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _deal(
    crm_id: str, won: bool, *, accounts: tuple[str, ...], contacts: tuple[str, ...]
) -> CrmDeal:
    return CrmDeal(
        source="hubspot",
        crm_id=crm_id,
        modified_at=T0 - timedelta(days=30),
        is_closed=True,
        is_won=won,
        amount=Decimal("1000"),
        close_date=date(2026, 6, 1),
        account_ids=accounts,
        contact_ids=contacts,
    )


def fill(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        contacts = [
            *(contact(s, c, title="VP Sales") for s, c in zip(SENIORS, COMPANIES, strict=True)),
            *(contact(j, c, title="Intern") for j, c in zip(JUNIORS, COMPANIES, strict=True)),
            contact(ALONE, None, title="Intern", domain=None, email="someone@nowhere.example"),
        ]
        upsert_accounts(session, [company(c) for c in COMPANIES], fetched_at=T0)
        upsert_accounts(session, contacts, fetched_at=T0)
        deals = [
            *(
                _deal(f"won-{s}", True, accounts=(c,), contacts=(s,))
                for s, c in zip(SENIORS, COMPANIES, strict=True)
            ),
            *(
                _deal(f"lost-{j}", False, accounts=(c,), contacts=(j,))
                for j, c in zip(JUNIORS, COMPANIES, strict=True)
            ),
            _deal(f"lost-{ALONE}", False, accounts=(), contacts=(ALONE,)),
            _deal("company-only", True, accounts=("2",), contacts=()),
            replace(_deal("open", False, accounts=("1",), contacts=("1",)), is_closed=False),
        ]
        upsert_deals(session, deals, fetched_at=T0)
        session.commit()
