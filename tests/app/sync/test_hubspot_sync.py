"""The whole job against the HubSpot sandbox over real HTTP, through the official client, on
SQLite and PostgreSQL: pull, score, write back only what changed, survive faults and kills."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.store.tables import Account, ScoreHistory, SyncState, WritebackState
from app.sync.orchestrator import run_sync
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.crm_checks import stored_scores
from tests.support.hubspot import connect

pytestmark = pytest.mark.slow  # whole syncs of a sandbox, each test its own

COMPANIES = 40


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=11, companies=COMPANIES, deals_per_company=2.0)


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric()


def live_ids(sandbox: RunningSandbox) -> set[str]:
    return set(sandbox.hubspot.company_ids())


def written_ids(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(
        write.object_id
        for write in sandbox.hubspot.writes("companies")
        if "icp_tier" in write.properties
    )


def test_given_a_fresh_store_when_synced_then_every_live_company_is_scored_and_written_once(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    report = run_sync(connector, sessions, compile_rubric(rubric))

    archived = set(sandbox.hubspot.company_ids(archived=True))
    assert report.pulled["accounts"] == COMPANIES
    assert report.pulled["deals"] == sandbox.hubspot.count("deals") + sandbox.hubspot.count(
        "deals", archived=True
    )
    assert report.failed == 0
    assert report.written == len(live_ids(sandbox))
    assert set(written_ids(sandbox)) == live_ids(sandbox)
    assert max(written_ids(sandbox).values()) == 1
    scores = stored_scores(sessions)
    assert set(scores) == live_ids(sandbox) | archived
    for crm_id in live_ids(sandbox):
        company = sandbox.hubspot.company(crm_id)
        assert company["icp_fit_score"] == str(scores[crm_id].score)
        assert company["icp_tier"] == scores[crm_id].tier
        assert company["icp_rubric_version"] == compile_rubric(rubric).written_version
    for crm_id in archived:
        assert not sandbox.hubspot.company(crm_id).get("icp_tier")
    with sessions() as session:
        state = session.get(SyncState, ("hubspot", "accounts"))
    assert state is not None
    assert state.stats["api_calls"] == report.api_calls > 0  # the dashboard's calls per sync


def test_given_a_synced_store_when_synced_again_without_crm_changes_then_nothing_is_written(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    compiled = compile_rubric(rubric)
    run_sync(connector, sessions, compiled)
    sandbox.hubspot.clear_writes()

    second = run_sync(connector, sessions, compiled)
    third = run_sync(connector, sessions, compiled)

    # Our own writes come back (they moved hs_lastmodifieddate), and records inside the
    # cursor's overlap window are delivered again by design; none of their scored inputs
    # changed, so nothing is rescored and nothing is written.
    for again in (second, third):
        assert (again.rescore.scored, again.rescore.changed, again.written) == (0, 0, 0)
    assert not sandbox.hubspot.writes("companies")


def test_given_a_changed_company_when_synced_then_it_alone_is_rescored_and_rewritten(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    compiled = compile_rubric(rubric)
    run_sync(connector, sessions, compiled)
    run_sync(connector, sessions, compiled)
    sandbox.hubspot.clear_writes()
    target = sorted(live_ids(sandbox))[0]

    sandbox.hubspot.touch_company(target, industry="GOVERNMENT_ADMINISTRATION")
    assert sandbox.wait_search_indexed()  # an incremental sync finds changes through search
    report = run_sync(connector, sessions, compiled)

    assert report.rescore.scored == 1
    assert report.written == 1
    assert written_ids(sandbox) == Counter({target: 1})
    assert sandbox.hubspot.company(target)["icp_tier"] == "disqualified"
    assert "excluded_industry" in sandbox.hubspot.company(target)["icp_flags"]
    with sessions() as session:
        history = session.scalars(
            select(ScoreHistory.tier)
            .join(Account, Account.id == ScoreHistory.account_id)
            .where(Account.crm_id == target)
            .order_by(ScoreHistory.id)
        ).all()
    assert history[-1] == "disqualified"
    assert len(history) == 2


def test_given_a_stale_search_result_after_a_full_sync_when_synced_then_the_newer_values_stay(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    compiled = compile_rubric(rubric)
    run_sync(connector, sessions, compiled, full=True)
    assert sandbox.wait_search_indexed()  # the first sync's writebacks are searchable
    target = sorted(live_ids(sandbox))[0]
    sandbox.hubspot.touch_company(target, industry="GOVERNMENT_ADMINISTRATION")

    run_sync(connector, sessions, compiled, full=True)  # the list reads the change at once
    run_sync(connector, sessions, compiled)  # search still holds the version before it

    with sessions() as session:
        stored = session.scalars(select(Account).where(Account.crm_id == target)).one()
        assert stored.industry == "GOVERNMENT_ADMINISTRATION"
    assert sandbox.hubspot.company(target)["icp_tier"] == "disqualified"


def test_given_one_record_the_crm_refuses_when_writing_then_the_others_land_and_it_is_retried(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    compiled = compile_rubric(rubric)
    # Make "tier_3" an invalid option, as an admin editing the property in HubSpot could.
    definition = httpx.get(
        f"{sandbox.hubspot_url}/crm/v3/properties/companies/icp_tier",
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
    ).json()
    options = [o for o in definition["options"] if o["value"] != "tier_3"]
    httpx.patch(
        f"{sandbox.hubspot_url}/crm/v3/properties/companies/icp_tier",
        json={"options": options},
        headers={"Authorization": f"Bearer {sandbox.hubspot_token}"},
    ).raise_for_status()

    report = run_sync(connector, sessions, compiled)

    scores = stored_scores(sessions)
    refused = {crm_id for crm_id in live_ids(sandbox) if scores[crm_id].tier == "tier_3"}
    assert refused, "the seed should give some tier 3 companies"
    assert report.failed == len(refused)
    assert report.written == len(live_ids(sandbox)) - len(refused)
    assert set(written_ids(sandbox)) == live_ids(sandbox) - refused
    with sessions() as session:
        failures = session.execute(
            select(Account.crm_id, WritebackState.last_error)
            .join(WritebackState, WritebackState.account_id == Account.id)
            .where(WritebackState.status == "failed")
        ).all()
    assert {crm_id for crm_id, _ in failures} == refused
    assert all("icp_tier" in (error or "") and "tier_3" in (error or "") for _, error in failures)

    connector.ensure_schema()  # the option comes back
    later = datetime.now(UTC) + timedelta(hours=7)
    retried = run_sync(connector, sessions, compiled, clock=lambda: later)
    assert (retried.written, retried.failed) == (len(refused), 0)
    assert set(written_ids(sandbox)) == live_ids(sandbox)


def test_given_a_burst_of_429s_when_syncing_then_it_is_absorbed_and_nothing_is_lost(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    sandbox.hubspot_faults.fail_next(4, status=429, retry_after=0)

    report = run_sync(connector, sessions, compile_rubric(rubric))

    assert report.rate_limited >= 1
    assert report.failed == 0
    assert set(written_ids(sandbox)) == live_ids(sandbox)


def test_given_an_archived_company_when_the_rubric_changes_then_it_is_no_longer_written(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    run_sync(connector, sessions, compile_rubric(rubric))
    target = sorted(live_ids(sandbox))[0]
    sandbox.hubspot.archive_company(target)
    sandbox.hubspot.clear_writes()
    changed = copy.deepcopy(rubric.model_dump())
    changed["version"] = "test-changed"
    changed["tiers"][0]["min_score"] = 60

    report = run_sync(connector, sessions, compile_rubric(Rubric.model_validate(changed)))

    assert target not in written_ids(sandbox)
    assert set(written_ids(sandbox)) == live_ids(sandbox)
    assert report.written == len(live_ids(sandbox))


class _KillAfterFirstPage:
    def pulled(self, stream: str, records: int) -> None:
        raise KeyboardInterrupt(f"killed after a page of {stream}")

    def written(self, records: int, failed: int) -> None:
        pass


def test_given_a_sync_killed_after_its_first_page_when_rerun_then_nothing_is_lost_or_duplicated(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric, page_size=10)
    compiled = compile_rubric(rubric)
    with pytest.raises(KeyboardInterrupt):
        run_sync(connector, sessions, compiled, progress=_KillAfterFirstPage())
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 10

    rerun = run_sync(connector, sessions, compiled)

    assert rerun.resumed == ["accounts"]
    assert rerun.pulled["accounts"] == COMPANIES - 10  # the first page is not read again
    assert rerun.completed_full_sync
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == COMPANIES
    assert set(written_ids(sandbox)) == live_ids(sandbox)
    assert max(written_ids(sandbox).values()) == 1


def test_given_a_dry_run_when_syncing_then_it_plans_every_write_and_writes_nothing_anywhere(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)

    report = run_sync(connector, sessions, compile_rubric(rubric), dry_run=True)

    assert report.planned == len(live_ids(sandbox))
    assert len(report.plan_sample) == 10
    assert all("icp_tier" in write.values for write in report.plan_sample)
    assert report.written == 0
    assert not written_ids(sandbox)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0


def test_given_a_company_deleted_for_good_when_a_full_sync_runs_then_it_is_marked_and_never_written(
    sandbox: RunningSandbox, sessions: sessionmaker[Session], rubric: Rubric
) -> None:
    connector = connect(sandbox, rubric)
    run_sync(connector, sessions, compile_rubric(rubric))
    target = sorted(live_ids(sandbox))[0]
    sandbox.hubspot.purge("companies", target)
    sandbox.hubspot.clear_writes()

    full = run_sync(connector, sessions, compile_rubric(rubric), full=True)
    changed = copy.deepcopy(rubric.model_dump())
    changed["version"] = "test-after-delete"
    rewrite = run_sync(connector, sessions, compile_rubric(Rubric.model_validate(changed)))

    assert full.deleted == 1
    with sessions() as session:
        deleted = session.scalars(select(Account.crm_id).where(Account.deleted_at.is_not(None)))
        assert list(deleted) == [target]
    assert rewrite.failed == 0
    assert rewrite.written == len(live_ids(sandbox))
    assert target not in written_ids(sandbox)
