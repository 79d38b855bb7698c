"""The checks that need no CRM: the rubric is valid, the store is reachable and migrated."""

from __future__ import annotations

from pathlib import Path

from app.doctor.model import Check, guarded
from app.errors import RubricError
from app.rubric import Rubric, load_rubric

SOURCE = "local"


def rubric_check(path: Path) -> tuple[Check, Rubric | None]:
    """`rubric`: the file loads and validates (every problem named by its key path)."""
    try:
        rubric = load_rubric(path)
    except RubricError as error:
        return (
            Check(
                "rubric",
                SOURCE,
                "fail",
                str(error),
                f"fix the lines named, then `icp-sync rubric check {path}`",
            ),
            None,
        )
    detail = f"{path}: version {rubric.version}, {len(rubric.criteria)} criteria, tiers " + (
        ", ".join(tier.name for tier in rubric.tiers)
    )
    return Check("rubric", SOURCE, "ok", detail), rubric


def store_check(url: str) -> Check:
    """`store`: the database answers and is at the newest migration."""
    from app.settings import display_database_url
    from app.store.engine import SETTING

    def run() -> Check:
        from app.store.migrate import schema_status

        shown = display_database_url(url)
        status = schema_status(url)
        revision = status.revision
        if status.state == "current":
            return Check("store", SOURCE, "ok", f"{shown} is at the newest migration ({revision})")
        if status.state == "compatible":
            return Check("store", SOURCE, "ok", f"{shown} is at {revision}, {status.describe()}")
        upgrade = "run `icp-sync db upgrade` (sync and serve also upgrade on start)"
        if status.state == "empty":
            return Check("store", SOURCE, "warn", f"{shown} has no tables yet", upgrade)
        if status.state == "incompatible":
            return Check(
                "store",
                SOURCE,
                "fail",
                f"{shown} is at revision {revision}, which this icp-sync does not know: a newer "
                "version migrated it beyond what this one supports",
                "run the icp-sync version that migrated it, or point "
                f"{SETTING} at another database",
            )
        return Check(
            "store", SOURCE, "warn", f"{shown} is at {revision}; newest is {status.head}", upgrade
        )

    return guarded(
        SOURCE,
        "store",
        f"check {SETTING} (the URL, the password, that the server runs and accepts connections)",
        run,
    )
