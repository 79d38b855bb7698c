"""The dashboard in a real browser: Playwright drives Debian's chromium against `icp-sync serve
--workers 2` on a store of 10,000 accounts with stored validation runs, on SQLite and
PostgreSQL. Every figure a page shows is compared with the store's, read by the test's own
SQL (not the dashboard's read modules), and every page is checked with axe-core."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from app.store.engine import make_engine
from tests.conftest import _reset_postgres
from tests.support.browser import axe_violations, chromium_executable, format_violations
from tests.support.dashboard_service import (
    CHALLENGER,
    PASSWORD,
    USER,
    build_dashboard_store,
    dashboard_served,
    log_in,
)

pytestmark = pytest.mark.slow  # a 10,000-account store, a served process and a browser

SEARCH, TIER, SOURCE = "tech", "tier_1", "hubspot"
PAGE_SIZE = 50
LIVE = "a.archived = :no AND a.deleted_at IS NULL"


@dataclass(frozen=True)
class Served:
    base: str
    store: Engine
    log: Path

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.store.connect() as connection:
            return list(connection.execute(text(sql), {"no": False, **params}))


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    chromium_executable()  # skipped (failed under CI) before a store is built for nothing
    folder = tmp_path_factory.mktemp("dashboard")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'icp-sync.db'}"
    else:
        url = request.getfixturevalue("postgres_session_url")
        _reset_postgres(url)
    now = datetime.now(UTC) - timedelta(minutes=1)
    store = make_engine(url)
    try:
        with dashboard_served(
            url, folder, meanwhile=lambda: build_dashboard_store(url, folder, now=now)
        ) as base:
            yield Served(base, store, folder / "serve.log")
    finally:
        store.dispose()


def figure(shown: str) -> int:
    return int(shown.strip().replace(",", ""))


def json_of(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_given_no_session_when_the_dashboard_is_opened_then_only_the_right_password_logs_in(
    served: Served, page: Page
) -> None:
    page.goto(f"{served.base}/ui/")
    assert "/ui/login" in page.url
    assert page.locator("#password").is_visible()

    log_in(page, served.base, USER, "not the password")
    assert page.locator("#login-error").inner_text() == "Wrong user or password."
    assert page.locator("#password").is_visible()

    log_in(page, served.base, USER, PASSWORD)
    assert page.url == f"{served.base}/ui/"
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator("form.logout span").inner_text() == USER

    with page.expect_navigation():
        page.click("form.logout button")
    assert "/ui/login" in page.url
    page.goto(f"{served.base}/ui/accounts")
    assert "/ui/login" in page.url
    assert page.locator("#password").is_visible()


def test_given_two_workers_when_logged_in_once_then_every_page_load_is_let_in(
    served: Served, page: Page
) -> None:
    log_in(page, served.base)
    paths = ["/ui/", "/ui/accounts", f"/ui/accounts?tier={TIER}", "/ui/accounts?sort=score",
             "/ui/accounts?page=2", "/ui/validation", f"/ui/validation/plans/{CHALLENGER}",
             f"/ui/accounts?q={SEARCH}", "/ui/accounts?source=salesforce", "/ui/"]  # fmt: skip
    for path in paths:
        response = page.goto(f"{served.base}{path}")
        assert response is not None, path
        assert response.status == 200, path
        assert "/ui/login" not in page.url, path
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    for _ in range(10):  # a connection each: the kernel spreads them over both workers
        answer = httpx.get(
            f"{served.base}/ui/accounts",
            cookies=cookies,
            headers={"accept": "text/html", "connection": "close"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert 'id="accounts-table"' in answer.text
    workers = set(re.findall(r"Started server process \[(\d+)\]", served.log.read_text()))
    assert len(workers) == 2


def test_given_the_store_when_the_overview_is_shown_then_every_figure_is_the_stores(
    served: Served, page: Page
) -> None:
    log_in(page, served.base)

    live = {
        (tier, f"{source}/{kind}"): n
        for tier, source, kind, n in served.rows(
            "SELECT s.tier, a.source, a.object_type, count(*) FROM scores s "
            f"JOIN accounts a ON a.id = s.account_id WHERE {LIVE} GROUP BY 1, 2, 3"
        )
    }
    shown = {
        (row.get_attribute("data-tier"), cell.get_attribute("data-kind")): figure(cell.inner_text())
        for row in page.locator("#tier-table tbody tr").all()
        for cell in row.locator("td[data-kind]").all()
    }
    assert {k: v for k, v in shown.items() if v} == live
    for tier in {t for t, _ in live}:
        total = page.locator(f"#tier-table tr[data-tier='{tier}'] td[data-total]").inner_text()
        assert figure(total) == sum(n for (t, _), n in live.items() if t == tier)
    (every,) = served.rows(f"SELECT count(*) FROM accounts a WHERE {LIVE}")[0]
    assert served.rows("SELECT count(*) FROM accounts")[0][0] >= 10_000
    scored = sum(live.values())
    caption = page.locator("#tier-table caption").inner_text()
    assert f"({scored:,} scored, {every - scored:,} not scored yet)" in caption

    last_tier = dict(
        served.rows(
            "SELECT h.tier, count(*) FROM score_history h JOIN (SELECT account_id, max(id) AS id "
            "FROM score_history GROUP BY account_id) l ON l.id = h.id GROUP BY h.tier"
        )
    )
    lines = page.locator("#tiers-over-time g.line").all()
    charted = {
        line.get_attribute("data-name"): int(line.get_attribute("data-last") or "")
        for line in lines
    }
    assert {tier: n for tier, n in charted.items() if n} == last_tier

    versions = {
        row.locator("th").inner_text(): figure(row.locator("td").inner_text())
        for row in page.locator("#rubric-table tbody tr").all()
    }
    assert versions == dict(
        served.rows("SELECT rubric_version, count(*) FROM scores GROUP BY rubric_version")
    )

    syncs = served.rows("SELECT source, stats FROM sync_state WHERE object_type = 'accounts'")
    assert len(syncs) == page.locator("#sync-table tbody tr").count() == 2
    for source, stats in syncs:
        stats = json_of(stats)
        row = page.locator(f"#sync-table tr[data-source='{source}']")
        expected = {
            "pulled": sum(stats["pulled"].values()),
            "written": stats["written"],
            "failed": stats["failed"],
            "api_calls": stats["api_calls"],
        }
        for field, value in expected.items():
            assert figure(row.locator(f"td[data-field='{field}']").inner_text()) == value, field

    inbox = dict(served.rows("SELECT status, count(*) FROM webhook_events GROUP BY status"))
    writes = dict(served.rows("SELECT status, count(*) FROM writeback_state GROUP BY status"))
    assert inbox.get("dead", 0) > 0
    assert writes.get("failed", 0) > 0
    queues = {
        "#inbox-pending": inbox.get("pending", 0) + inbox.get("processing", 0),
        "#inbox-dead": inbox.get("dead", 0),
        "#writes-owed": writes.get("pending", 0) + writes.get("sending", 0),
        "#writes-failed": writes.get("failed", 0),
    }
    for selector, value in queues.items():
        assert figure(page.locator(selector).inner_text()) == value, selector


def _filtered(served: Served, order: str = "a.id") -> list[Any]:
    """The live records the accounts filter (search, tier, CRM) matches: id, score, tier."""
    return served.rows(
        "SELECT a.id, s.score, s.tier, a.source FROM accounts a "
        f"JOIN scores s ON s.account_id = a.id WHERE {LIVE} "
        "AND (lower(a.name) LIKE :like OR a.domain LIKE :like) AND s.tier = :tier "
        f"AND a.source = :source ORDER BY {order}",
        like=f"%{SEARCH}%",
        tier=TIER,
        source=SOURCE,
    )


def _filter_accounts(served: Served, page: Page) -> None:
    """Types the search, then chooses the tier and the CRM (each choice submits the form)."""
    page.goto(f"{served.base}/ui/accounts")
    page.fill("#q", SEARCH)
    with page.expect_navigation():
        page.select_option("#tier", TIER)
    with page.expect_navigation():
        page.select_option("#source", SOURCE)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")


def _shown_ids(page: Page) -> list[int]:
    return [
        int(r.get_attribute("data-id") or "")
        for r in page.locator("#accounts-table tbody tr").all()
    ]


def test_given_a_filter_when_the_accounts_are_listed_sorted_and_paged_then_they_are_the_stores(
    served: Served, page: Page
) -> None:
    log_in(page, served.base)
    _filter_accounts(served, page)

    matching = {row[0]: row for row in _filtered(served)}
    assert len(matching) > 2 * PAGE_SIZE
    count = page.locator("#result-count").inner_text()
    assert figure(count.split()[0]) == len(matching)
    for row in page.locator("#accounts-table tbody tr").all():
        _, score, tier, source = matching[int(row.get_attribute("data-id") or "")]
        assert figure(row.locator("td[data-field='score']").inner_text()) == score
        assert row.locator("td[data-field='tier']").inner_text() == tier
        assert row.locator("td").nth(1).inner_text().startswith(source)

    with page.expect_navigation():
        page.click("#accounts-table a[data-sort='score']")
    by_score = [row[0] for row in _filtered(served, "s.score DESC, a.id DESC")]
    assert _shown_ids(page) == by_score[:PAGE_SIZE]
    with page.expect_navigation():
        page.click("nav.pages a[rel='next']")
    second = _shown_ids(page)
    assert second == by_score[PAGE_SIZE : 2 * PAGE_SIZE]
    assert page.locator("#page-of").inner_text() == f"Page 2 of {-(-len(matching) // PAGE_SIZE)}"

    chosen = max(second, key=lambda id_: (len(_deals_of(served, id_)), -second.index(id_)))
    with page.expect_navigation():
        page.click(f"#accounts-table tr[data-id='{chosen}'] th a")
    _check_account_page(served, page, chosen)


def _deals_of(served: Served, account_id: int) -> list[str]:
    return [
        crm_id
        for (crm_id,) in served.rows(
            "SELECT d.crm_id FROM accounts a JOIN deal_accounts l ON l.account_crm_id = a.crm_id "
            "JOIN deals d ON d.id = l.deal_id AND d.source = a.source "
            "WHERE a.id = :id AND a.object_type IN ('company', 'account') "
            "UNION ALL SELECT d.crm_id FROM accounts a "
            "JOIN deal_contacts l ON l.contact_crm_id = a.crm_id "
            "JOIN deals d ON d.id = l.deal_id AND d.source = a.source "
            "WHERE a.id = :id AND a.object_type = 'contact'",
            id=account_id,
        )
    ]


def _check_account_page(served: Served, page: Page, account_id: int) -> None:
    assert page.url == f"{served.base}/ui/accounts/{account_id}"
    ((name, score, tier, flags, criteria),) = served.rows(
        "SELECT a.name, s.score, s.tier, s.flags, s.criteria FROM accounts a "
        "JOIN scores s ON s.account_id = a.id WHERE a.id = :id",
        id=account_id,
    )
    assert page.locator("h1").inner_text() == name
    assert figure(page.locator("#score-value").inner_text()) == score
    assert page.locator("#score-tier").inner_text() == tier
    assert page.locator("#score-flags").inner_text() == (", ".join(json_of(flags)) or "none")
    points = {
        row.get_attribute("data-criterion"): row.locator("td[data-field='points']").inner_text()
        for row in page.locator("#criteria-table tbody tr").all()
    }
    stored = json_of(criteria)
    assert stored
    assert set(points) == set(stored)
    for criterion, value in stored.items():
        expected = "left out" if value is None else str(round(float(value), 1))
        assert points[criterion] == expected, criterion

    history = served.rows(
        "SELECT score, tier, rubric_version FROM score_history WHERE account_id = :id "
        "ORDER BY scored_at DESC, id DESC",
        id=account_id,
    )
    entries = page.locator("#history > li > p").all()
    assert len(entries) == len(history) > 1
    for entry, (h_score, h_tier, version) in zip(entries, history, strict=True):
        assert f"score {h_score}, tier {h_tier}, rubric {version}" in entry.inner_text()

    deals = _deals_of(served, account_id)
    listed = [r.get_attribute("data-deal") for r in page.locator("#deals-table tbody tr").all()]
    assert deals
    assert sorted(str(deal) for deal in listed) == sorted(deals)


def test_given_stored_runs_when_validation_is_shown_then_it_has_their_figures_and_the_plan_opens(
    served: Served, page: Page
) -> None:
    log_in(page, served.base)
    page.goto(f"{served.base}/ui/validation")
    ((report,),) = served.rows(
        "SELECT report FROM validation_runs WHERE kind = 'validate' ORDER BY id DESC LIMIT 1"
    )
    ((plan,),) = served.rows(
        "SELECT report FROM validation_runs WHERE kind = 'plan' AND challenger_name = :name "
        "ORDER BY id DESC LIMIT 1",
        name=CHALLENGER,
    )
    report, plan = json_of(report), json_of(plan)

    tiers = page.locator("[data-table='tiers']").first
    assert tiers.locator("tr[data-row]").count() == len(report["tiers"]) > 1
    for tier in report["tiers"]:
        row = tiers.locator(f"tr[data-row='{tier['tier']}']")
        for field in ("closed", "won", "win_rate"):
            shown = row.locator(f"[data-field='{field}']").get_attribute("data-value")
            assert json.loads(shown or "") == tier[field], (tier["tier"], field)
    summary = page.locator(f"#plans-table tr[data-challenger='{CHALLENGER}']").inner_text()
    assert f"{plan['changed']:,} of {plan['accounts']:,}" in summary
    assert plan["changed"] > 0

    with page.expect_navigation():
        page.click(f"#plans-table a[href='/ui/validation/plans/{CHALLENGER}']")
    assert CHALLENGER in page.locator("h1").inner_text()
    summary_fields = {
        "changed": plan["changed"],
        "newly_disqualified": plan["newly_disqualified_count"],
        "no_longer_disqualified": plan["no_longer_disqualified_count"],
    }
    for field, value in summary_fields.items():
        shown = page.locator(f"[data-field='{field}']").first.get_attribute("data-value")
        assert json.loads(shown or "") == value, field


def test_given_every_page_when_axe_core_checks_it_then_it_finds_no_violation(
    served: Served, page: Page
) -> None:
    found: dict[str, str] = {}

    def check(name: str) -> None:
        violations = axe_violations(page)
        if violations:
            found[name] = format_violations(violations)

    page.goto(f"{served.base}/ui/login")
    check("login")
    log_in(page, served.base)
    check("overview")
    _filter_accounts(served, page)
    check("accounts")
    with page.expect_navigation():
        page.click("#accounts-table tbody tr th a")
    check("account")
    page.goto(f"{served.base}/ui/validation")
    check("validation")
    page.goto(f"{served.base}/ui/validation/plans/{CHALLENGER}")
    check("plan")

    assert not found, "\n".join(f"{name}: {text}" for name, text in found.items())


def test_given_a_filter_when_its_csv_is_exported_then_it_has_exactly_the_matching_records(
    served: Served, page: Page, tmp_path: Path
) -> None:
    log_in(page, served.base)
    _filter_accounts(served, page)

    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "accounts.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))

    assert header[0] == "id"
    assert sorted(int(row[0]) for row in rows) == [row[0] for row in _filtered(served)]
    assert re.fullmatch(r"[\d,]+", page.locator("#result-count").inner_text().split()[0])
