"""The document `icp-sync validate --json` prints, made apart from the command so `serve`'s
nightly job stores the very same figures (app.validation.runs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.rubric import Rubric
from app.scoring import compile_rubric
from app.validation.accounts import Progress
from app.validation.columns import OutcomeColumns
from app.validation.load import population_columns
from app.validation.populations import ACCOUNTS, CONTACTS
from app.validation.rubric_validation import contacts_validation, validate_rubric


def validation_report(populations: dict[str, OutcomeColumns], rubric: Rubric) -> dict[str, Any]:
    """The accounts' figures and verdicts, the rubric's version, and the HubSpot contacts'
    figures (`contacts`) when any contact has closed deals."""
    report = asdict(validate_rubric(populations[ACCOUNTS], rubric))
    report["rubric_version"] = rubric.version
    contacts = populations[CONTACTS]
    if len(contacts):  # beside the accounts' figures, never mixed into them
        report["contacts"] = contacts_validation(contacts, rubric)
    return report


def validate_store(
    session: Session,
    rubric: Rubric,
    *,
    now: datetime,
    since: date | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], OutcomeColumns]:
    """`validation_report` on the store's closed deals (on or after `since`, of `source`), and
    the accounts' outcomes it summarises (the charts' score distribution)."""
    populations = population_columns(
        session, compile_rubric(rubric), now=now, since=since, source=source, progress=progress
    )
    return validation_report(populations, rubric), populations[ACCOUNTS]
