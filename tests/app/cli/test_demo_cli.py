"""`icp-sync demo` (what `make demo` runs): both CRMs end to end, on a fresh SQLite store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from app.cli.main import cli
from app.store.tables import Account, Score
from tests.support.processes import stop_process

pytestmark = pytest.mark.slow  # the whole demo


def test_given_the_demo_when_run_then_both_crms_are_scored_and_new_leads_tiered_in_real_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "400")

    result = CliRunner().invoke(cli, ["demo", "--companies", "60"])

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "setup: 14 of 14 custom fields created" in out
    assert "setup: 14 of 14 field grants created" in out  # FLS on by default
    assert re.search(r"doctor: \d+ ok, 0 warn, 0 fail, 2 skip", out), out
    hubspot = re.search(
        r"the contact is (\w+) \(its company \w+\), written back ([\d.]+) s after it was "
        r"created; the portal's workflow \"contact owner by ICP tier\" routed it to "
        r"(?:owner (\d+)|no owner)",
        out,
    )
    assert hubspot is not None, out
    owner_of_tier = {"tier_1": "75100001", "tier_2": "75100002", "tier_3": "75100003"}
    assert owner_of_tier.get(hubspot.group(1)) == hubspot.group(3)
    routed = re.search(
        r"worker → (\w+) written back ([\d.]+) s after it was created; assignment routed it to "
        r"the (\w+) queue",
        out,
    )
    assert routed is not None, out
    queue_of_tier = {"tier_1": "Enterprise", "tier_2": "SDR", "tier_3": "Unscored",
                     "disqualified": "Nurture"}  # fmt: skip
    assert queue_of_tier[routed.group(1)] == routed.group(3)

    engine = create_engine(f"sqlite:///{tmp_path / 'icp-sync-demo.db'}")
    with engine.connect() as connection:
        scored = dict(
            connection.execute(
                select(Account.object_type, func.count())
                .join(Score, Score.account_id == Account.id)
                .group_by(Account.object_type)
            ).all()
        )
    engine.dispose()
    assert set(scored) == {"company", "contact", "account", "lead"}
    assert all(count > 0 for count in scored.values())


def test_given_keep_running_when_the_demo_is_done_then_the_dashboard_serves_its_data(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-c", "from app.cli.main import run; run()", "demo",
               "--companies", "60", "--keep-running"]  # fmt: skip
    env = {**os.environ, "COLUMNS": "400"}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        printed = []
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if "Ctrl-C stops them" in line:
                break
        out = "".join(printed)
        url = re.search(r"dashboard: (http://127\.0\.0\.1:\d+/ui/)", out)
        token = re.search(r"admin token:\n(\w+)\n", out)
        assert url is not None, out
        assert token is not None, out
        auth = {"authorization": f"Bearer {token.group(1)}"}
        overview = httpx.get(url.group(1), headers=auth, timeout=30)
        validation = httpx.get(f"{url.group(1)}validation", headers=auth, timeout=30)
        anonymous = httpx.get(url.group(1), timeout=30)
    finally:
        stop_process(process)
    assert process.returncode == 0
    assert overview.status_code == 200
    scored = re.search(r"\(([\d,]+) scored, ", overview.text)
    assert scored is not None
    engine = create_engine(f"sqlite:///{tmp_path / 'icp-sync-demo.db'}")
    with engine.connect() as connection:
        stored = connection.execute(
            select(func.count())
            .select_from(Score)
            .join(Account, Account.id == Score.account_id)
            .where(Account.archived.is_(False), Account.deleted_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert int(scored.group(1).replace(",", "")) == stored > 0
    assert "Latest validation" in validation.text
    assert "data-table='tiers'" in validation.text
    assert anonymous.status_code == 401
