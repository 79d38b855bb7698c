"""A rubric change on a store of 10,000 companies synced from the HubSpot sandbox reaches every
company in the CRM, with none left on the old version: by `icp-sync rescore`, and by `serve`
at start (`--workers 2`: once, by the elected process; a second start with the same rubric
does nothing). The two tests share one synced store and sandbox (a 10,000-company sync is the
slow part); each changes the rubric to one of its own and checks against the state it found."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import Rubric, load_rubric
from app.scoring import CompiledRubric, compile_rubric
from app.settings import get_settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import RubricRollout
from app.sync.orchestrator import run_sync
from crm_sandbox.pytest_plugin import SandboxFactory
from crm_sandbox.sandbox import RunningSandbox
from tests.support.hubspot import connect, score_writes
from tests.support.processes import stop_process
from tests.support.service import free_port, serve_process, wait_for, wait_ready

pytestmark = pytest.mark.slow  # a 10,000-company sync, a roll-out by the CLI and by serve

COMPANIES = 10_000


@dataclass(frozen=True)
class Synced:
    sandbox: RunningSandbox
    database_url: str
    folder: Path


@pytest.fixture(scope="module")
def synced(
    start_shared_crm_sandbox: SandboxFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Synced]:
    """10,000 companies synced into a SQLite store with the shipped rubric."""
    with start_shared_crm_sandbox(
        seed=17, companies=COMPANIES, deals_per_company=0.5, rate_limit=None, search_lag_s=0
    ) as sandbox:
        folder = tmp_path_factory.mktemp("rollout-10k")
        url = f"sqlite:///{folder / 'icp-sync.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        shipped = load_rubric()
        connector = connect(sandbox, shipped)
        try:
            report = run_sync(connector, make_session_factory(engine), compile_rubric(shipped))
        finally:
            connector.close()
            engine.dispose()
        assert (report.written, report.failed) == (len(sandbox.hubspot.company_ids()), 0)
        yield Synced(sandbox, url, folder)


def changed_rubric(folder: Path, name: str, tier_1: int) -> tuple[Path, CompiledRubric]:
    """The shipped rubric with tier 1 from `tier_1`, same declared version, in a file."""
    document = load_rubric().model_dump(mode="json", exclude_none=True)
    document["tiers"][0]["min_score"] = tier_1
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), "utf-8")
    return path, compile_rubric(Rubric.model_validate(document))


def versions_in_crm(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(
        sandbox.hubspot.company(crm_id)["icp_rubric_version"]
        for crm_id in sandbox.hubspot.company_ids()
    )


def recorded_fingerprint(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(RubricRollout.fingerprint).where(RubricRollout.source == "hubspot")
            )
    finally:
        engine.dispose()


def log_messages(path: Path) -> list[str]:
    return [
        json.loads(line)["event"] for line in path.read_text().splitlines() if line.startswith("{")
    ]


def test_given_10000_synced_companies_when_the_rubric_changes_and_rescore_runs_then_none_is_left_on_the_old_version(
    synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = synced.sandbox
    path, new = changed_rubric(synced.folder, "by-rescore", tier_1=80)
    before = versions_in_crm(sandbox)
    live = sandbox.hubspot.company_ids()
    sandbox.hubspot.clear_writes()
    monkeypatch.chdir(synced.folder)
    for key, value in sandbox.service_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", synced.database_url)
    monkeypatch.setenv("ICP_SYNC_RUBRIC", str(path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["rescore", "--json"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.stderr
    (hubspot,) = json.loads(result.stdout)["sources"]
    assert new.written_version not in before
    assert (hubspot["written"], hubspot["failed"], hubspot["completed"]) == (len(live), 0, True)
    assert any(c["from"] == "tier_1" and c["to"] == "tier_2" for c in hubspot["tier_changes"])
    assert versions_in_crm(sandbox) == Counter({new.written_version: len(live)})
    assert score_writes(sandbox) == Counter(dict.fromkeys(live, 1))
    assert recorded_fingerprint(synced.database_url) == new.fingerprint


def test_given_10000_synced_companies_when_serve_starts_with_a_changed_rubric_then_its_elected_process_rolls_it_out_once(
    synced: Synced,
) -> None:
    sandbox = synced.sandbox
    path, new = changed_rubric(synced.folder, "by-serve", tier_1=75)
    before = versions_in_crm(sandbox)
    live = sandbox.hubspot.company_ids()
    sandbox.hubspot.clear_writes()
    settings = {
        **sandbox.service_env(),
        "ICP_SYNC_RUBRIC": str(path),
        "ICP_SYNC_LOG_FORMAT": "json",
        "ICP_SYNC_SYNC_INTERVAL_MINUTES": "0",  # no scheduled sync: the roll-out alone writes
        "ICP_SYNC_FULL_SYNC_HOUR": "-1",
    }
    secret = settings.pop("ICP_SYNC_HUBSPOT_APP_SECRET")
    first, second = synced.folder / "serve-1.log", synced.folder / "serve-2.log"

    port = free_port()
    with first.open("w") as output:
        process = serve_process(
            synced.database_url, secret, port, "--workers", "2",
            cwd=synced.folder, output=output, **settings,
        )  # fmt: skip
        try:
            assert wait_ready(f"http://127.0.0.1:{port}", process), first.read_text()
            wait_for(
                lambda: recorded_fingerprint(synced.database_url) == new.fingerprint,
                "the roll-out to be recorded",
                timeout=240,
            )
            scraped = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        finally:
            stop_process(process)
    rolled_out = versions_in_crm(sandbox)
    writes = score_writes(sandbox)
    sandbox.hubspot.clear_writes()

    port = free_port()
    with second.open("w") as output:
        process = serve_process(
            synced.database_url, secret, port, cwd=synced.folder, output=output, **settings
        )
        try:
            assert wait_ready(f"http://127.0.0.1:{port}", process), second.read_text()
            wait_for(
                lambda: any("nothing to roll out" in m for m in log_messages(second)),
                "the second start to find the rubric rolled out",
            )
        finally:
            stop_process(process)

    assert new.written_version not in before
    assert rolled_out == Counter({new.written_version: len(live)})
    assert writes == Counter(dict.fromkeys(live, 1))  # once, not once per worker process
    messages = log_messages(first)
    assert sum(m.startswith("hubspot: rolling out rubric") for m in messages) == 1
    assert sum(" complete: " in m and "roll-out of rubric" in m for m in messages) == 1
    written = re.search(
        r'^icp_sync_rollout_accounts_total\{outcome="written",source="hubspot"\} (\S+)$'
        r'|^icp_sync_rollout_accounts_total\{source="hubspot",outcome="written"\} (\S+)$',
        scraped,
        re.MULTILINE,
    )
    assert written is not None, scraped
    assert float(written[1] or written[2]) == len(live)
    assert not any("rolling out rubric" in m for m in log_messages(second))
    assert not sandbox.hubspot.writes("companies")
