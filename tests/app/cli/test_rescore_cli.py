"""`icp-sync rescore` as a RevOps engineer runs it after changing the rubric, on Salesforce
(accounts and leads): a dry run that writes nothing, then a roll-out after which every record
carries the new rubric's version; and exit 3 naming the holder while a sync runs. (10,000
HubSpot companies: test_rollout_10k.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner, Result

from app.cli.main import cli
from app.rubric import Rubric, load_rubric
from app.scoring import compile_rubric
from app.settings import get_settings
from app.store.engine import make_engine
from app.store.locks import cluster_lock, sync_lock_name
from app.store.tables import Score
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox

pytestmark = pytest.mark.slow  # whole syncs and roll-outs of a sandbox through the CLI

COMPANIES = 10_000


def stricter(rubric: Rubric) -> Rubric:
    """Tier 1 harder to reach, under the same declared version: only the hash tells."""
    changed = rubric.model_dump(mode="json", exclude_none=True)
    changed["tiers"][0]["min_score"] += 10
    return Rubric.model_validate(changed)


def use(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, database_url: str) -> None:
    for key, value in {
        **sandbox.service_env(),
        "ICP_SYNC_DATABASE_URL": database_url,
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()


def change_rubric(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Points the settings at a stricter rubric; returns its written version."""
    rubric = stricter(load_rubric())
    path = tmp_path / "stricter.yaml"
    path.write_text(
        yaml.safe_dump(rubric.model_dump(mode="json", exclude_none=True), sort_keys=False), "utf-8"
    )
    monkeypatch.setenv("ICP_SYNC_RUBRIC", str(path))
    get_settings.cache_clear()
    return compile_rubric(rubric).written_version


def invoke(*arguments: str) -> Result:
    return CliRunner().invoke(cli, list(arguments))


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    yield
    get_settings.cache_clear()


def test_given_salesforce_synced_when_the_rubric_changes_and_rescore_runs_then_every_account_and_lead_carries_it(
    start_crm_sandbox: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
) -> None:
    sandbox = start_crm_sandbox(seed=9, companies=120, salesforce_port=0, rate_limit=None)
    use(monkeypatch, sandbox, database_url)
    assert invoke("setup", "salesforce").exit_code == 0
    assert invoke("sync", "--source", "salesforce").exit_code == 0
    org = sandbox.salesforce
    assert org is not None

    before = {r["Id"]: r["ICP_Rubric_Version__c"] for r in org.snapshot("Account")}

    new = change_rubric(monkeypatch, tmp_path)
    planned = invoke("rescore", "--source", "salesforce", "--dry-run")
    unchanged = {r["Id"]: r["ICP_Rubric_Version__c"] for r in org.snapshot("Account")}
    done = invoke("rescore", "--source", "salesforce", "--json")

    assert planned.exit_code == 0, planned.stderr
    assert "dry run: nothing written" in " ".join(planned.stdout.split())
    assert unchanged == before
    assert done.exit_code == 0, done.stderr
    (salesforce,) = json.loads(done.stdout)["sources"]
    accounts = org.snapshot("Account")
    leads = [lead for lead in org.snapshot("Lead") if not lead["IsConverted"]]
    assert (salesforce["written"], salesforce["completed"]) == (len(accounts) + len(leads), True)
    assert {r["ICP_Rubric_Version__c"] for r in accounts + leads} == {new}
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert set(connection.scalars(select(Score.rubric_version))) == {new}
    finally:
        engine.dispose()


def test_given_a_sync_running_when_rescore_runs_then_it_exits_3_naming_the_sync(
    start_crm_sandbox: SandboxFactory, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    sandbox = start_crm_sandbox(seed=3, companies=5)
    use(monkeypatch, sandbox, database_url)
    assert invoke("db", "upgrade").exit_code == 0
    engine = make_engine(database_url)
    try:
        holder = "icp-sync sync --full pid 4242 since 2026-12-04T18:20:01Z"
        with cluster_lock(engine, sync_lock_name("hubspot"), holder) as held:
            assert held
            result = invoke("rescore", "--source", "hubspot", "--json")
    finally:
        engine.dispose()

    assert result.exit_code == 3
    assert result.stderr.strip() == f"error: hubspot: a sync is already running ({holder})"
    assert json.loads(result.stdout)["sources"][0]["busy"] == holder
    assert not sandbox.hubspot.writes("companies")
