"""examples/rubrics/sandbox-narrative.yaml on sandbox data whose deals follow a buying trigger
that only the descriptions show: `validate` finds the semantic criterion's lift, and the
rubric separates won from lost better than the default rubric, which cannot read the text;
`plan` previews enabling it; the reasons quote the description."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.crm import hubspot_connector
from app.rubric import DEFAULT_RUBRIC_PATH, load_rubric
from app.scoring import compile_rubric
from app.settings import get_settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, Deal, DealAccount, Score
from app.sync.orchestrator import run_sync
from crm_sandbox.pytest_plugin import SandboxFactory

pytestmark = pytest.mark.slow  # syncs a sandbox portal, then validates and plans over it

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUBRIC = EXAMPLES / "rubrics" / "sandbox-narrative.yaml"
NARRATIVE = EXAMPLES / "narratives" / "sandbox-icp.md"


def test_given_the_example_rubric_then_its_narrative_is_the_narrative_file_word_for_word() -> None:
    us, not_us = NARRATIVE.read_text().split("## Not us")
    narrative = yaml.safe_load(RUBRIC.read_text())["narrative"]

    def words(text: str) -> list[str]:
        return " ".join(line for line in text.splitlines() if not line.startswith("#")).split()

    situation = us.split("\n\n", 2)[2]  # the first paragraph (who) is the other layers'
    assert words(narrative["us"]) == words(situation)
    assert words(narrative["not_us"]) == words(not_us)


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory, start_shared_crm_sandbox: SandboxFactory
) -> str:
    """A store holding one HubSpot portal (600 described companies, ~1,200 deals), pulled as
    the narrative rubric pulls it (its description too) and scored by it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('narrative') / 'store.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    rubric = load_rubric(RUBRIC)
    with (
        start_shared_crm_sandbox(seed=11, companies=600, deals_per_company=2.0) as sandbox,
        hubspot_connector(sandbox.hubspot_url, sandbox.hubspot_token, rubric) as connector,
    ):
        run_sync(connector, make_session_factory(engine), compile_rubric(rubric))
    engine.dispose()
    return url


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, synced: str) -> Iterator[str]:
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", synced)
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield synced
    get_settings.cache_clear()


def run_json(*arguments: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*arguments, "--json"])
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_given_hidden_text_triggers_then_validate_shows_the_semantic_criterion_lifting_wins(
    environment: str,
) -> None:
    report = run_json("validate", "--rubric", str(RUBRIC))

    narrative = next(c for c in report["criteria"] if c["criterion"] == "narrative_fit")
    assert narrative["high_closed"] > 100
    assert narrative["lift"] > 1.3
    assert narrative["lift_interval"][0] > 1  # not chance


def test_given_firmographic_fit_accounts_then_the_narrative_still_separates_won_from_lost(
    environment: str,
) -> None:
    """The lift is beyond the firmographic criteria: among the deals of accounts in the
    right industry, those whose text tells the story win more."""
    engine = make_engine(environment)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Score.criteria, Deal.is_won)
            .join(Account, Account.id == Score.account_id)
            .join(DealAccount, DealAccount.account_crm_id == Account.crm_id)
            .join(Deal, Deal.id == DealAccount.deal_id)
            .where(Deal.is_closed.is_(True), Deal.archived.is_(False))
        ).all()
    engine.dispose()
    fit = [(c["narrative_fit"], won) for c, won in rows if c["industry"] == 100]
    high = [won for points, won in fit if points is not None and points >= 50]
    low = [won for points, won in fit if points is None or points < 50]

    assert len(high) > 50
    assert len(low) > 50
    assert sum(high) / len(high) > sum(low) / len(low) + 0.1


def test_given_the_default_rubric_in_use_when_planned_then_enabling_the_narrative_is_previewed(
    environment: str,
) -> None:
    plan = run_json("plan", "--rubric", str(RUBRIC), "--current", str(DEFAULT_RUBRIC_PATH))

    assert plan["changed"] > 0
    assert any("narrative_not_us" in row["flags_added"] for row in plan["newly_disqualified"])


def test_given_a_synced_store_then_scores_quote_the_description_and_the_narrative(
    environment: str,
) -> None:
    engine = make_engine(environment)
    with engine.connect() as connection:
        reasons = [r for (rs,) in connection.execute(select(Score.reasons)) for r in rs]
    engine.dispose()

    quoted = [r for r in reasons if r.startswith("Narrative fit: '")]
    assert len(quoted) > 400
    assert all(re.search(r"' ~ '.+', similarity -?\d\.\d\d [≥<] 0\.\d\d [+]", r) for r in quoted)
