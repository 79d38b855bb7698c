"""A rubric roll-out (app.sync.rollout) against the HubSpot sandbox over real HTTP, on SQLite
and PostgreSQL: every stored account rescored from the store and written with the new version,
a dry run that writes nothing, recorded once complete, done once when two replicas start
together, and a sync that never takes accounts back to a rubric not rolled out."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import runtime
from app.rubric import Rubric, load_rubric
from app.runtime import Runtime
from app.scoring import CompiledRubric, compile_rubric
from app.settings import Settings
from app.store.engine import make_engine, make_session_factory
from app.store.locks import cluster_lock, sync_lock_name
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, RubricRollout, Score
from app.sync.orchestrator import run_sync
from app.sync.rollout import roll_out
from app.sync.rubric_state import may_sweep, record_rubric
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connect, score_writes

pytestmark = pytest.mark.slow  # whole syncs of a sandbox

COMPANIES = 60


def stricter(rubric: Rubric) -> Rubric:
    """The rubric with tier 1 harder to reach, under the same declared version (an edit that
    forgot to bump it): only its content hash tells the two apart."""
    changed = rubric.model_dump(mode="json", exclude_none=True)
    changed["tiers"][0]["min_score"] += 10
    return Rubric.model_validate(changed)


def settings_for(sandbox: RunningSandbox, database_url: str) -> Settings:
    values = {k.removeprefix("ICP_SYNC_").lower(): v for k, v in sandbox.service_env().items()}
    return Settings.model_validate({**values, "database_url": database_url})


def versions_in_crm(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(
        sandbox.hubspot.company(crm_id).get("icp_rubric_version", "")
        for crm_id in sandbox.hubspot.company_ids()
    )


def versions_in_store(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(
            session.scalars(
                select(Score.rubric_version)
                .join(Account, Account.id == Score.account_id)
                .where(Account.archived.is_(False), Account.deleted_at.is_(None))
            )
        )


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=21, companies=COMPANIES, deals_per_company=1.0, rate_limit=None)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade_to_head(database_url)
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def synced(sandbox: RunningSandbox, engine: Engine) -> tuple[sessionmaker[Session], CompiledRubric]:
    """The store synced from the sandbox with the shipped rubric; the sandbox's writes since
    forgotten."""
    shipped = load_rubric()
    sessions = make_session_factory(engine)
    connector = connect(sandbox, shipped)
    try:
        run_sync(connector, sessions, compile_rubric(shipped))
    finally:
        connector.close()
    sandbox.hubspot.clear_writes()
    return sessions, compile_rubric(shipped)


def test_given_a_changed_rubric_when_dry_run_then_transitions_are_counted_and_nothing_written(
    sandbox: RunningSandbox,
    engine: Engine,
    database_url: str,
    synced: tuple[sessionmaker[Session], CompiledRubric],
) -> None:
    sessions, shipped = synced
    live = len(sandbox.hubspot.company_ids())

    report = roll_out(
        settings_for(sandbox, database_url), stricter(load_rubric()), engine,
        source="hubspot", dry_run=True, reason="test",
    )  # fmt: skip

    (hubspot,) = report.sources
    assert (hubspot.accounts, hubspot.rescore.scored, hubspot.planned) == (live, live, live)
    assert hubspot.rescore.transitions[("tier_1", "tier_2")] > 0  # the stricter tier 1
    assert not hubspot.completed
    assert not sandbox.hubspot.writes("companies")
    assert versions_in_store(sessions) == Counter({shipped.written_version: live})
    with sessions() as session:
        assert session.get(RubricRollout, "hubspot") is None


def test_given_a_changed_rubric_when_rolled_out_then_every_company_carries_it_and_it_is_recorded(
    sandbox: RunningSandbox,
    engine: Engine,
    database_url: str,
    synced: tuple[sessionmaker[Session], CompiledRubric],
) -> None:
    sessions, shipped = synced
    new = compile_rubric(stricter(load_rubric()))
    live = len(sandbox.hubspot.company_ids())
    settings = settings_for(sandbox, database_url)

    report = roll_out(settings, stricter(load_rubric()), engine, source="hubspot", reason="test")
    again = roll_out(settings, stricter(load_rubric()), engine, source="hubspot", reason="test")

    (hubspot,) = report.sources
    assert report.rubric_version == new.written_version != shipped.written_version
    assert (hubspot.written, hubspot.failed, hubspot.left, hubspot.completed) == (live, 0, 0, True)
    assert hubspot.previous_version is None
    assert versions_in_crm(sandbox) == Counter({new.written_version: live})
    assert versions_in_store(sessions) == Counter({new.written_version: live})
    assert max(score_writes(sandbox).values()) == 1
    with sessions() as session:
        recorded = session.get(RubricRollout, "hubspot")
        assert recorded is not None
        assert (recorded.fingerprint, recorded.rubric_version) == (
            new.fingerprint,
            report.rubric_version,
        )
    (second,) = again.sources
    assert (second.rescore.scored, second.written, second.completed) == (0, 0, True)
    assert second.previous_version == new.written_version


def test_given_the_sync_lock_held_when_rolling_out_then_it_is_busy_naming_the_holder(
    sandbox: RunningSandbox,
    engine: Engine,
    database_url: str,
    synced: tuple[sessionmaker[Session], CompiledRubric],
) -> None:
    settings = settings_for(sandbox, database_url)
    with cluster_lock(engine, sync_lock_name("hubspot"), "a test sync pid 1 since now") as held:
        assert held
        report = roll_out(settings, stricter(load_rubric()), engine, source="hubspot", reason="t")

    assert [s.busy for s in report.sources] == ["a test sync pid 1 since now"]
    assert not sandbox.hubspot.writes("companies")


def test_given_two_replicas_starting_with_a_new_rubric_then_it_is_rolled_out_once(
    sandbox: RunningSandbox,
    database_url: str,
    synced: tuple[sessionmaker[Session], CompiledRubric],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "ROLLOUT_RETRY", timedelta(seconds=0.05))
    sessions, _ = synced
    new = compile_rubric(stricter(load_rubric()))
    settings = settings_for(sandbox, database_url)
    engines = [make_engine(database_url) for _ in range(2)]  # a replica's own pool each
    replicas = [
        Runtime(settings, stricter(load_rubric()), e, make_session_factory(e)) for e in engines
    ]
    try:
        threads = [threading.Thread(target=r.roll_out_at_start) for r in replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for e in engines:
            e.dispose()

    live = set(sandbox.hubspot.company_ids())
    assert score_writes(sandbox) == Counter(dict.fromkeys(live, 1))  # each written once
    assert versions_in_crm(sandbox) == Counter({new.written_version: len(live)})
    with sessions() as session:
        assert session.scalars(select(RubricRollout.fingerprint)).all() == [new.fingerprint]


def test_given_a_rolled_out_rubric_then_only_a_sync_with_it_sweeps_records_another_scored(
    sessions: sessionmaker[Session],
) -> None:
    shipped = compile_rubric(load_rubric())
    new = compile_rubric(stricter(load_rubric()))
    with sessions() as session:
        never = (may_sweep(session, "hubspot", shipped), may_sweep(session, "hubspot", new))
        record_rubric(session, "hubspot", new, accounts=3, now=datetime.now(UTC))
        session.commit()
        after = (may_sweep(session, "hubspot", shipped), may_sweep(session, "hubspot", new))
        other_crm = may_sweep(session, "salesforce", shipped)

    assert never == (True, True)  # never rolled out: as before, a sync sweeps to its rubric
    assert after == (False, True)  # an older replica's sync leaves the rolled-out rubric alone
    assert other_crm


def test_given_a_write_the_crm_refuses_when_rolled_out_then_it_is_not_recorded_as_complete(
    sandbox: RunningSandbox,
    engine: Engine,
    database_url: str,
    synced: tuple[sessionmaker[Session], CompiledRubric],
) -> None:
    sessions, _ = synced
    gone = sorted(sandbox.hubspot.company_ids())[0]
    sandbox.hubspot.archive_company(gone)  # archived in HubSpot since the sync: a write fails

    report = roll_out(
        settings_for(sandbox, database_url), stricter(load_rubric()), engine,
        source="hubspot", reason="test",
    )  # fmt: skip

    (hubspot,) = report.sources
    assert (hubspot.failed, hubspot.completed) == (1, False)
    assert hubspot.written == len(sandbox.hubspot.company_ids())
    with sessions() as session:
        assert session.get(RubricRollout, "hubspot") is None  # serve's next start goes on
