"""The inbox worker and hand edits of our score properties, against the HubSpot sandbox on
SQLite and PostgreSQL: a person's edit (changeSource CRM_UI) is not taken for our echo and is
rewritten (or, in report mode, counted); our own write's echo (INTEGRATION) is dropped."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.inbox.events import DONE
from app.inbox.worker import PassReport, Worker
from app.rubric import Rubric
from app.scoring import compile_rubric
from app.sync.drift import REPAIR, REPORT
from app.sync.orchestrator import run_sync
from connectors.hubspot.connector import HubSpotConnector
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connected, edit_tier_by_hand, score_writes
from tests.support.inbox import put, statuses

pytestmark = pytest.mark.slow  # a synced sandbox per test, then events through the worker


@pytest.fixture
def hubspot(sandbox: RunningSandbox, rubric: Rubric) -> Iterator[HubSpotConnector]:
    yield from connected(sandbox, rubric)


def tier_event(company: str, tier: str, change_source: str) -> dict[str, object]:
    return {
        "event_id": f"tier-{change_source}",
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": company,
        "payload": {
            "propertyName": "icp_tier",
            "propertyValue": tier,
            "changeSource": change_source,
        },
    }


class Synced:
    """A synced store; `company` is the first company, `ours` the tier we wrote on it."""

    def __init__(
        self,
        sandbox: RunningSandbox,
        sessions: sessionmaker[Session],
        rubric: Rubric,
        crm: HubSpotConnector,
    ) -> None:
        self.sandbox, self.sessions, self.rubric, self.crm = sandbox, sessions, rubric, crm
        run_sync(crm, sessions, compile_rubric(rubric))
        sandbox.hubspot.clear_writes()
        self.company = sandbox.hubspot.company_ids()[0]

    def work(self, event: dict[str, object], drift: str = REPAIR) -> PassReport:
        put(self.sessions, event)
        return Worker(
            self.sessions, {"hubspot": self.crm}, compile_rubric(self.rubric), drift=drift
        ).run_once()


@pytest.fixture
def synced(
    sandbox: RunningSandbox,
    sessions: sessionmaker[Session],
    rubric: Rubric,
    hubspot: HubSpotConnector,
) -> Synced:
    return Synced(sandbox, sessions, rubric, hubspot)


def test_given_a_persons_edit_of_a_score_property_then_it_is_not_an_echo_and_is_rewritten(
    sandbox: RunningSandbox, synced: Synced
) -> None:
    ours, edited = edit_tier_by_hand(sandbox, synced.company)

    report = synced.work(tier_event(synced.company, edited, "CRM_UI"))

    assert (report.echoes, report.fetched, report.drifted, report.written) == (0, 1, 1, 1)
    assert score_writes(sandbox) == Counter({synced.company: 1})
    assert sandbox.hubspot.company(synced.company)["icp_tier"] == ours
    assert statuses(synced.sessions) == {"tier-CRM_UI": DONE}


def test_given_a_persons_edit_in_report_mode_then_it_is_counted_and_not_written(
    sandbox: RunningSandbox, synced: Synced
) -> None:
    _, edited = edit_tier_by_hand(sandbox, synced.company)

    report = synced.work(tier_event(synced.company, edited, "CRM_UI"), drift=REPORT)

    assert (report.drifted, report.written) == (1, 0)
    assert not score_writes(sandbox)
    assert sandbox.hubspot.company(synced.company)["icp_tier"] == edited


def test_given_the_echo_of_our_own_write_then_it_is_dropped_and_nothing_is_written(
    sandbox: RunningSandbox, synced: Synced
) -> None:
    tier = sandbox.hubspot.company(synced.company)["icp_tier"]
    calls = synced.crm.stats.calls

    report = synced.work(tier_event(synced.company, tier, "INTEGRATION"))

    assert (report.echoes, report.fetched, report.written) == (1, 0, 0)
    assert synced.crm.stats.calls == calls
    assert not score_writes(sandbox)


def test_given_our_own_writes_read_back_by_the_worker_then_they_are_not_drift(
    sandbox: RunningSandbox, synced: Synced
) -> None:
    event: dict[str, object] = {
        "event_id": "other",
        "event_type": "company.propertyChange",
        "object_type": "company",
        "object_id": synced.company,
        "payload": {"propertyName": "industry", "changeSource": "CRM_UI"},
    }

    report = synced.work(event)

    assert (report.fetched, report.drifted, report.written) == (1, 0, 0)
    assert not score_writes(sandbox)
