"""The one place that finds and launches Debian's chromium for tests that need a real browser:
the dashboard's page tests (Playwright) and the HTML report's rendering (`--dump-dom`).

Playwright cannot download its own browser here, so it launches the system's by path, with the
flags that keep chromium off the network (it otherwise calls home for updates, sync and
field trials). No chromium: the test is skipped with how to install it, or failed when
ICP_SYNC_REQUIRE_BROWSER=1 (as in .ci/run), so CI never passes without running them.

Fixtures (registered in tests/conftest.py): `browser`, one headless chromium per test module;
`page`, a page in a new context (own cookies and storage) per test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

REQUIRE_BROWSER = "ICP_SYNC_REQUIRE_BROWSER"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--no-sandbox",  # tests run as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Every launch's flags but `--headless` (Playwright adds its own)."""


def find_chromium() -> str | None:
    """Debian's chromium: /usr/bin/chromium, else `chromium` on the PATH; None without."""
    if DEBIAN_CHROMIUM.is_file() and os.access(DEBIAN_CHROMIUM, os.X_OK):
        return str(DEBIAN_CHROMIUM)
    return shutil.which("chromium")


def chromium_executable() -> str:
    """The chromium to launch; without one, skips the test (fails it when
    ICP_SYNC_REQUIRE_BROWSER=1)."""
    found = find_chromium()
    if found is not None:
        return found
    message = (
        f"Debian's chromium is not installed ({DEBIAN_CHROMIUM} nor `chromium` on the PATH): "
        "`apt-get install chromium`; CI (.ci/run) installs it and requires it"
    )
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{message}: required because {REQUIRE_BROWSER}=1", pytrace=False)
    pytest.skip(f"{message}; set {REQUIRE_BROWSER}=1 to fail instead")


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Headless chromium driven by Playwright's sync API, for the block."""
    executable = chromium_executable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium for the test module. Not for the session: while Playwright's sync API
    is up, this thread's asyncio loop counts as running, so `asyncio.run` (and whatever calls
    it) fails in every test meanwhile; a module of browser tests must not call it either."""
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own: no cookie or storage left by another test."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as loaded (axe-core is bundled: no network)."""
    violations: list[dict[str, Any]] = Axe().run(page).response["violations"]
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """The violations for an assertion message: rule, impact, help, and each element's
    selector and what is wrong with it."""
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'no impact'}): "
            f"{violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node.get("target", []))
            summary = " ".join(str(node.get("failureSummary") or "").split())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)
