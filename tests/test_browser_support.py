"""tests/support/browser.py: the browser fixtures drive Debian's chromium over real HTTP, axe-core
finds what is wrong with a page, and a missing chromium fails the test under CI."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from playwright.sync_api import Page

from tests.support import browser as support
from tests.support.browser import (
    REQUIRE_BROWSER,
    axe_violations,
    format_violations,
    launched_chromium,
)

ACCESSIBLE = """<!doctype html><html lang="en"><head><title>Accounts</title></head>
<body><main><h1>Accounts</h1><p>12,345 accounts</p>
<img src="data:," alt="Tier chart"></main></body></html>"""
INACCESSIBLE = """<!doctype html><html><head><title>Accounts</title></head>
<body><main><h1>Accounts</h1><img id="chart" src="data:,"></main></body></html>"""
PAGES = {"/accessible": ACCESSIBLE, "/inaccessible": INACCESSIBLE}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES[self.path].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_given_an_accessible_page_over_http_when_axe_runs_then_it_finds_no_violation(
    page: Page, site: str
) -> None:
    page.goto(f"{site}/accessible")

    violations = axe_violations(page)

    assert page.locator("h1").inner_text() == "Accounts"
    assert violations == [], format_violations(violations)


def test_given_a_page_without_lang_or_alt_text_when_axe_runs_then_both_are_reported_readably(
    page: Page, site: str
) -> None:
    page.goto(f"{site}/inaccessible")

    violations = axe_violations(page)

    assert {v["id"] for v in violations} >= {"html-has-lang", "image-alt"}
    message = format_violations(violations)
    assert "- image-alt (critical): Images must have alternative text" in message
    assert "#chart: Fix any of the following" in message


def test_given_no_chromium_and_the_browser_required_when_a_test_asks_for_it_then_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(support, "find_chromium", lambda: None)
    monkeypatch.setenv(REQUIRE_BROWSER, "1")

    with pytest.raises(pytest.fail.Exception) as failed:
        support.chromium_executable()

    assert "apt-get install chromium" in str(failed.value)
    assert f"required because {REQUIRE_BROWSER}=1" in str(failed.value)


def test_given_no_chromium_and_the_browser_not_required_when_a_test_asks_for_it_then_it_skips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(support, "find_chromium", lambda: None)
    monkeypatch.delenv(REQUIRE_BROWSER, raising=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        support.chromium_executable()

    assert "apt-get install chromium" in str(skipped.value)
    assert f"set {REQUIRE_BROWSER}=1 to fail instead" in str(skipped.value)


def test_given_chromium_launched_and_closed_when_asyncio_runs_then_no_loop_is_left_running() -> (
    None
):
    """In a thread of its own: this module's `browser` holds the main thread's loop."""
    support.chromium_executable()  # skips or fails here, not unseen in the thread
    outcome: list[object] = []

    def launch_close_and_run() -> None:
        with launched_chromium() as launched:
            outcome.append(launched.is_connected())
        outcome.append(asyncio.run(asyncio.sleep(0, result="ran")))

    thread = Thread(target=launch_close_and_run)
    thread.start()
    thread.join()

    assert outcome == [True, "ran"]
