"""`icp-sync promote NAME` and `icp-sync validate --compare` with a rubric directory, against
the HubSpot sandbox over real HTTP, on SQLite and PostgreSQL: a promotion is recorded in the
store (any other engine reads it), becomes the stored champion scores and then the CRM's; the
comparison counts only the deals closed after every rubric compared was scoring."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.cli.rubrics import resolve_rubrics
from app.rubric import parse_rubric
from app.rubric.registry import recorded_champion
from app.scoring import compile_rubric, score
from app.settings import get_settings
from app.store.engine import make_engine, make_session_factory
from app.store.repo import DealCounts
from app.store.tables import Account, ChallengerScore, ChallengerStart, Score
from app.sync.facts import account_facts
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.rubric_dir import (
    CHALLENGER_VERSION,
    CHALLENGER_WRITTEN,
    CHAMPION_VERSION,
    CHAMPION_WRITTEN,
    challenger_document,
    rubric_dir,
)

pytestmark = pytest.mark.slow  # syncs a sandbox through the CLI


@pytest.fixture
def sandbox(start_crm_sandbox: SandboxFactory) -> RunningSandbox:
    return start_crm_sandbox(seed=5, companies=30)


@pytest.fixture
def rubrics(tmp_path: Path) -> Path:
    return rubric_dir(tmp_path / "rubrics")


@pytest.fixture
def synced(
    monkeypatch: pytest.MonkeyPatch,
    sandbox: RunningSandbox,
    database_url: str,
    tmp_path: Path,
    rubrics: Path,
) -> Iterator[dict[str, Any]]:
    """The CLI's environment (the sandbox, the store, the rubric directory) after one sync;
    yields that sync's JSON report."""
    monkeypatch.chdir(tmp_path)
    for key, value in sandbox.service_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", database_url)
    monkeypatch.setenv("ICP_SYNC_RUBRIC_DIR", str(rubrics))
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    assert invoke("setup", "hubspot").exit_code == 0
    done = invoke("sync", "--json")
    assert done.exit_code == 0, done.stderr
    yield json.loads(done.stdout)
    get_settings.cache_clear()


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


def crm_versions(sandbox: RunningSandbox) -> set[str]:
    return {
        sandbox.hubspot.company(i).get("icp_rubric_version", "")
        for i in sandbox.hubspot.company_ids()
    }


def test_given_a_challenger_when_promoted_then_every_engine_and_the_stored_scores_follow_it(
    synced: dict[str, Any], sandbox: RunningSandbox, database_url: str
) -> None:
    assert synced["challenger_scores"] == synced["scored"] > 0
    assert crm_versions(sandbox) == {CHAMPION_WRITTEN}

    unknown = invoke("promote", "nope")
    already = invoke("promote", "champion")
    promoted = invoke("promote", "challenger", "--json")

    assert unknown.exit_code == 1
    assert "no rubric named 'nope'" in unknown.stderr
    assert "expected one of: challenger, champion" in unknown.stderr
    assert already.exit_code == 1
    assert "'champion' is already the champion" in already.stderr
    assert promoted.exit_code == 0, promoted.stderr
    document = json.loads(promoted.stdout)
    assert (document["champion"], document["previous_champion"]) == ("challenger", "champion")
    (rolled,) = document["roll_out"]["sources"]
    assert rolled["completed"]
    assert rolled["accounts"] > 0
    assert rolled["left_on_other_version"] == 0
    assert crm_versions(sandbox) == {CHALLENGER_WRITTEN}  # the roll-out wrote it, no sync

    engine = make_engine(database_url)  # another engine, as another replica would have
    try:
        with make_session_factory(engine)() as session:
            assert recorded_champion(session) == "challenger"
            scores = list(session.execute(select(Account, Score).join(Score)))
            former = session.scalars(
                select(ChallengerScore).where(ChallengerScore.name == "champion")
            ).all()
    finally:
        engine.dispose()
    assert resolve_rubrics(None, get_settings()).champion.name == "challenger"
    validated = invoke("validate", "--json")  # every command's default rubric is the champion
    assert validated.exit_code == 0, validated.stderr
    assert json.loads(validated.stdout)["rubric_version"] == CHALLENGER_VERSION
    challenger = compile_rubric(parse_rubric(challenger_document()))
    now = datetime.now(UTC)
    assert {s.rubric_version for _, s in scores} == {CHALLENGER_WRITTEN}
    assert all(
        s.score == score(account_facts(a, DealCounts()), challenger, now).score for a, s in scores
    )
    assert len(former) == len(scores)  # the former champion is scored in shadow now

    after = invoke("sync", "--json")
    assert after.exit_code == 0, after.stderr
    assert json.loads(after.stdout)["written"] == 0  # nothing was left owed
    assert crm_versions(sandbox) == {CHALLENGER_WRITTEN}
    assert invoke("promote", "challenger").exit_code == 1


def compare(*arguments: str) -> dict[str, Any]:
    result = invoke("validate", "--compare", "--json", *arguments)
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_given_challengers_when_compared_then_only_deals_closed_after_both_scored_count(
    synced: dict[str, Any], database_url: str, rubrics: Path
) -> None:
    (rubrics / "late.yaml").write_text((rubrics / "challenger.yaml").read_text())
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()

    fresh = compare()
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                update(ChallengerStart).values(first_scored_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
    finally:
        engine.dispose()
    long_ago = compare()
    table = invoke("validate", "--compare")

    assert fresh["since"] == tomorrow  # started today: no deal closed after that yet
    assert {name: r["closed"] for name, r in fresh["rubrics"].items()} == {
        "champion": 0,
        "challenger": 0,
    }
    assert fresh["waiting"] == ["late"]
    assert long_ago["since"] == "2000-01-02"
    champion, challenger = long_ago["rubrics"]["champion"], long_ago["rubrics"]["challenger"]
    assert (champion["role"], challenger["role"]) == ("champion", "challenger")
    assert champion["closed"] == challenger["closed"] > 0
    assert champion["rubric_version"] == CHAMPION_VERSION
    assert challenger["rubric_version"] == CHALLENGER_VERSION
    assert champion["auc"] != challenger["auc"]
    assert table.exit_code == 0, table.stderr
    assert "champion (champion)" in table.stdout
    assert "challenger (challenger)" in table.stdout
    assert "late: not scoring yet" in table.stdout


def test_given_no_rubric_directory_then_promote_and_compare_say_what_they_need(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ICP_SYNC_RUBRIC_DIR", raising=False)
    get_settings.cache_clear()
    try:
        promoted = invoke("promote", "x")
        compared = invoke("validate", "--compare")
    finally:
        get_settings.cache_clear()

    assert promoted.exit_code == compared.exit_code == 1
    assert "ICP_SYNC_RUBRIC_DIR is unset" in promoted.stderr
    assert "ICP_SYNC_RUBRIC_DIR is unset" in compared.stderr
