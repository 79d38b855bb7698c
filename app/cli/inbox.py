"""`icp-sync inbox`: the webhook inbox (depth, dead-lettered events), `replay` and `prune`;
`icp-sync worker`: the inbox worker (and the scheduled syncs) without the HTTP service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.common import JsonOption, RubricOption, console, print_json, resolve_rubric

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

cli = typer.Typer(help="The webhook inbox: what is waiting, what failed for good, replay.")

STATUSES = ("pending", "processing", "done", "dead")


def register(main: typer.Typer) -> None:
    main.add_typer(cli, name="inbox")
    main.command("worker")(worker)


@cli.callback(invoke_without_command=True)
def inbox(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help=f"Events to list: {', '.join(STATUSES)}.")] = "dead",
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many to list.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """Events per status, the oldest waiting event's age, and the newest events of one status
    (dead-lettered by default) with their last error."""
    from rich.markup import escape
    from rich.table import Table

    if ctx.invoked_subcommand is not None:
        return
    if status not in STATUSES:
        raise typer.BadParameter(f"expected one of {', '.join(STATUSES)}, got {status!r}",
                                 param_hint="--status")  # fmt: skip
    from app.inbox.state import inbox_state

    with _session() as session:
        summary = inbox_state(session, datetime.now(UTC), status=status, limit=limit)
    counts: dict[str, int] = summary["counts"]
    listed: list[dict[str, Any]] = summary["events"]
    if json_output:
        print_json(summary)
        return
    out = console()
    table = Table(title="Webhook inbox", title_justify="left")
    for column in (*STATUSES, "oldest waiting (s)"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(counts[s]) for s in STATUSES), str(summary["oldest_waiting_seconds"] or "—")
    )
    out.print(table)
    events = Table(title=f"Newest {status} events", title_justify="left")
    for column in ("id", "source", "event", "record", "attempts", "received", "last error"):
        events.add_column(column)
    for event in listed:
        events.add_row(
            str(event["id"]),
            event["source"],
            escape(event["event_type"]),
            escape(f"{event['object_type']} {event['object_id']}"),
            str(event["attempts"]),
            str(event["received_at"]),
            escape(event["last_error"] or ""),
        )
    out.print(events)


@cli.command()
def replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Dead-lettered event ids (see `icp-sync inbox`).")
    ] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Replay every dead event.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Put dead-lettered events back in the queue with fresh attempts (after fixing what made
    them fail: a revoked token, a missing custom field…)."""
    from app.errors import IcpSyncError
    from app.inbox import queue

    if not ids and not all_dead:
        raise IcpSyncError("replay: name event ids, or pass --all-dead")
    if ids and all_dead:
        raise IcpSyncError("replay: event ids and --all-dead exclude each other")
    with _session() as session:
        done = queue.replay(session, datetime.now(UTC), None if all_dead else ids)
        session.commit()
    if json_output:
        print_json({"requeued": done.requeued, "not_dead": done.not_dead})
        return
    console().print(f"requeued {done.requeued} dead-lettered events")
    if done.not_dead:
        console().print(f"not dead-lettered (left alone): {', '.join(map(str, done.not_dead))}")


@cli.command()
def prune(json_output: JsonOption = False) -> None:
    """Delete the events processed more than ICP_SYNC_RETENTION_DAYS ago, with their stored
    webhook bodies, in batches of 1,000 (what `serve` does hourly); waiting and dead-lettered
    events are kept."""
    from datetime import timedelta

    from app.inbox.retention import prune_committing
    from app.settings import get_settings

    days = get_settings().retention_days
    with _session() as session:
        pruned = prune_committing(session, datetime.now(UTC), timedelta(days=days))
    if json_output:
        print_json({"deleted": pruned.events, "processed_before": pruned.before.isoformat(),
                    "retention_days": days})  # fmt: skip
        return
    console().print(
        f"deleted {pruned.events} events processed before {pruned.before.isoformat()} "
        f"(ICP_SYNC_RETENTION_DAYS={days:g})"
    )


def worker(
    schedules: Annotated[
        bool,
        typer.Option(
            "--schedules/--no-schedules",
            help="Also run the scheduled syncs (one replica at a time on PostgreSQL).",
        ),
    ] = False,
    rubric_file: RubricOption = None,
) -> None:
    """Process the webhook inbox until SIGTERM or Ctrl-C (for running workers apart from the
    HTTP service; several may run against one PostgreSQL database)."""
    from app.cli.rubrics import refuse_rubric_with_directory
    from app.cli.signals import StopOnSignal
    from app.log_setup import configure_logging
    from app.runtime import Runtime
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import upgrade_to_head

    settings = get_settings()
    configure_logging(settings.log_format)
    refuse_rubric_with_directory(rubric_file, settings)
    rubric = resolve_rubric(rubric_file)
    upgrade_to_head(settings.database_url)
    engine = make_engine(settings.database_url)
    runtime = Runtime(settings, rubric, engine, make_session_factory(engine),
                      run_schedules=schedules)  # fmt: skip
    with StopOnSignal() as stop:
        runtime.start()
        try:
            stop.wait()
        finally:
            runtime.stop()
            engine.dispose()


@contextmanager
def _session() -> Iterator[Session]:
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema

    settings = get_settings()
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()
