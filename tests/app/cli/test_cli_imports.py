"""What `icp-sync` imports to start (issue 18, point 5): loading the command, `--help`, and
scoring a small file offline never import the store (SQLAlchemy, Alembic), the web stack
(FastAPI, Starlette, uvicorn), the CRM clients (HubSpot's, simple-salesforce, httpx) or
numpy; `--help` not rich nor the settings either. Each case runs in a fresh interpreter,
through the console script's `run()`, and reads `sys.modules` after it. Nothing is timed:
bench/cli_startup.py times the same commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
from app.accounts_file import DEFAULT_OBJECT_TYPE
from app.cli import scoring

CODE = Path(app.__file__).resolve().parent.parent
"""The checkout under test: the subprocesses import the same code as this one."""
SAMPLE = CODE / "app" / "samples" / "accounts.csv"

NEVER = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "hubspot",
    "simple_salesforce",
    "httpx",
    "numpy",
    "connectors.hubspot",
    "connectors.salesforce",
    "app.store",
    "app.api",
    "app.sync",
)
"""Not imported by any of the commands below."""

NOT_FOR_HELP = (*NEVER, "rich", "pydantic_settings", "app.settings", "yaml", "app.rubric")
"""Not imported to list the commands either."""

# Runs the entry point as the console script does, then writes what was imported to a file.
RUN_THEN_LIST_MODULES = """
import json, sys
listing = sys.argv.pop(1)
from app.cli.main import run
try:
    run()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
with open(listing, "w") as out:
    json.dump({"exit_code": code, "modules": sorted(sys.modules)}, out)
"""


def run_python(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`python ARGUMENTS` with this checkout's code, in an empty directory (no `.env`), without
    ICP_SYNC_* settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ICP_SYNC_")}
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment | {"PYTHONPATH": str(CODE), "COLUMNS": "200"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def imported_by(
    tmp_path: Path, *arguments: str
) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    listing = tmp_path / "modules.json"
    done = run_python(tmp_path, "-c", RUN_THEN_LIST_MODULES, str(listing), *arguments)
    assert listing.exists(), done.stderr
    report = json.loads(listing.read_text())
    assert report["exit_code"] in (0, None), done.stderr
    return set(report["modules"]), done


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The `packages` (or any of their submodules) among `modules`."""
    return sorted(
        package
        for package in packages
        if any(name == package or name.startswith(f"{package}.") for name in modules)
    )


def test_given_a_fresh_interpreter_when_the_cli_module_is_imported_then_no_heavy_package_is(
    tmp_path: Path,
) -> None:
    probe = "import json, sys; import app.cli.main; print(json.dumps(sorted(sys.modules)))"
    done = run_python(tmp_path, "-c", probe)

    assert done.returncode == 0, done.stderr
    assert loaded(set(json.loads(done.stdout)), NOT_FOR_HELP) == []


def test_given_help_when_run_through_the_entry_point_then_it_lists_the_commands_without_heavy_imports(
    tmp_path: Path,
) -> None:
    modules, done = imported_by(tmp_path, "--help")

    assert loaded(modules, NOT_FOR_HELP) == []
    for command in ("score", "sync", "serve", "validate", "db", "rubric", "inbox"):
        assert f"  {command} " in done.stdout


def test_given_a_command_help_when_run_then_it_shows_the_options_without_the_store_or_crms(
    tmp_path: Path,
) -> None:
    modules, done = imported_by(tmp_path, "score", "--help")

    assert loaded(modules, (*NEVER, "rich", "pydantic_settings", "yaml")) == []
    assert "--input" in done.stdout
    assert "--rubric" in done.stdout


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_given_a_small_file_when_scored_then_neither_the_store_nor_a_crm_client_is_imported(
    tmp_path: Path, as_json: bool
) -> None:
    modules, done = imported_by(
        tmp_path, "score", "-i", str(SAMPLE), *(["--json"] if as_json else [])
    )

    assert loaded(modules, NEVER) == []
    # Nothing is configured (no ICP_SYNC_* variable, no .env): the rubric is the default one,
    # known without reading the settings through pydantic-settings.
    assert loaded(modules, ("pydantic_settings", "app.settings")) == []
    if as_json:
        assert json.loads(done.stdout)["count"] == 24
    else:
        assert "Scored 24 records" in done.stdout


def test_given_explain_with_set_then_its_default_object_type_is_the_accounts_files() -> None:
    # app.cli.scoring keeps its own copy, so that loading it does not import the scorer.
    assert scoring.DEFAULT_OBJECT_TYPE == DEFAULT_OBJECT_TYPE
