"""`icp-sync sandbox`: prints (or writes) the settings, serves until SIGTERM, and refuses a
taken port with a message instead of a traceback."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.cli.sandbox import _write_env_file
from tests.support.processes import stop_process

pytestmark = pytest.mark.slow  # starts icp-sync sandbox as a process

COMMAND = [sys.executable, "-c", "from app.cli.main import run; run()", "sandbox"]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, "--hubspot-port", "0", "--salesforce-port", "0", "--companies", "20", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = stop_process(process)
    assert process.returncode == 0, err
    return out, err


def test_given_the_command_when_started_then_it_prints_settings_that_reach_a_serving_api() -> None:
    process = _start("--seed", "4")
    try:
        assert process.stdout is not None
        url_line = process.stdout.readline().strip()
        token_line = process.stdout.readline().strip()
        key, url = url_line.split("=", 1)
        token_key, token = token_line.split("=", 1)
        response = httpx.get(
            f"{url}/crm/v3/objects/companies",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        _out, err = _stop(process)

    assert (key, token_key) == ("ICP_SYNC_HUBSPOT_BASE_URL", "ICP_SYNC_HUBSPOT_TOKEN")
    assert url.startswith("http://127.0.0.1:")
    assert token.startswith("pat-sandbox-")
    assert response.status_code == 200
    assert 15 <= len(response.json()["results"]) <= 20
    assert "sandbox stopped" in err
    assert "Traceback" not in err


def test_given_an_env_file_when_started_then_our_keys_are_replaced_and_other_lines_kept(
    tmp_path: Path,
) -> None:
    env = tmp_path / ".env"
    env.write_text("ICP_SYNC_DATABASE_URL=sqlite:///x.db\nICP_SYNC_HUBSPOT_TOKEN=old\n")
    process = _start("--env-file", str(env), "--hubspot-token", "pat-sandbox-fixed")
    try:
        assert process.stderr is not None
        assert "wrote" in process.stderr.readline()
        written = env.read_text()
    finally:
        out, _ = _stop(process)

    lines = written.splitlines()
    assert lines[0] == "ICP_SYNC_DATABASE_URL=sqlite:///x.db"
    assert "ICP_SYNC_HUBSPOT_TOKEN=pat-sandbox-fixed" in lines
    assert "ICP_SYNC_HUBSPOT_TOKEN=old" not in lines
    assert any(line.startswith("ICP_SYNC_HUBSPOT_BASE_URL=http://127.0.0.1:") for line in lines)
    assert out == ""  # the token went to the file only


def test_given_no_env_file_yet_when_written_then_only_the_owner_can_read_it(tmp_path: Path) -> None:
    env = tmp_path / "sandbox.env"

    _write_env_file(env, {"ICP_SYNC_HUBSPOT_TOKEN": "pat-sandbox-x"})

    assert env.read_text() == "ICP_SYNC_HUBSPOT_TOKEN=pat-sandbox-x\n"
    assert env.stat().st_mode & 0o077 == 0


def test_given_a_taken_port_when_started_then_a_clear_error_and_exit_code_1(
    taken_port: int,
) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--hubspot-port", str(taken_port)])

    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f"port {taken_port}" in result.stderr
    assert "already in use" in result.stderr
    assert "--hubspot-port" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_given_the_command_when_started_then_its_salesforce_settings_reach_a_fresh_org() -> None:
    process = _start("--seed", "4")
    try:
        assert process.stdout is not None
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(6))
        instance = settings["ICP_SYNC_SALESFORCE_INSTANCE_URL"]
        verify = ssl.create_default_context(cafile=settings["ICP_SYNC_SALESFORCE_CA_BUNDLE"])
        token = httpx.post(
            f"{instance}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": settings["ICP_SYNC_SALESFORCE_CLIENT_ID"],
                "client_secret": settings["ICP_SYNC_SALESFORCE_CLIENT_SECRET"],
            },
            verify=verify,
        )
        described = httpx.get(
            f"{instance}/services/data/v62.0/sobjects/Account/describe",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            verify=verify,
        )
    finally:
        _out, err = _stop(process)

    assert settings["ICP_SYNC_SALESFORCE_INSTANCE_URL"].startswith("https://127.0.0.1:")
    assert token.status_code == 200
    assert token.json()["access_token"]
    assert "Salesforce sandbox on https://127.0.0.1:" in err
    names = [field["name"] for field in described.json()["fields"]]
    assert "Name" in names
    assert not [name for name in names if name.startswith("ICP_")]  # before setup, as a new org


def test_given_the_command_when_started_then_the_printed_jwt_key_and_username_get_a_token() -> None:
    process = _start("--seed", "4")
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(6))
        note = next(line for line in process.stderr if "ICP_SYNC_SALESFORCE_PRIVATE_KEY=" in line)
        jwt_settings = dict(word.split("=", 1) for word in note.split() if "=" in word)
        key = Path(jwt_settings["ICP_SYNC_SALESFORCE_PRIVATE_KEY"]).read_text()
        assertion = jwt.encode(
            {
                "iss": settings["ICP_SYNC_SALESFORCE_CLIENT_ID"],
                "sub": jwt_settings["ICP_SYNC_SALESFORCE_USERNAME"],
                "aud": "https://login.salesforce.com",
                "exp": int(time.time()) + 180,
            },
            key,
            algorithm="RS256",
        )
        token = httpx.post(
            f"{settings['ICP_SYNC_SALESFORCE_INSTANCE_URL']}/services/oauth2/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                  "assertion": assertion},
            verify=ssl.create_default_context(cafile=settings["ICP_SYNC_SALESFORCE_CA_BUNDLE"]),
        )  # fmt: skip
    finally:
        _stop(process)

    assert token.status_code == 200, token.text
    assert "PRIVATE KEY" not in note


def test_given_a_fault_rate_when_started_then_api_requests_are_faulted_as_asked() -> None:
    process = _start("--fault-rate", "1", "--fault-kinds", "server_error")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        token = process.stdout.readline().strip().split("=", 1)[1]
        statuses = {
            httpx.get(
                f"{url}/crm/v3/objects/companies", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            for _ in range(8)
        }
    finally:
        _out, err = _stop(process)

    assert statuses <= {500, 502, 503, 504}
    assert "Faults: 100% of API requests (server_error; seed 0)" in err


def test_given_fewer_scopes_when_started_then_calls_outside_them_get_403_and_limits_are_on() -> (
    None
):
    process = _start("--hubspot-scopes", "crm.objects.deals.read")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        token = process.stdout.readline().strip().split("=", 1)[1]
        bearer = {"Authorization": f"Bearer {token}"}
        companies = httpx.get(f"{url}/crm/v3/objects/companies", headers=bearer)
        deals = httpx.get(f"{url}/crm/v3/objects/deals", headers=bearer)
    finally:
        _out, err = _stop(process)

    assert companies.status_code == 403
    assert companies.json()["category"] == "MISSING_SCOPES"
    assert deals.status_code == 200
    assert deals.headers["X-HubSpot-RateLimit-Max"] == "190"  # on by default
    assert "HubSpot limits: 190 per 10 s, 625000 a day" in err
    assert "scopes: crm.objects.deals.read." in err


def test_given_an_unknown_fault_kind_when_started_then_a_clear_error_names_it() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--fault-rate", "0.2", "--fault-kinds", "meteor"])

    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "--fault-kinds" in result.stderr
    assert "meteor" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_given_a_search_lag_when_started_then_the_control_plane_reports_it() -> None:
    process = _start("--search-lag", "0.5")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().split("=", 1)[1]
        lag = httpx.get(f"{url}/_sandbox/search-lag").json()
    finally:
        _stop(process)

    assert lag == {"seconds": 0.5, "pending": 0}
