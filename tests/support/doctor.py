"""Helpers shared by the `icp-sync doctor` tests."""

from __future__ import annotations

from pathlib import Path

from app.doctor.model import Check
from app.rubric import DEFAULT_RUBRIC_PATH, Rubric, load_rubric
from crm_sandbox.sandbox import RunningSandbox


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def default_rubric_with(folder: Path, old: str, new: str) -> Rubric:
    """The shipped rubric with `old` replaced by `new` (a typo made on purpose)."""
    text = DEFAULT_RUBRIC_PATH.read_text(encoding="utf-8")
    assert old in text
    path = folder / "rubric.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_rubric(path)


def spend_hubspot_calls(sandbox: RunningSandbox, *, daily: int, spent: int) -> None:
    """Sets the sandbox's daily limit and counts `spent` calls against it, as other apps of
    the account would over the day. The burst limit is switched off: those calls, made here in
    an instant, would otherwise fill the 10-second window the checks then run in."""
    limiter = sandbox.hubspot_limiter
    limiter.burst = None
    limiter.daily = daily
    for _ in range(spent):
        limiter.admit(sandbox.hubspot_token, search=False)
