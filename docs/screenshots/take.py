"""`make screenshots`: the README's pictures of the dashboard, taken in Debian's chromium.

Builds the browser tests' store (10,000 accounts as of a fixed day, with the nightly
validation of a champion and a challenger) in a temporary SQLite file, serves it with
`icp-sync serve`, logs in and saves each page as docs/screenshots/<page>.png, 1280 pixels wide.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import FloatRect, Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.browser import launched_chromium  # noqa: E402
from tests.support.dashboard_service import (  # noqa: E402
    CHALLENGER,
    build_dashboard_store,
    dashboard_served,
    log_in,
)

OUT = Path(__file__).resolve().parent
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
MAX_HEIGHT = 1300
"""Taller pages are cut here: the README needs their top, not every row."""


def _open(path: str) -> Callable[[Page, str], None]:
    def go(page: Page, base: str) -> None:
        page.goto(f"{base}{path}")

    return go


def _filtered_accounts(page: Page, base: str) -> None:
    page.goto(f"{base}/ui/accounts")
    page.fill("#q", "tech")
    with page.expect_navigation():
        page.select_option("#tier", "tier_1")


def _an_account(page: Page, base: str) -> None:
    """A company the CRM changed lately: rescored since the roll-out, with deals."""
    page.goto(f"{base}/ui/accounts?q=tech&kind=company&tier=tier_1&sort=updated")
    with page.expect_navigation():
        page.click("#accounts-table tbody tr th a")


PAGES: dict[str, Callable[[Page, str], None]] = {
    "overview": _open("/ui/"),
    "accounts": _filtered_accounts,
    "account": _an_account,
    "validation": _open("/ui/validation"),
    "plan": _open(f"/ui/validation/plans/{CHALLENGER}"),
}


def _save(page: Page, name: str) -> None:
    height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
    clip: FloatRect = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height}
    page.screenshot(path=OUT / f"{name}.png", clip=clip, full_page=True)
    print(f"docs/screenshots/{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url = f"sqlite:///{folder / 'icp-sync.db'}"
        print("building a store of 10,000 accounts…", flush=True)
        with (
            dashboard_served(
                url, folder, meanwhile=lambda: build_dashboard_store(url, folder, now=NOW)
            ) as base,
            launched_chromium() as browser,
        ):
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.goto(f"{base}/ui/login")
            _save(page, "login")
            log_in(page, base)
            for name, show in PAGES.items():
                show(page, base)
                _save(page, name)
            context.close()


if __name__ == "__main__":
    main()
