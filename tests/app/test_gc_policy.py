"""The processes that score apply `app.gc_policy` (a young generation of 50,000 and start-up
frozen out of the collector): each command, run through the typer app, leaves the policy
applied, even one that then stops at a user error after its start-up."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.api.process import ServeOptions, build_app
from app.cli.main import cli
from app.gc_policy import THRESHOLDS, apply_gc_policy
from app.rubric import load_rubric
from app.settings import Settings, get_settings

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "app" / "samples" / "accounts.csv"


@pytest.fixture(autouse=True)
def default_collector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts from CPython's default policy and gives it back."""
    monkeypatch.chdir(tmp_path)
    for name in ("ICP_SYNC_RUBRIC", "ICP_SYNC_RUBRIC_DIR", "ICP_SYNC_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    get_settings.cache_clear()


def _applied() -> bool:
    return gc.get_threshold() == THRESHOLDS and gc.get_freeze_count() > 0


def test_given_the_policy_when_applied_then_start_up_is_frozen_and_the_young_generation_raised() -> (
    None
):
    assert not _applied()

    apply_gc_policy()

    assert gc.get_threshold() == (50_000, 20, 20)
    assert gc.get_freeze_count() > 0


def test_given_fresh_cyclic_garbage_when_the_policy_is_applied_then_it_is_collected_not_frozen() -> (
    None
):
    class Node:
        other: object = None

    node = Node()
    node.other = node
    alive = weakref.ref(node)
    del node

    apply_gc_policy()

    assert alive() is None


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--input", str(SAMPLE_CSV), "--json"],
        ["worker", "--rubric", "missing.yaml"],
        ["sync", "--source", "no-such-crm"],
        ["rescore", "--source", "no-such-crm"],
        ["promote", "no-such-rubric"],
    ],
    ids=lambda args: args[0],
)
def test_given_a_scoring_command_when_run_then_its_process_scores_under_the_policy(
    args: list[str],
) -> None:
    assert not _applied()

    result = CliRunner().invoke(cli, args)

    assert not isinstance(result.exception, (AssertionError, TypeError)), result.exception
    assert _applied(), (result.exit_code, result.stdout, result.exception)


def test_given_serve_when_a_worker_process_builds_its_app_then_it_serves_under_the_policy(
    tmp_path: Path,
) -> None:
    options = ServeOptions("127.0.0.1", 8000, 2, True, True, "rubric.yaml")
    assert not _applied()

    build_app(options, Settings(database_url=f"sqlite:///{tmp_path / 'icp.db'}"), load_rubric())

    assert _applied()
