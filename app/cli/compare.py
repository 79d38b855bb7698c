"""`icp-sync validate --compare`: the champion and the challengers of the rubric directory side
by side, on the deals that closed after all of them were scoring.

A rubric is "scoring" from its first shadow score (`challenger_starts`, restarted when its file
changes); a champion that was never a challenger counts from the beginning. Only deals closed
after the latest of those days count (and on or after `--since`): a challenger written after
looking at deals already closed would otherwise be graded on the very deals it was fitted to.
A challenger that has scored nothing yet is listed as waiting, not compared."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from app.cli.common import console, print_json
from app.errors import IcpSyncError
from app.validation.figures import pct


def compare_rubrics(since: date | None, source: str | None, *, json_output: bool) -> None:
    from app.rubric.registry import choose, recorded_champion, rubric_files
    from app.settings import get_settings
    from app.store.engine import make_engine, make_session_factory
    from app.store.migrate import require_usable_schema
    from app.store.tables import ChallengerStart
    from app.sync.challengers import compiled
    from app.validation.collection import collection_paused
    from app.validation.load import outcome_columns
    from app.validation.rubric_validation import validate_rubric

    settings = get_settings()
    if settings.rubric_dir is None:
        raise IcpSyncError(
            "--compare: ICP_SYNC_RUBRIC_DIR is unset; it compares the champion with the "
            "challengers of that directory"
        )
    files = rubric_files(settings.rubric_dir)
    require_usable_schema(settings.database_url)
    engine = make_engine(settings.database_url)
    now = datetime.now(UTC)
    try:
        with make_session_factory(engine)() as session, collection_paused():
            chosen = choose(files, recorded_champion(session), settings.rubric)
            rubrics = compiled(chosen)
            starts = {s.name: s for s in session.scalars(select(ChallengerStart))}

            def started(name: str, fingerprint: str) -> datetime | None:
                start = starts.get(name)
                return start.first_scored_at if start and start.fingerprint == fingerprint else None

            champion_start = started(chosen.champion.name, rubrics.champion.fingerprint)
            compared = [c for c in rubrics.challengers if started(c.name, c.rubric.fingerprint)]
            waiting = [c.name for c in rubrics.challengers if c not in compared]
            moments = [started(c.name, c.rubric.fingerprint) for c in compared]
            first_day = _window(since, [m for m in (champion_start, *moments) if m is not None])
            figures: dict[str, dict[str, Any]] = {}
            for name, rubric in [(chosen.champion.name, rubrics.champion), *compared]:
                found = outcome_columns(session, rubric, now=now, since=first_day, source=source)
                figures[name] = asdict(validate_rubric(found, rubric.rubric)) | {
                    "rubric_version": rubric.version,
                    "role": "champion" if name == chosen.champion.name else "challenger",
                    "scoring_since": (
                        champion_start
                        if name == chosen.champion.name
                        else starts[name].first_scored_at
                    ),
                }
    finally:
        engine.dispose()
    report = {
        "champion": chosen.champion.name,
        "since": first_day.isoformat() if first_day else None,
        "rubrics": figures,
        "waiting": waiting,
    }
    if json_output:
        print_json(report)
        return
    _print(report)


def _window(since: date | None, starts: list[datetime]) -> date | None:
    """The first close date counted: the day after the latest start, or `since` if later."""
    days = [s.astimezone(UTC).date() + timedelta(days=1) for s in starts]
    if since is not None:
        days.append(since)
    return max(days, default=None)


def verdict_messages(figures: dict[str, Any]) -> list[str]:
    """The verdicts of a validation (when the statistics give them), as lines."""
    lines = []
    for verdict in figures.get("verdicts") or ():
        if isinstance(verdict, dict):
            lines.append(str(verdict.get("message") or verdict.get("text") or verdict))
        else:
            lines.append(str(verdict))
    return lines


def _print(report: dict[str, Any]) -> None:
    out = console()
    names = list(report["rubrics"])
    window = f"deals closed on or after {report['since']}" if report["since"] else "all deals"
    out.print(f"champion {escape(report['champion'])} against its challengers, on {window}")
    if len(names) == 1:
        out.print("no challenger has scored yet: nothing to compare")
    table = Table(title="Champion and challengers side by side", title_justify="left")
    table.add_column("figure")
    for name in names:
        role = report["rubrics"][name]["role"]
        table.add_column(f"{escape(name)} ({role})", justify="right")
    rows = report["rubrics"]
    table.add_row("version", *(escape(str(rows[n]["rubric_version"])) for n in names))
    table.add_row("closed deals", *(str(rows[n]["closed"]) for n in names))
    table.add_row("won", *(str(rows[n]["won"]) for n in names))
    table.add_row("ROC AUC (95% interval)", *(_auc(rows[n]) for n in names))
    tiers: list[str] = []
    for name in names:
        tiers += [t["tier"] for t in rows[name]["tiers"] if t["tier"] not in tiers]
    for tier in tiers:
        cells = []
        for name in names:
            row = next((t for t in rows[name]["tiers"] if t["tier"] == tier), None)
            cells.append(f"{pct(row['win_rate'])} ({row['closed']})" if row else "—")
        table.add_row(f"{escape(tier)} win rate (closed)", *cells)
    out.print(table)
    for name in names:
        for line in verdict_messages(rows[name]):
            out.print(f"{escape(name)}: {escape(line)}")
        for warning in rows[name]["warnings"]:
            out.print(f"[yellow]warning:[/yellow] {escape(name)}: {escape(warning)}")
    for name in report["waiting"]:
        out.print(f"{escape(name)}: not scoring yet (it starts at the next sync or webhook)")


def _auc(figures: dict[str, Any]) -> str:
    if figures["auc"] is None:
        return "—"
    interval = figures.get("auc_interval")
    shown = f"{figures['auc']:.3f}"
    return shown + (f" ({interval[0]:.3f}–{interval[1]:.3f})" if interval else "")
