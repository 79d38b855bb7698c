"""The rubric set a command scores with, resolved from the settings and the store (see
app.rubric.registry for the rules): the champion and the challengers scored in shadow."""

from __future__ import annotations

from pathlib import Path

from app.errors import IcpSyncError
from app.rubric.registry import RubricSet, resolve_rubric_set
from app.settings import Settings


def resolve_rubrics(option: Path | None, settings: Settings) -> RubricSet:
    """`--rubric` (then no challengers), else the rubric directory with the champion recorded
    in the store (a store not yet created or migrated has none recorded), else
    `ICP_SYNC_RUBRIC` or the shipped default."""
    if option is not None or settings.rubric_dir is None:
        return resolve_rubric_set(None, settings.rubric, None, explicit=option)
    from sqlalchemy import inspect

    from app.store.engine import make_engine, make_session_factory

    if not _store_exists(settings.database_url):
        return resolve_rubric_set(settings.rubric_dir, settings.rubric, None)
    engine = make_engine(settings.database_url)
    try:
        if not inspect(engine).has_table("rubric_champions"):
            return resolve_rubric_set(settings.rubric_dir, settings.rubric, None)
        with make_session_factory(engine)() as session:
            return resolve_rubric_set(settings.rubric_dir, settings.rubric, session)
    finally:
        engine.dispose()


def refuse_rubric_with_directory(option: Path | None, settings: Settings) -> None:
    """A service (serve, worker) with a rubric directory scores with its recorded champion,
    which a `--rubric` of one process must not contradict."""
    if option is not None and settings.rubric_dir is not None:
        raise IcpSyncError(
            f"--rubric {option} and ICP_SYNC_RUBRIC_DIR={settings.rubric_dir}: the service "
            "scores with the directory's champion (icp-sync promote NAME); give one of them"
        )


def _store_exists(url: str) -> bool:
    """False for a SQLite file not created yet: reading the champion must not create it (an
    offline command such as `score` never touches the store)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return True  # make_engine reports it
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).exists()
