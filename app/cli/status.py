"""`icp-sync status`: how each CRM's syncs have been going, from the store, whichever process
ran them (`serve`'s schedule, a replica, `icp-sync sync`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import typer

from app.cli.common import JsonOption, console, print_json

if TYPE_CHECKING:
    from app.sync.health import SourceFreshness, StreamHealth


def register(cli: typer.Typer) -> None:
    cli.command("status")(status)


def status(json_output: JsonOption = False) -> None:
    """Per CRM and stream (accounts, leads, deals, writeback): the last successful sync, the
    failures in a row since and the last error (secrets scrubbed), and whether the CRM is stale
    (no success within `sync_stale_minutes`)."""
    from app.crm import configured_sources
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head
    from app.sync.health import freshness, read_health, stale_after

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            health = read_health(session)
    finally:
        engine.dispose()
    now = datetime.now(UTC)
    max_age = stale_after(settings.sync_stale_minutes)
    sources = sorted(set(configured_sources(settings)) | {h.source for h in health})
    fresh = {f.source: f for f in freshness(health, sources, now, max_age)}
    if json_output:
        print_json(
            {
                "stale_after_minutes": settings.sync_stale_minutes,
                "sources": [
                    {
                        "source": source,
                        "stale": fresh[source].stale,
                        "streams": [
                            h.as_json() | {"stale": h.is_stale(now, max_age)}
                            for h in health
                            if h.source == source
                        ],
                    }
                    for source in sources
                ],
            }
        )
        return
    _print(health, fresh, sources, now, max_age)


def _print(
    health: list[StreamHealth],
    fresh: dict[str, SourceFreshness],
    sources: list[str],
    now: datetime,
    max_age: timedelta | None,
) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    if not sources:
        out.print("No CRM is configured and no sync has run.")
        return
    table = Table(title="Syncs", title_justify="left")
    for column in ("CRM", "stream", "last success", "failures in a row", "last error"):
        table.add_column(column, justify="right" if column == "failures in a row" else "left")
    for source in sources:
        streams = [h for h in health if h.source == source]
        if not streams:
            table.add_row(source, "—", "never synced", "0", "")
        for h in streams:
            error = f"{h.last_error_type}: {h.last_error}" if h.consecutive_failures else ""
            table.add_row(
                source,
                h.stream,
                _ago(h.last_success_at, now) + (" (stale)" if h.is_stale(now, max_age) else ""),
                str(h.consecutive_failures),
                escape(error),
            )
    out.print(table)
    stale = [s for s in sources if fresh[s].stale]
    if stale:
        out.print(f"[bold red]stale:[/] {', '.join(stale)} (no successful sync within "
                  f"{int(max_age.total_seconds() // 60) if max_age else 0} minutes)")  # fmt: skip


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = int((now - when).total_seconds())
    age = f"{seconds}s" if seconds < 120 else f"{seconds // 60} min"
    return f"{when.isoformat(timespec='seconds')} ({age} ago)"
