"""The stored validate and plan runs (app.validation.runs) on SQLite and PostgreSQL: read back
as written, the latest per kind and per challenger, a plan's lists cut with their counts, and
retention that never deletes the latest."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.validation.columns import columns_of
from app.validation.records import Outcome
from app.validation.runs import (
    CLI,
    KEPT,
    NIGHTLY,
    PLAN,
    VALIDATE,
    StoredRun,
    get_run,
    latest_plans,
    latest_run,
    list_runs,
    plan_document,
    prune_runs,
    store_run,
    validate_document,
)
from app.validation.spool import Mapped

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def add(
    sessions: sessionmaker[Session],
    kind: str,
    days_ago: float,
    challenger: str | None = None,
    **fields: Any,
) -> StoredRun:
    finished = NOW - timedelta(days=days_ago)
    with sessions.begin() as session:
        return store_run(
            session,
            kind=kind,
            trigger=fields.pop("trigger", NIGHTLY),
            rubric_name="champion",
            rubric_version="2026.11-default",
            challenger_name=challenger,
            challenger_version=None if challenger is None else f"{challenger}-v1",
            report=fields.pop("report", {"finished": finished.isoformat()}),
            started_at=finished - timedelta(minutes=1),
            finished_at=finished,
            **fields,
        )


def test_given_a_run_when_stored_then_it_reads_back_as_written_with_utc_times(
    sessions: sessionmaker[Session],
) -> None:
    report = {"tiers": [{"tier": "tier_1", "win_rate": 0.5}], "name": "Zürich ✓"}
    written = add(sessions, VALIDATE, 0, trigger=CLI, report=report, source="hubspot",
                  since=date(2026, 1, 1))  # fmt: skip

    with sessions() as session:
        found = get_run(session, written.id)
        listed = list_runs(session)

    assert found == written
    assert found is not None
    assert found.report == report
    assert found.finished_at == NOW
    assert found.finished_at.tzinfo is not None
    assert (found.source, found.since, found.filtered) == ("hubspot", date(2026, 1, 1), True)
    assert listed == [written]


def test_given_runs_of_both_kinds_then_the_latest_of_each_is_found_and_the_list_is_newest_first(
    sessions: sessionmaker[Session],
) -> None:
    old = add(sessions, VALIDATE, 2)
    new = add(sessions, VALIDATE, 1)
    filtered = add(sessions, VALIDATE, 0, source="salesforce")
    planned = add(sessions, PLAN, 0.5, "strict")

    with sessions() as session:
        assert latest_run(session, VALIDATE) == new
        assert latest_run(session, VALIDATE, include_filtered=True) == filtered
        assert latest_run(session, PLAN, challenger_name="strict") == planned
        assert latest_run(session, PLAN, challenger_name="other") is None
        assert [r.id for r in list_runs(session, 3)] == [filtered.id, planned.id, new.id]
        assert [r.id for r in list_runs(session, kind=VALIDATE)] == [
            filtered.id,
            new.id,
            old.id,
        ]


def test_given_plans_of_several_challengers_then_latest_plans_has_one_per_challenger(
    sessions: sessionmaker[Session],
) -> None:
    add(sessions, PLAN, 3, "strict")
    strict = add(sessions, PLAN, 1, "strict")
    add(sessions, PLAN, 2, "loose")
    loose = add(sessions, PLAN, 1.5, "loose")
    add(sessions, PLAN, 0, "loose", source="hubspot")  # filtered: not the dashboard's
    add(sessions, PLAN, 0)  # a file outside the rubric directory: no name
    add(sessions, VALIDATE, 0)

    with sessions() as session:
        plans = latest_plans(session)

    assert plans == {"loose": loose, "strict": strict}
    assert list(plans) == ["loose", "strict"]


def test_given_runs_older_than_the_retention_then_all_but_the_latest_of_each_are_pruned(
    sessions: sessionmaker[Session],
) -> None:
    validations = [add(sessions, VALIDATE, days) for days in (30, 20, 10)]
    filtered = add(sessions, VALIDATE, 12, source="hubspot")
    strict = [add(sessions, PLAN, days, "strict") for days in (30, 1)]
    loose = [add(sessions, PLAN, days, "loose") for days in (25, 15)]

    with sessions.begin() as session:
        pruned = prune_runs(session, NOW, timedelta(days=7))
    with sessions() as session:
        left = {run.id for run in list_runs(session, 100)}

    kept = {validations[-1].id, filtered.id, strict[1].id, loose[1].id}
    assert left == kept  # the latest validation, filtered one and plans, though all old
    assert pruned == 4


OUTCOMES = columns_of(
    [
        Outcome("a", score, "t", won, date(2026, 1, 1), {})
        for score, won in ((5, True), (95, False), (100, True), (91, True), (55, False))
    ]
)
BINS = {0: (1, 0), 50: (0, 1), 90: (2, 1)}
"""Won and lost of `OUTCOMES` per 10-point bin (100 falls in the last)."""


def test_given_a_plan_with_long_lists_then_its_stored_document_keeps_the_first_with_counts() -> (
    None
):
    changes = [{"crm_id": f"C{i:03d}", "score_before": 10, "score_after": 90} for i in range(150)]
    contacts = {"changed": 3, "newly_disqualified": [], "changes": [], "validation": None}
    document = {
        "changed": 400,
        "newly_disqualified": Mapped(changes, dict),
        "no_longer_disqualified": Mapped(changes[:2], dict),
        "changes": changes,
        "validation": {"champion": {"auc": float("nan"), "closed": date(2026, 1, 1)}},
        "contacts": contacts | {"no_longer_disqualified": Mapped(changes[:120], dict)},
    }

    stored = plan_document(document, OUTCOMES)

    assert stored["newly_disqualified"] == changes[:KEPT]
    assert stored["newly_disqualified_count"] == 150
    assert stored["no_longer_disqualified"] == changes[:2]
    assert stored["no_longer_disqualified_count"] == 2
    assert stored["changes"] == changes[:KEPT]
    assert stored["changes_count"] == 400
    assert stored["contacts"]["no_longer_disqualified"] == changes[:KEPT]
    assert stored["contacts"]["no_longer_disqualified_count"] == 120
    assert stored["contacts"]["changes_count"] == 3
    # as JSON prints it (a date as text) and JSONB takes it (no NaN)
    assert stored["validation"] == {"champion": {"auc": None, "closed": "2026-01-01"}}
    assert stored["score_histogram"][9] == [90, 2, 1]


def test_given_an_unknown_kind_then_storing_is_refused_naming_it(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(ValueError, match="kind: expected validate or plan, got 'score'"):
        add(sessions, "score", 0)


def test_given_a_validate_document_then_it_is_stored_as_json_reads_what_the_command_prints() -> (
    None
):
    document = {"since": date(2026, 1, 1), "interval": (0.5, 0.7), "lift": float("inf")}

    assert validate_document(document, OUTCOMES) == {
        "since": "2026-01-01",
        "interval": [0.5, 0.7],
        "lift": None,
        "score_histogram": [[start, *BINS.get(start, (0, 0))] for start in range(0, 100, 10)],
    }
