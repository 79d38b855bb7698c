"""`icp-sync validate` on sandbox data, whose won/lost outcomes follow a hidden "true ICP": the
default rubric must separate them, a rubric with its weights shuffled less well, and every
figure printed is checked against one computed here from the store directly."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli.main import cli
from app.rubric import DEFAULT_RUBRIC_PATH, load_rubric
from app.scoring import compile_rubric
from app.settings import get_settings
from app.store.engine import make_engine, make_session_factory
from app.store.migrate import upgrade_to_head
from app.store.tables import Account, Deal, DealAccount, Score
from app.sync.orchestrator import run_sync
from app.validation.plan import SHOWN
from connectors.hubspot.connector import HubSpotConnector
from crm_sandbox.pytest_plugin import SandboxFactory
from tests.support.report_html import (
    assert_plan_figures,
    assert_validation_figures,
    read_figures,
    rendered_dom,
)

pytestmark = pytest.mark.slow  # syncs a sandbox, then validates and plans over it


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory, start_shared_crm_sandbox: SandboxFactory
) -> str:
    """A store holding one HubSpot sandbox portal (400 companies, ~800 deals)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('validate') / 'store.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    rubric = load_rubric()
    with (
        start_shared_crm_sandbox(seed=7, companies=400, deals_per_company=2.0) as sandbox,
        HubSpotConnector(sandbox.hubspot_url, sandbox.hubspot_token) as connector,
    ):
        run_sync(connector, make_session_factory(engine), compile_rubric(rubric))
    engine.dispose()
    return url


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, synced: str) -> Iterator[str]:
    monkeypatch.setenv("ICP_SYNC_DATABASE_URL", synced)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("ICP_SYNC_RUBRIC", raising=False)
    get_settings.cache_clear()
    yield synced
    get_settings.cache_clear()


def validate(*arguments: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["validate", "--json", *arguments])
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def closed_deals_by_account(url: str) -> list[tuple[str, bool]]:
    """(account crm id, won) per closed live deal and live linked account, straight from SQL."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Account.crm_id, Deal.is_won)
            .join(DealAccount, DealAccount.deal_id == Deal.id)
            .join(Account, Account.crm_id == DealAccount.account_crm_id)
            .where(
                Deal.is_closed.is_(True),
                Deal.archived.is_(False),
                Account.archived.is_(False),
                Account.deleted_at.is_(None),
            )
        ).all()
    engine.dispose()
    return [(crm_id, bool(won)) for crm_id, won in rows]


def test_given_sandbox_data_then_tier_1_wins_more_than_tier_3_and_auc_beats_chance(
    environment: str,
) -> None:
    report = validate()

    rates = {row["tier"]: row for row in report["tiers"]}
    assert rates["tier_1"]["win_rate"] > rates["tier_3"]["win_rate"]
    assert report["auc"] > 0.5
    low, high = report["auc_interval"]
    assert 0.5 < low <= report["auc"] <= high
    assert not any("closed-won deals" in w for w in report["warnings"])


def test_given_the_report_then_its_counts_match_the_store_computed_independently(
    environment: str,
) -> None:
    report = validate()
    deals = closed_deals_by_account(environment)
    engine = make_engine(environment)
    with make_session_factory(engine)() as session:
        scores = {a.crm_id: a for a in session.scalars(select(Account)).all()}  # every account row
    engine.dispose()

    assert report["closed"] == len(deals)
    assert report["won"] == sum(won for _, won in deals)
    assert report["base_win_rate"] == pytest.approx(report["won"] / report["closed"])
    by_tier = {row["tier"]: row for row in report["tiers"]}
    assert sum(row["closed"] for row in by_tier.values()) == len(deals)
    for row in by_tier.values():
        if row["closed"]:
            assert row["win_rate"] == pytest.approx(row["won"] / row["closed"])
            assert row["lift"] == pytest.approx(row["win_rate"] / report["base_win_rate"])
    assert set(scores) >= {crm_id for crm_id, _ in deals}
    won_by_account = Counter(crm_id for crm_id, won in deals if won)
    assert sum(won_by_account.values()) == report["won"]


def test_given_weights_shuffled_then_the_auc_is_lower(environment: str, tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text())
    criteria = [c for layer in document["layers"].values() for c in layer["criteria"]]
    weights = [c["weight"] for c in criteria]
    for criterion, weight in zip(criteria, weights[::-1], strict=True):
        criterion["weight"] = weight  # the same weights, in the reverse order
    shuffled = tmp_path / "shuffled.yaml"
    shuffled.write_text(yaml.safe_dump(document))

    default, other = validate(), validate("--rubric", str(shuffled))

    assert other["auc"] < default["auc"]


def test_given_too_few_closed_deals_then_a_clear_warning_and_no_fake_precision(
    environment: str,
) -> None:
    report = validate("--since", "2999-01-01")

    assert report["closed"] == 0
    assert report["auc"] is None
    assert report["auc_interval"] is None
    assert any("0 closed-won deals" in w or "closed-won" in w for w in report["warnings"])


def test_given_a_bad_since_date_then_the_error_names_it(environment: str) -> None:
    result = CliRunner().invoke(cli, ["validate", "--since", "last-year"])

    assert result.exit_code == 1
    assert "--since" in result.stderr
    assert "last-year" in result.stderr


def plan(*arguments: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["plan", "--json", *arguments])
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_given_an_identical_rubric_when_planned_then_nothing_moves(environment: str) -> None:
    report = plan("--rubric", str(DEFAULT_RUBRIC_PATH))

    assert report["changed"] == 0
    assert report["newly_disqualified"] == []
    off_diagonal = sum(
        count
        for before, row in report["transitions"].items()
        for after, count in row.items()
        if before != after
    )
    assert off_diagonal == 0
    assert sum(sum(row.values()) for row in report["transitions"].values()) == report["accounts"]
    assert report["validation"]["champion"]["auc"] == report["validation"]["challenger"]["auc"]


def test_given_a_lower_tier_1_threshold_then_exactly_the_accounts_between_move_up(
    environment: str, tmp_path: Path
) -> None:
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text())
    tier_1 = next(t for t in document["tiers"] if t["name"] == "tier_1")
    old_threshold, tier_1["min_score"] = tier_1["min_score"], tier_1["min_score"] - 5
    new = tmp_path / "lower.yaml"
    new.write_text(yaml.safe_dump(document))

    report = plan("--rubric", str(new), "--limit", "100000")

    expected = [
        c for c in report["changes"] if c["tier_before"] == "tier_2" and c["tier_after"] == "tier_1"
    ]
    assert report["changed"] == len(expected) > 0
    engine = make_engine(environment)
    with engine.connect() as connection:  # the sync stored the champion's scores
        between = (
            connection.execute(
                select(Account.crm_id)
                .join(Score, Score.account_id == Account.id)
                .where(Score.tier == "tier_2", Score.score >= old_threshold - 5)
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert sorted(c["crm_id"] for c in expected) == sorted(between)
    assert all(old_threshold - 5 <= c["score_after"] < old_threshold for c in expected)
    assert report["transitions"]["tier_2"]["tier_1"] == len(expected)
    assert report["newly_disqualified"] == []


class ChartReader(HTMLParser):
    """The data-* attributes of the report's chart elements, from the DOM a browser rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.tiers: dict[str, dict[str, str]] = {}
        self.bins: list[dict[str, str]] = []
        self.cells: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if found.get("class") == "tier":
            self.tiers[found["data-tier"]] = found
        elif found.get("class") == "bin":
            self.bins.append(found)
        elif tag == "td" and "data-count" in found:
            self.cells.append(found)


def stricter_rubric(folder: Path) -> Path:
    """The default rubric with tier 1 from 5 points lower and `too_small` below 60 employees
    (was 10): accounts move up and some are newly disqualified."""
    document = yaml.safe_load(DEFAULT_RUBRIC_PATH.read_text())
    next(t for t in document["tiers"] if t["name"] == "tier_1")["min_score"] -= 5
    next(d for d in document["disqualifiers"] if d["id"] == "too_small")["less_than"] = 60
    new = folder / "stricter.yaml"
    new.write_text(yaml.safe_dump(document))
    return new


def test_given_the_html_reports_then_every_table_matches_the_json_without_a_browser(
    environment: str, tmp_path: Path
) -> None:
    validate_page, plan_page = tmp_path / "validate.html", tmp_path / "plan.html"

    validation = validate("--html", str(validate_page))
    planned = plan("--rubric", str(stricter_rubric(tmp_path)), "--html", str(plan_page))

    assert_validation_figures(read_figures(validate_page.read_text("utf-8")), validation)
    assert planned["newly_disqualified"]
    assert planned["discarded"]["total"]["won_deals"] > 0
    assert_plan_figures(read_figures(plan_page.read_text("utf-8")), planned, SHOWN)


def test_given_the_validate_report_when_rendered_in_chromium_then_every_table_carries_the_json(
    environment: str, tmp_path: Path
) -> None:
    page = tmp_path / "validate.html"

    report = validate("--html", str(page))
    dom = rendered_dom(page, tmp_path)

    assert_validation_figures(read_figures(dom), report)
    charts = ChartReader()
    charts.feed(dom)
    assert set(charts.tiers) == {row["tier"] for row in report["tiers"]}
    assert sum(int(b["data-won"]) for b in charts.bins) == report["won"]
    assert sum(int(b["data-lost"]) for b in charts.bins) == report["lost"]


def test_given_the_plan_report_when_rendered_in_chromium_then_its_charts_carry_the_figures(
    environment: str, tmp_path: Path
) -> None:
    page = tmp_path / "plan.html"

    report = plan("--rubric", str(stricter_rubric(tmp_path)), "--html", str(page))
    dom = rendered_dom(page, tmp_path)

    assert_plan_figures(read_figures(dom), report, SHOWN)
    assert report["newly_disqualified"]

    charts = ChartReader()
    charts.feed(dom)
    challenger = report["validation"]["challenger"]
    assert "<svg" in dom
    assert set(charts.tiers) == {row["tier"] for row in challenger["tiers"]}
    for row in challenger["tiers"]:
        shown = charts.tiers[row["tier"]]
        assert int(shown["data-closed"]) == row["closed"]
        assert int(shown["data-won"]) == row["won"]
        if row["win_rate"] is not None:
            assert float(shown["data-win-rate"]) == pytest.approx(row["win_rate"], abs=1e-4)
    assert sum(int(b["data-won"]) for b in charts.bins) == challenger["won"]
    assert sum(int(b["data-lost"]) for b in charts.bins) == challenger["lost"]
    for cell in charts.cells:
        expected = report["transitions"].get(cell["data-from"], {}).get(cell["data-to"], 0)
        assert int(cell["data-count"]) == expected
    assert sum(int(c["data-count"]) for c in charts.cells) == report["accounts"]


def test_given_sandbox_data_then_the_verdicts_say_the_rubric_separates_in_json_and_terminal(
    environment: str,
) -> None:
    report = validate()
    terminal = CliRunner().invoke(cli, ["validate"])

    verdicts = report["verdicts"]
    assert all({"kind", "subject", "significant", "message"} <= set(v) for v in verdicts)
    assert verdicts[0]["kind"] == "rubric_separates"  # its interval is above 0.5 (see above)
    assert verdicts[0]["subject"] is None
    assert f"of {report['accounts']} accounts" in verdicts[0]["message"]
    assert sum(v["kind"] in ("rubric_separates", "no_evidence") for v in verdicts) == 1
    assert terminal.exit_code == 0, terminal.stderr
    assert "Verdicts:" in terminal.stdout
    assert "The rubric separates won from lost deals" in terminal.stdout
