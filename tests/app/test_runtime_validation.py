"""`serve`'s nightly validation (app.runtime, app.validation.nightly) on the plan store whose
answer is known (tests/support/plan_store.py), SQLite and PostgreSQL: the champion's
validation and each challenger's plan stored, the job scheduled at `validation_hour`, and a
failure logged without reaching the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.rubric import load_rubric
from app.runtime import Runtime
from app.settings import Settings
from app.store.engine import make_engine, make_session_factory
from app.validation.runs import NIGHTLY, PLAN, VALIDATE, latest_plans, latest_run, list_runs
from tests.support import plan_store
from tests.support.rubric_dir import CHALLENGER_VERSION, CHAMPION_VERSION, rubric_dir


@pytest.fixture
def engine(sessions: sessionmaker[Session], database_url: str) -> Iterator[Engine]:
    """The plan store's engine, for a runtime."""
    plan_store.fill(sessions)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def runtime(engine: Engine, rubric_dir: Path | None = None) -> Runtime:
    url = engine.url.render_as_string(hide_password=False)
    found = Runtime(
        Settings(database_url=url, rubric_dir=rubric_dir),
        load_rubric(),
        engine,
        make_session_factory(engine),
        run_worker=False,
        run_schedules=False,
    )
    found.start()
    return found


def test_given_a_rubric_directory_when_the_nightly_job_runs_then_it_stores_each_run(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    service = runtime(engine, rubric_dir(tmp_path / "rubrics", challenger="lenient"))

    stored = service.validate_nightly(plan_store.NOW)

    with sessions() as session:
        validation = latest_run(session, VALIDATE)
        plans = latest_plans(session)
    assert [run.kind for run in stored] == [VALIDATE, PLAN]
    assert validation is not None
    assert (validation.trigger, validation.rubric_name) == (NIGHTLY, "champion")
    assert validation.rubric_version == validation.report["rubric_version"] == CHAMPION_VERSION
    assert validation.report["closed"] > 0
    assert list(plans) == ["lenient"]
    plan = plans["lenient"]
    assert (plan.trigger, plan.rubric_name, plan.challenger_version) == (
        NIGHTLY,
        "champion",
        CHALLENGER_VERSION,
    )
    assert plan_store.NOW <= validation.started_at <= validation.finished_at <= plan.started_at
    report = plan.report
    assert report["champion_version"] == CHAMPION_VERSION
    assert report["newly_disqualified_count"] == 0  # the challenger has no disqualifiers
    lifted = {c["crm_id"] for c in report["no_longer_disqualified"]}
    assert lifted == {"A4", "A5"}  # government and too small under the champion
    assert report["no_longer_disqualified_count"] == 2
    assert set(report["validation"]) == {"champion", "challenger"}


def test_given_no_rubric_directory_when_the_nightly_job_runs_then_it_validates_the_rubric_only(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    stored = runtime(engine).validate_nightly(plan_store.NOW)

    with sessions() as session:
        runs = list_runs(session)
    assert runs == stored
    assert [(r.kind, r.rubric_name, r.rubric_version) for r in runs] == [
        (VALIDATE, None, CHAMPION_VERSION)
    ]


def test_given_a_store_that_fails_when_the_nightly_job_runs_then_it_logs_and_returns(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE validation_runs"))
    service = runtime(engine)

    with caplog.at_level(logging.ERROR):
        stored = service.validate_nightly(plan_store.NOW)

    assert stored == []
    assert f"nightly validation of {CHAMPION_VERSION} failed" in caplog.text


@pytest.mark.parametrize(("hour", "scheduled"), [(3, True), (-1, False)])
def test_given_a_validation_hour_when_the_schedules_start_then_the_job_runs_then_or_never(
    database_url: str, hour: int, scheduled: bool
) -> None:
    engine = make_engine(database_url)
    settings = Settings(database_url=database_url, validation_hour=hour)
    service = Runtime(settings, load_rubric(), engine, make_session_factory(engine),
                      run_worker=False)  # fmt: skip
    service.start()
    try:
        assert service._scheduler is not None
        job = service._scheduler.get_job("validation")
    finally:
        service.stop()
        engine.dispose()

    assert (job is not None) == scheduled
    if job is not None:
        assert str(job.trigger) == "cron[hour='3', minute='0']"


def test_given_stored_runs_older_than_the_retention_when_retention_runs_then_the_latest_stays(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    service = runtime(engine)
    old = datetime.now(UTC) - timedelta(days=30)
    stored = [service.validate_nightly(old + timedelta(days=day))[0] for day in (0, 1)]

    service.prune()

    with sessions() as session:
        assert list_runs(session) == stored[1:]
