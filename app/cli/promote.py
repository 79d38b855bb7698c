"""`icp-sync promote NAME`: makes a challenger of the rubric directory the champion, recorded
in the store so every replica and worker scores with it from its next batch, then rolls it
out to every stored account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from app.cli.common import JsonOption, console, print_error, print_json
from app.errors import IcpSyncError

PROMOTE_BUSY_EXIT = 3
"""As `sync` and `rescore` when the CRM's sync lock is held: the promotion is recorded, its
roll-out waits."""


def register(cli: typer.Typer) -> None:
    cli.command("promote")(promote)


def promote(
    name: Annotated[str, typer.Argument(help="The challenger (its file's stem) to promote.")],
    json_output: JsonOption = False,
) -> None:
    """Record challenger NAME (a file of ICP_SYNC_RUBRIC_DIR) as the champion: from now on it
    is scored and written to the CRM, and the former champion is scored in shadow. Then
    rescores every stored account with it."""
    from app.gc_policy import apply_gc_policy
    from app.rubric.registry import choose, record_champion, recorded_champion, rubric_files
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.sync.challengers import compiled
    from app.sync.rollout import roll_out

    apply_gc_policy()
    settings = get_settings()
    if settings.rubric_dir is None:
        raise IcpSyncError(
            "promote: ICP_SYNC_RUBRIC_DIR is unset; promotion chooses among the rubric files "
            "of that directory"
        )
    files = rubric_files(settings.rubric_dir)
    if name not in files:
        raise IcpSyncError(
            f"promote: no rubric named {name!r} in {settings.rubric_dir}; "
            f"expected one of: {', '.join(sorted(files))}"
        )
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    now = datetime.now(UTC)
    try:
        with make_session_factory(engine)() as session:
            before = choose(files, recorded_champion(session), settings.rubric).champion
            if before.name == name:
                raise IcpSyncError(f"promote: {name!r} is already the champion")
            record_champion(session, name, now)
            session.commit()
        chosen = choose(files, name, settings.rubric)
        rubrics = compiled(chosen)
        rolled = roll_out(
            settings,
            rubrics.champion.rubric,
            engine,
            reason=f"promote {name}",
            challengers=rubrics.challengers,
        )
    finally:
        engine.dispose()
    document = {
        "champion": name,
        "rubric_version": chosen.champion.rubric.version,
        "previous_champion": before.name,
        "challengers": [c.name for c in chosen.challengers],
        "promoted_at": now.isoformat(),
        "roll_out": rolled.as_json(),
    }
    if json_output:
        print_json(document)
    else:
        console().print(
            f"{name} (version {document['rubric_version']}) is now the champion, replacing "
            f"{before.name} (now a challenger); recorded in the store for every replica."
        )
        for entry in rolled.sources:
            if entry.busy is None:
                console().print(
                    f"{entry.source}: rolled out to {entry.accounts} accounts: "
                    f"{entry.rescore.changed} changed, {entry.written} written, "
                    f"{entry.failed} failed, {entry.left} left on another version"
                )
    for entry in rolled.busy:
        print_error(
            f"{entry.source}: not rolled out yet, a sync is running ({entry.busy}); "
            "run `icp-sync rescore` once it ends"
        )
    if rolled.busy:
        raise typer.Exit(PROMOTE_BUSY_EXIT)
