"""`icp-sync doctor`'s local checks: the rubric file and the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.doctor.local import rubric_check, store_check
from app.rubric import DEFAULT_RUBRIC_PATH
from app.store.engine import make_engine
from app.store.migrate import head_revision, upgrade_to_head


def test_given_the_shipped_rubric_then_the_rubric_check_passes_and_returns_it() -> None:
    check, rubric = rubric_check(DEFAULT_RUBRIC_PATH)

    assert check.status == "ok"
    assert rubric is not None
    assert f"version {rubric.version}" in check.detail


def test_given_an_invalid_rubric_then_each_problem_is_named_and_rubric_check_is_the_fix(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "rubric.yaml"
    broken.write_text(
        DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8").replace("weight: 25", "weight: lots", 1)
    )

    check, rubric = rubric_check(broken)

    assert rubric is None
    assert check.status == "fail"
    assert "layers.firmographic.criteria[0].weight: expected a number, got 'lots'" in check.detail
    assert check.fix == f"fix the lines named, then `icp-sync rubric check {broken}`"


def test_given_a_store_at_head_then_the_store_check_passes(database_url: str) -> None:
    upgrade_to_head(database_url)

    check = store_check(database_url)

    assert check.status == "ok"
    assert head_revision() in check.detail


def test_given_an_empty_store_then_the_store_check_warns_and_says_to_upgrade(
    database_url: str,
) -> None:
    check = store_check(database_url)

    assert check.status == "warn"
    assert check.detail.endswith("has no tables yet")
    assert str(check.fix).startswith("run `icp-sync db upgrade`")


def test_given_a_store_migrated_by_a_newer_version_then_the_store_check_fails(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:  # a newer release's contract migration
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
        connection.execute(
            text("UPDATE schema_compatibility SET oldest_code_revision = 'f00dfeedbeef'")
        )
    engine.dispose()

    check = store_check(database_url)

    assert check.status == "fail"
    assert "f00dfeedbeef, which this icp-sync does not know" in check.detail


def test_given_a_store_a_newer_version_expanded_then_the_store_check_passes(
    database_url: str,
) -> None:
    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:  # a newer release's expand migration
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    engine.dispose()

    check = store_check(database_url)

    assert check.status == "ok"
    assert check.detail.endswith(
        f"is at f00dfeedbeef, newer than this version's head {head_revision()}, and "
        "compatible with it"
    )


def test_given_an_unreachable_database_then_the_store_check_fails_without_the_password() -> None:
    url = "postgresql+psycopg://icp:s3cret-pw@127.0.0.1:9/icp_sync"

    check = store_check(url)

    assert check.status == "fail"
    assert "cannot use the database" in check.detail
    assert "s3cret-pw" not in check.detail
    assert "ICP_SYNC_DATABASE_URL" in str(check.fix)
