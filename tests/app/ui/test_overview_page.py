"""The overview's figures are the store's: tiers per kind, the tiers over time, the rubric
versions, the last sync of each CRM, the inbox and the CRM writes owed; on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.app import create_app
from app.inbox import queue
from app.inbox.events import IncomingEvent
from app.inbox.receive import enqueue
from app.rubric.registry import record_champion
from app.settings import Settings
from app.store.tables import Account, Score, ScoreHistory, SyncState, WritebackState
from app.sync.health import ErrorSummary, record_failure, record_success

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "ui-7f3c9e0b41d2a6c85e19b07d4f2a3c61"
AUTH = {"authorization": f"Bearer {TOKEN}"}
NOW = datetime.now(UTC)

RECORDS = [
    # source, kind, tier, score, days ago it reached that tier (first at 30 days ago in tier_3)
    ("hubspot", "company", "tier_1", 90, 3),
    ("hubspot", "company", "tier_1", 85, 30),
    ("hubspot", "company", "tier_3", 20, 30),
    ("hubspot", "contact", "tier_2", 60, 10),
    ("salesforce", "account", "tier_2", 55, 30),
    ("salesforce", "lead", "disqualified", 0, 1),
]


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        for number, (source, kind, tier, score, days_ago) in enumerate(RECORDS):
            account = Account(source=source, object_type=kind, crm_id=str(number), fetched_at=NOW)
            session.add(account)
            session.flush()
            session.add(
                Score(account_id=account.id, score=score, tier=tier, disqualified=tier ==
                      "disqualified", flags=[], reasons=[], criteria={},
                      rubric_version="v2" if days_ago < 30 else "v1", input_hash="h",
                      scored_at=NOW - timedelta(days=days_ago))
            )  # fmt: skip
            first = NOW - timedelta(days=30)
            session.add(history(account.id, "tier_3" if days_ago < 30 else tier, first))
            if days_ago < 30:
                session.add(history(account.id, tier, NOW - timedelta(days=days_ago)))
        archived = Account(source="hubspot", object_type="company", crm_id="gone",
                           archived=True, fetched_at=NOW)  # fmt: skip
        unscored = Account(source="hubspot", object_type="company", crm_id="new", fetched_at=NOW)
        session.add_all([archived, unscored])
        session.flush()
        session.add(Score(account_id=archived.id, score=99, tier="tier_1", disqualified=False,
                          flags=[], reasons=[], criteria={}, rubric_version="v2",
                          input_hash="h", scored_at=NOW))  # fmt: skip
        session.add(
            SyncState(source="hubspot", object_type="accounts", last_status="partial",
                      last_run_started_at=NOW - timedelta(minutes=3),
                      last_run_finished_at=NOW - timedelta(minutes=2),
                      stats={"pulled": {"accounts": 1200, "contacts": 340, "deals": 56},
                             "scored": 1540, "changed": 12, "written": 11, "failed": 1,
                             "api_calls": 77})
        )  # fmt: skip
        record_champion(session, "q1-enterprise", NOW)
        record_success(session, "salesforce", ["accounts"], NOW)
        record_failure(
            session, "salesforce", ["leads"], ErrorSummary("AuthError", "session expired"), NOW
        )
        statuses = ["pending"] * 2 + ["sending"] + ["failed"] * 3 + ["written"] * 2
        ids = session.scalars(select(Account.id).order_by(Account.id)).all()
        for account_id, status in zip(ids, statuses, strict=True):
            session.add(
                WritebackState(account_id=account_id, values={}, values_hash=status,
                               status=status, updated_at=NOW)
            )  # fmt: skip
        enqueue(
            session,
            [IncomingEvent("hubspot", f"e{n}", "company.creation", "company", str(n))
             for n in range(4)],
            NOW,
        )  # fmt: skip
    with sessions() as session:
        claimed = queue.claim(session, "test", NOW)
        queue.fail(claimed[:1], "NetworkError: timed out", NOW, max_attempts=1)
        session.commit()


def history(account_id: int, tier: str, when: datetime) -> ScoreHistory:
    return ScoreHistory(account_id=account_id, score=1, tier=tier, disqualified=False, flags=[],
                        reasons=[], rubric_version="v", scored_at=when)  # fmt: skip


@pytest.fixture
def page(database_url: str, sessions: sessionmaker[Session]) -> Iterator[str]:
    seed(sessions)
    settings = Settings(database_url=database_url, admin_token=SecretStr(TOKEN))
    with TestClient(create_app(settings)) as http:
        answer = http.get("/ui/", headers=AUTH)
        assert answer.status_code == 200
        yield answer.text


def cell(text: str, row_attribute: str, cell_attribute: str) -> str:
    row = re.search(rf"<tr {row_attribute}>(.*?)</tr>", text, re.S)
    assert row is not None, row_attribute
    found = re.search(rf"<td class=\"num\" {cell_attribute}>([^<]*)</td>", row.group(1))
    assert found is not None, (row_attribute, cell_attribute)
    return found.group(1)


def test_given_a_store_when_the_overview_is_shown_then_live_tiers_per_kind_are_its_counts(
    page: str,
) -> None:
    assert cell(page, 'data-tier="tier_1"', 'data-kind="hubspot/company"') == "2"
    assert cell(page, 'data-tier="tier_1"', "data-total") == "2"  # not the archived one
    assert cell(page, 'data-tier="tier_2"', "data-total") == "2"
    assert cell(page, 'data-tier="tier_2"', 'data-kind="salesforce/account"') == "1"
    assert cell(page, 'data-tier="disqualified"', 'data-kind="salesforce/lead"') == "1"
    assert "6 scored, 1 not scored yet" in page
    order = [m.group(1) for m in re.finditer(r'<tr data-tier="([^"]+)">', page)]
    assert order == ["tier_1", "tier_2", "tier_3", "disqualified"]


def test_given_a_history_when_the_overview_is_shown_then_the_chart_ends_on_each_tiers_count(
    page: str,
) -> None:
    last = dict(re.findall(r"data-name='([^']+)' data-last='(\d+)'", page))
    assert last == {"tier_1": "2", "tier_2": "2", "tier_3": "1", "disqualified": "1"}


def test_given_syncs_when_the_overview_is_shown_then_each_crms_last_run_is_listed(
    page: str,
) -> None:
    assert cell(page, 'data-source="hubspot"', 'data-field="pulled"') == "1,596"
    assert cell(page, 'data-source="hubspot"', 'data-field="written"') == "11"
    assert cell(page, 'data-source="hubspot"', 'data-field="failed"') == "1"
    assert cell(page, 'data-source="hubspot"', 'data-field="api_calls"') == "77"
    assert re.search(r"leads</span>: session expired", page)


def test_given_queues_when_the_overview_is_shown_then_inbox_and_writes_are_counted(
    page: str,
) -> None:
    figures = dict(re.findall(r'<dd id="([a-z-]+)"[^>]*>([^<]*)</dd>', page))
    assert figures == {
        "inbox-pending": "3",
        "inbox-dead": "1",
        "writes-owed": "3",
        "writes-failed": "3",
    }


def test_given_scores_of_two_rubrics_when_the_overview_is_shown_then_both_versions_count(
    page: str,
) -> None:
    assert re.search(r'<th scope="row">v2</th><td class="num">4</td>', page)
    assert re.search(r'<th scope="row">v1</th><td class="num">3</td>', page)
    assert "<strong>q1-enterprise</strong> (last promoted)" in page
