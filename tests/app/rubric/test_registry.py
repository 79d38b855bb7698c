"""Which rubric is champion and which are challengers (app.rubric.registry), from a rubric
directory, the settings and the store; and without a directory, exactly as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.errors import ConfigError, RubricError
from app.rubric import DEFAULT_RUBRIC_PATH
from app.rubric.registry import record_champion, recorded_champion, resolve_rubric_set
from app.sync.challengers import live_rubrics
from tests.support.rubric_dir import CHALLENGER_VERSION, CHAMPION_VERSION, rubric_dir

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def names(directory: Path, setting: Path | None = None) -> tuple[str, list[str]]:
    chosen = resolve_rubric_set(directory, setting, None)
    return chosen.champion.name, [c.name for c in chosen.challengers]


def test_given_no_directory_when_resolved_then_the_setting_or_default_alone_as_before(
    tmp_path: Path,
) -> None:
    default = resolve_rubric_set(None, None, None)
    own = rubric_dir(tmp_path / "own") / "challenger.yaml"

    assert (default.champion.path, default.challengers) == (DEFAULT_RUBRIC_PATH, ())
    chosen = resolve_rubric_set(None, own, None)
    assert (chosen.champion.rubric.version, chosen.challengers) == (CHALLENGER_VERSION, ())


def test_given_a_directory_and_nothing_recorded_then_champion_yaml_leads_the_others_challenge(
    tmp_path: Path,
) -> None:
    directory = rubric_dir(tmp_path, challenger="b")
    (directory / "a.yml").write_text((directory / "b.yaml").read_text())
    (directory / "notes.txt").write_text("not a rubric")

    assert names(directory) == ("champion", ["a", "b"])


def test_given_icp_sync_rubric_names_a_file_of_the_directory_then_it_is_the_first_champion(
    tmp_path: Path,
) -> None:
    directory = rubric_dir(tmp_path)

    assert names(directory, Path("challenger.yaml")) == ("challenger", ["champion"])


def test_given_no_champion_yaml_nor_setting_then_the_error_names_the_choices(
    tmp_path: Path,
) -> None:
    directory = rubric_dir(tmp_path, champion="current", challenger="next")

    with pytest.raises(ConfigError, match="choose one of: current, next"):
        names(directory)
    with pytest.raises(ConfigError, match=r"other\.yaml is not in the rubric directory"):
        names(directory, Path("/elsewhere/other.yaml"))


def test_given_a_bad_or_doubled_file_then_the_error_names_it(tmp_path: Path) -> None:
    directory = rubric_dir(tmp_path)
    (directory / "broken.yaml").write_text("version: 1\nlayers: []\n")

    with pytest.raises(RubricError, match=r"broken\.yaml"):
        names(directory)
    (directory / "broken.yaml").unlink()
    (directory / "champion.yml").write_text("version: x\n")
    with pytest.raises(ConfigError, match="two rubrics named 'champion'"):
        names(directory)
    with pytest.raises(ConfigError, match="is not a directory"):
        names(directory / "champion.yaml")


def test_given_a_recorded_champion_then_it_wins_over_the_settings_in_every_session(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    directory = rubric_dir(tmp_path)
    with sessions() as session:
        assert recorded_champion(session) is None
        record_champion(session, "challenger", NOW)
        session.commit()

    with sessions() as other:
        chosen = resolve_rubric_set(directory, Path("champion.yaml"), other)
    assert chosen.champion.rubric.version == CHALLENGER_VERSION
    assert [c.rubric.version for c in chosen.challengers] == [CHAMPION_VERSION]


def test_given_the_recorded_champion_file_is_gone_then_the_error_says_what_to_do(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    directory = rubric_dir(tmp_path)
    with sessions() as session:
        record_champion(session, "challenger", NOW)
        session.commit()
        (directory / "challenger.yaml").unlink()

        with pytest.raises(ConfigError, match=r"'challenger', has no file .* promote one of"):
            resolve_rubric_set(directory, None, session)


def test_given_a_running_process_when_another_promotes_then_its_next_batch_uses_the_new_champion(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    live = live_rubrics(rubric_dir(tmp_path), None)
    with sessions() as session:
        before = live(session)
        record_champion(session, "challenger", NOW)
        session.commit()
    with sessions() as session:
        after = live(session)

    assert before.champion.version == CHAMPION_VERSION
    assert [(c.name, c.rubric.version) for c in before.challengers] == [
        ("challenger", CHALLENGER_VERSION)
    ]
    assert after.champion.version == CHALLENGER_VERSION
    assert [(c.name, c.rubric.version) for c in after.challengers] == [
        ("champion", CHAMPION_VERSION)
    ]
