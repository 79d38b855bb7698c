"""The document `icp-sync plan --json` prints, made apart from the command so `serve`'s nightly
job stores the very same figures (app.validation.runs). Its lists into and out of
disqualified stay lazy (`Mapped` over the comparison's spooled lists): the command writes
every one, a stored run keeps the first few."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.rubric import Rubric
from app.scoring import compile_rubric
from app.validation.accounts import Progress, ScoredAccounts
from app.validation.columns import OutcomeColumns
from app.validation.discarded import Discarded, DiscardedWon, discarded_won
from app.validation.load import population_columns
from app.validation.plan import Comparison, compare
from app.validation.populations import ACCOUNTS, CONTACTS
from app.validation.rubric_validation import contacts_validation, validate_rubric
from app.validation.spool import Mapped

CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass(frozen=True)
class PlanInputs:
    """What reading and scoring the store gives, before any statistics."""

    comparison: Comparison
    discarded: DiscardedWon
    populations: dict[str, dict[str, OutcomeColumns]]
    """Per rubric (`champion`, `challenger`), its populations' outcomes."""


@dataclass(frozen=True)
class PlanReport:
    document: dict[str, Any]
    """As `plan --json` prints it; `newly_disqualified` and `no_longer_disqualified` (also in
    `contacts`) are lazy sequences."""
    comparison: Comparison
    challenger_outcomes: OutcomeColumns
    """The challenger's accounts' outcomes (the HTML report's charts)."""


def plan_inputs(
    session: Session,
    champion: Rubric,
    challenger: Rubric,
    *,
    now: datetime,
    source: str | None = None,
    keep: int,
    progress: Progress | None = None,
) -> PlanInputs:
    """Every account scored by both rubrics in one pass over the store (`keep`: how many of
    the largest changes to list)."""
    compiled = {CHAMPION: compile_rubric(champion), CHALLENGER: compile_rubric(challenger)}
    accounts = ScoredAccounts(session, now=now, source=source, progress=progress)
    comparison = compare(
        session,
        compiled[CHAMPION],
        compiled[CHALLENGER],
        now=now,
        source=source,
        accounts=accounts,
        keep=keep,
    )
    discarded = discarded_won(session, comparison.newly_disqualified)
    populations = {
        name: population_columns(session, rubric, now=now, source=source, accounts=accounts)
        for name, rubric in compiled.items()
    }
    return PlanInputs(comparison, discarded, populations)


def plan_report(
    inputs: PlanInputs, champion: Rubric, challenger: Rubric, *, keep: int
) -> PlanReport:
    """Both rubrics' figures and the plan's document."""
    rubrics = ((CHAMPION, champion), (CHALLENGER, challenger))
    populations = inputs.populations
    figures = {
        name: asdict(validate_rubric(populations[name][ACCOUNTS], rubric))
        for name, rubric in rubrics
    }
    contact_figures = {
        name: contacts_validation(populations[name][CONTACTS], rubric)
        if len(populations[name][CONTACTS])
        else None
        for name, rubric in rubrics
    }
    comparison = inputs.comparison
    document: dict[str, Any] = {
        "champion_version": champion.version,
        "challenger_version": challenger.version,
        "accounts": comparison.accounts,
        "changed": comparison.changed_count,
        "transitions": comparison.transitions,
        "newly_disqualified": Mapped(comparison.newly_disqualified, asdict),
        "changes": [asdict(c) for c in comparison.changed[:keep]],
        "validation": figures,
        "no_longer_disqualified": Mapped(comparison.no_longer_disqualified, asdict),
        "discarded": _discarded_json(inputs.discarded),
    }
    if comparison.contacts is not None:  # beside the accounts' figures, never mixed into them
        document["contacts"] = _contacts_json(comparison.contacts, contact_figures, keep)
    return PlanReport(document, comparison, populations[CHALLENGER][ACCOUNTS])


def plan_store(
    session: Session,
    champion: Rubric,
    challenger: Rubric,
    *,
    now: datetime,
    source: str | None = None,
    keep: int,
) -> PlanReport:
    """`plan_report` on the store's accounts and closed deals."""
    inputs = plan_inputs(session, champion, challenger, now=now, source=source, keep=keep)
    return plan_report(inputs, champion, challenger, keep=keep)


def _contacts_json(
    contacts: Comparison, figures: dict[str, dict[str, Any] | None], keep: int
) -> dict[str, Any]:
    """The contacts' tier movement and both rubrics' figures on their own deals (None without
    any), apart from the accounts'."""
    return {
        "contacts": contacts.accounts,
        "changed": contacts.changed_count,
        "transitions": contacts.transitions,
        "newly_disqualified": Mapped(contacts.newly_disqualified, asdict),
        "changes": [asdict(c) for c in contacts.changed[:keep]],
        "validation": figures,
        "no_longer_disqualified": Mapped(contacts.no_longer_disqualified, asdict),
    }


def _discarded_json(discarded: DiscardedWon) -> dict[str, Any]:
    """The won deals thrown away, revenue as a JSON number (`Deal.amount` has cents only)."""

    def row(found: Discarded) -> dict[str, Any]:
        return {**asdict(found), "revenue": float(found.revenue)}

    return {"total": row(discarded.total), "by_flag": [row(r) for r in discarded.by_flag]}
