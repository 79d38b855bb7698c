"""The dashboard as a user meets it, for the browser tests and `make screenshots`: a store of
months of icp-sync (tests.support.dashboard_store) with the nightly validation's runs of a
rubric directory (champion and challenger), served by `icp-sync serve --workers 2` as a real
process, and a browser page logged in to it.

    with dashboard_served(url, folder, meanwhile=lambda: build_dashboard_store(url, folder, now=NOW)) as base:
        log_in(page, base)

The service's processes take longer to start (some 15 s, importing the app on two cores)
than the store takes to fill, so the store is filled while they start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from playwright.sync_api import Page

from app.rubric import load_rubric
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.ui.users import hash_password
from app.validation.nightly import validate_nightly
from tests.support.dashboard_store import DashboardSeed, seed_dashboard_store
from tests.support.processes import stop_process
from tests.support.rubric_dir import rubric_dir
from tests.support.service import free_port, serve_process, wait_ready

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "dash-4c8e1f0a7b92d35e6f10a2b4c9d8e7f3"
USER, PASSWORD = "ana", "a long passphrase for the dashboard"
HUBSPOT_APP_SECRET = "hubspot-app-secret-for-the-dashboard"
CHAMPION, CHALLENGER = "champion", "challenger"


def rubrics_of(folder: Path) -> Path:
    return folder / "rubrics"


def build_dashboard_store(
    url: str, folder: Path, *, now: datetime, accounts: int = 10_000
) -> DashboardSeed:
    """Migrates the empty store at `url`, fills it with `accounts` accounts as of `now`, and
    stores the nightly validation of the rubric directory made in `folder`: the champion's
    `validate` run and the challenger's `plan`."""
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        seed = seed_dashboard_store(sessions, accounts=accounts, now=now)
        rubrics = rubric_dir(rubrics_of(folder), champion=CHAMPION, challenger=CHALLENGER)
        validate_nightly(
            sessions,
            load_rubric(rubrics / f"{CHAMPION}.yaml"),
            {CHALLENGER: load_rubric(rubrics / f"{CHALLENGER}.yaml")},
            now=now,
            champion_name=CHAMPION,
        )
        return seed
    finally:
        engine.dispose()


@contextmanager
def dashboard_served(
    url: str, folder: Path, *, meanwhile: Callable[[], object] = lambda: None, workers: int = 2
) -> Iterator[str]:
    """`icp-sync serve --workers N --no-worker --no-schedules` on the store at `url` (migrated
    here), with the admin token, a users file of one user (`USER`) and a rubric directory in
    `folder`; runs `meanwhile` as it starts, yields its base URL once it is ready, and stops
    it after the block."""
    upgrade_to_head(url)
    rubric_dir(rubrics_of(folder), champion=CHAMPION, challenger=CHALLENGER)
    users = folder / "users"
    users.write_text(f"{USER}:{hash_password(PASSWORD)}\n", encoding="utf-8")
    port = free_port()
    with (folder / "serve.log").open("w", encoding="utf-8") as log:
        process = serve_process(
            url,
            HUBSPOT_APP_SECRET,
            port,
            "--workers", str(workers), "--no-worker", "--no-schedules",
            cwd=ROOT,
            output=log,
            ICP_SYNC_ADMIN_TOKEN=ADMIN_TOKEN,
            ICP_SYNC_UI_USERS_FILE=str(users),
            ICP_SYNC_RUBRIC_DIR=str(rubrics_of(folder)),
        )  # fmt: skip
        try:
            meanwhile()
            base = f"http://127.0.0.1:{port}"
            if not wait_ready(base, process):
                log.flush()
                output = (folder / "serve.log").read_text(encoding="utf-8")
                raise AssertionError(f"icp-sync serve did not get ready:\n{output[-3000:]}")
            yield base
        finally:
            stop_process(process)


def log_in(page: Page, base: str, user: str = USER, password: str = PASSWORD) -> None:
    """Logs in through the form at /ui/login; the page is left where the form sent it."""
    page.goto(f"{base}/ui/login")
    page.fill("#username", user)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
