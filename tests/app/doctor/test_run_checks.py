"""`run_checks`: local checks first, then each CRM's; no CRM configured is a failed check, and
a bug in one CRM's checks is reported without stopping the other's."""

from __future__ import annotations

import pytest

import app.doctor.hubspot
from app.doctor import run_checks
from app.rubric import DEFAULT_RUBRIC_PATH
from app.settings import settings_from


def test_given_no_crm_then_the_local_checks_run_and_crm_fails_saying_what_to_set() -> None:
    settings = settings_from({}, database_url="sqlite://", hubspot_token=None)

    checks = run_checks(settings, DEFAULT_RUBRIC_PATH, ())

    assert [(c.source, c.name) for c in checks] == [
        ("local", "rubric"),
        ("local", "store"),
        ("local", "crm"),
    ]
    assert checks[-1].status == "fail"
    assert "ICP_SYNC_HUBSPOT_TOKEN" in str(checks[-1].fix)


def test_given_a_check_that_crashes_then_it_is_a_failed_check_naming_only_the_error_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_: object) -> list[object]:
        raise KeyError("pat-na1-secret-in-a-message")

    monkeypatch.setattr(app.doctor.hubspot, "hubspot_checks", broken)
    settings = settings_from({}, database_url="sqlite://", hubspot_token="pat-na1-x")

    checks = run_checks(settings, DEFAULT_RUBRIC_PATH, ("hubspot",))

    last = checks[-1]
    assert (last.source, last.name, last.status) == ("hubspot", "doctor", "fail")
    assert last.detail == "the hubspot checks stopped on an unexpected KeyError"
    assert "secret" not in last.detail
