"""`icp-sync promote NAME`: makes a challenger of the rubric directory the champion, recorded
in the store so every replica and worker scores with it from its next batch, then rolls it
out to every stored account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import JsonOption, console, print_json
from app.errors import IcpSyncError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.settings import Settings
    from app.sync.challengers import Rubrics

ROLL_OUT_BATCH = 1000


def register(cli: typer.Typer) -> None:
    cli.command("promote")(promote)


def promote(
    name: Annotated[str, typer.Argument(help="The challenger (its file's stem) to promote.")],
    json_output: JsonOption = False,
) -> None:
    """Record challenger NAME (a file of ICP_SYNC_RUBRIC_DIR) as the champion: from now on it
    is scored and written to the CRM, and the former champion is scored in shadow. Then
    rescores every stored account with it."""
    from app.rubric.registry import choose, record_champion, recorded_champion, rubric_files
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.sync.challengers import compiled

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
        rolled = _roll_out_after_promote(engine, settings, compiled(chosen), now)
    finally:
        engine.dispose()
    document = {
        "champion": name,
        "rubric_version": chosen.champion.rubric.version,
        "previous_champion": before.name,
        "challengers": [c.name for c in chosen.challengers],
        "promoted_at": now.isoformat(),
        **rolled,
    }
    if json_output:
        print_json(document)
        return
    console().print(
        f"{name} (version {document['rubric_version']}) is now the champion, replacing "
        f"{before.name} (now a challenger); recorded in the store for every replica.\n"
        f"rescored {rolled['rescored']} of {rolled['accounts']} accounts; "
        f"{rolled['changed']} changed and will be written at the next sync"
    )


def _roll_out_after_promote(
    engine: Engine, settings: Settings, rubrics: Rubrics, now: datetime
) -> dict[str, Any]:
    """Rescores every stored live account of each configured CRM with the new champion (and
    the challengers), through the update pipeline; the values the CRM is owed are recorded,
    and written by the next sync or worker pass.

    At merge this becomes the roll-out of app.sync.rollout (rescore and write back, batched
    and paced as a sync), so a promotion reaches the CRM at once."""
    from sqlalchemy import select

    from app.crm import configured_sources, make_connector
    from app.store.engine import make_session_factory
    from app.store.tables import Account
    from app.sync.pipeline import UpdatePipeline

    totals = {"accounts": 0, "rescored": 0, "changed": 0, "challenger_scores": 0}
    sessions = make_session_factory(engine)
    for source in configured_sources(settings):
        also = [c.rubric.rubric for c in rubrics.challengers]
        connector = make_connector(source, settings, rubrics.champion.rubric, also=also)
        try:
            after = 0
            while True:
                with sessions() as session:
                    rows = list(
                        session.scalars(
                            select(Account)
                            .where(
                                Account.source == source,
                                Account.id > after,
                                Account.archived.is_(False),
                                Account.deleted_at.is_(None),
                            )
                            .order_by(Account.id)
                            .limit(ROLL_OUT_BATCH)
                        )
                    )
                    if not rows:
                        break
                    after = rows[-1].id
                    pipeline = UpdatePipeline(
                        session,
                        connector,
                        rubrics.champion,
                        lambda: now,
                        challengers=rubrics.challengers,
                    )
                    report = pipeline.rescore(rows)
                    session.commit()
                totals["accounts"] += len(rows)
                totals["rescored"] += report.scored
                totals["changed"] += report.changed
                totals["challenger_scores"] += report.shadow_scored
        finally:
            connector.close()
    return totals
