"""A running service with a rubric directory (app.runtime): its scheduled syncs score the
recorded champion and the challengers, and follow a promotion made elsewhere (another
replica, `icp-sync promote`) without a restart. The HubSpot sandbox over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.crm import hubspot_connector, pulled_properties
from app.rubric import load_rubric, parse_rubric
from app.rubric.registry import record_champion
from app.runtime import Runtime
from app.settings import settings_from
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import ChallengerScore, Score
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.rubric_dir import (
    CHALLENGER_WRITTEN,
    CHAMPION_WRITTEN,
    challenger_document,
    rubric_dir,
)


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=2, companies=20)


def crm_versions(sandbox: RunningSandbox) -> set[str]:
    return {
        sandbox.hubspot.company(i).get("icp_rubric_version", "")
        for i in sandbox.hubspot.company_ids()
    }


@pytest.mark.slow  # two syncs of a sandbox
def test_given_a_rubric_directory_when_promoted_elsewhere_then_the_next_scheduled_sync_follows(
    database_url: str, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    with hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, load_rubric()) as crm:
        crm.ensure_schema()
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    settings = settings_from(
        sandbox.service_env(), database_url=database_url, rubric_dir=rubric_dir(tmp_path)
    )
    runtime = Runtime(settings, load_rubric(), engine, sessions, run_worker=False,
                      run_schedules=False)  # fmt: skip
    try:
        runtime.start()
        assert runtime.sync("hubspot", False)
        with sessions() as session:
            first = {s.rubric_version for s in session.scalars(select(Score))}
            shadow = {(s.name, s.rubric_version) for s in session.scalars(select(ChallengerScore))}
        versions_after_first = crm_versions(sandbox)

        other = make_engine(database_url)  # another replica promotes
        with make_session_factory(other)() as session:
            record_champion(session, "challenger", runtime_now())
            session.commit()
        other.dispose()
        assert runtime.sync("hubspot", False)
        with sessions() as session:
            second = {s.rubric_version for s in session.scalars(select(Score))}
            names = {s.name for s in session.scalars(select(ChallengerScore))}
    finally:
        runtime.stop()
        engine.dispose()

    assert first == {CHAMPION_WRITTEN}
    assert shadow == {("challenger", CHALLENGER_WRITTEN)}
    assert versions_after_first == {CHAMPION_WRITTEN}
    assert second == {CHALLENGER_WRITTEN}
    assert names == {"challenger", "champion"}
    assert crm_versions(sandbox) == {CHALLENGER_WRITTEN}


def runtime_now() -> datetime:
    return datetime.now(UTC)


def test_given_a_challenger_reading_another_property_then_the_connector_pulls_it_too() -> None:
    document = challenger_document()
    document["layers"]["firmographic"]["criteria"][0]["field"] = "founded_year"
    document["fields"]["founded_year"] = {"hubspot": "founded_year", "salesforce": "YearStarted"}
    challenger = parse_rubric(document)
    champion = load_rubric()

    assert "founded_year" not in pulled_properties(champion, [], "hubspot")
    assert "founded_year" in pulled_properties(champion, [challenger], "hubspot")
    assert "YearStarted" in pulled_properties(champion, [challenger], "salesforce")
