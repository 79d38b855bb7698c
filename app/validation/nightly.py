"""`serve`'s nightly validation (app.runtime): the champion's `validate` run and, per challenger
of the rubric directory, its `plan` against the champion, each stored (app.validation.runs) in a
transaction of its own as soon as it is computed. One that fails is logged, scrubbed of
secrets, and the others still run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.rubric import Rubric
from app.sync.health import summarize_error
from app.validation.plan_report import plan_store
from app.validation.runs import (
    KEPT,
    NIGHTLY,
    PLAN,
    VALIDATE,
    StoredRun,
    plan_document,
    store_run,
    validate_document,
)
from app.validation.validate_report import validate_store

logger = logging.getLogger(__name__)

Compute = Callable[[Session], dict[str, Any]]
"""One run's computation: the `store_run` fields it decides (kind, challenger, report)."""


def validate_nightly(
    sessions: sessionmaker[Session],
    champion: Rubric,
    challengers: Mapping[str, Rubric],
    *,
    now: datetime,
    champion_name: str | None,
    secrets: Iterable[str] = (),
) -> list[StoredRun]:
    """Scores as of `now`; returns the runs stored. `challengers`: by name in the rubric
    directory; `champion_name`: the champion's there (None without a directory)."""
    started = time.monotonic()

    def at() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    def validated(session: Session) -> dict[str, Any]:
        report, outcomes = validate_store(session, champion, now=now)
        return {"kind": VALIDATE, "report": validate_document(report, outcomes)}

    def planned(name: str, challenger: Rubric) -> Compute:
        def compute(session: Session) -> dict[str, Any]:
            found = plan_store(session, champion, challenger, now=now, keep=KEPT)
            return {
                "kind": PLAN,
                "challenger_name": name,
                "challenger_version": challenger.version,
                "report": plan_document(found.document, found.challenger_outcomes),
            }

        return compute

    jobs: list[tuple[str, Compute]] = [(f"validation of {champion.version}", validated)]
    jobs += [(f"plan of challenger {n}", planned(n, r)) for n, r in challengers.items()]
    stored: list[StoredRun] = []
    for what, compute in jobs:
        begun = at()
        try:
            with sessions() as session:
                fields = compute(session)
            with sessions.begin() as session:
                run = store_run(
                    session,
                    trigger=NIGHTLY,
                    rubric_name=champion_name,
                    rubric_version=champion.version,
                    started_at=begun,
                    finished_at=at(),
                    **fields,
                )
        except Exception as error:
            failure = summarize_error(error, secrets)
            logger.error(
                "nightly %s failed: %s: %s", what, failure.type, failure.message, exc_info=True
            )
            continue
        stored.append(run)
        logger.info("nightly %s stored (run %d)", what, run.id)
    return stored
