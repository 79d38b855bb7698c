"""Which rubric is the champion (scored and written to the CRM) and which are challengers
(scored in shadow), the one place that decides it.

Without a rubric directory (`ICP_SYNC_RUBRIC_DIR` unset) nothing changes: the champion is
`--rubric`, else `ICP_SYNC_RUBRIC`, else the shipped default, and there are no challengers.

With a directory, every `*.yaml` / `*.yml` file in it is a rubric named by its file's stem,
each validated at load (a bad one fails naming its file). The champion is:
1. the name last recorded in the store by `icp-sync promote` (table `rubric_champions`), so
   every replica and worker agrees whatever its own settings;
2. before any promotion: the file `ICP_SYNC_RUBRIC` names (by its stem, which must be in the
   directory), else `champion.yaml`;
3. else an error naming the files to choose from.
Every other file is a challenger. `--rubric FILE` on a command line overrides it all: that
file is the champion, with no challengers (a one-off run, nothing recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ConfigError
from app.rubric.loader import DEFAULT_RUBRIC_PATH, load_rubric
from app.rubric.model import Rubric

DEFAULT_CHAMPION = "champion"
SUFFIXES = (".yaml", ".yml")
MAX_NAME = 128


@dataclass(frozen=True)
class RubricFile:
    name: str
    path: Path
    rubric: Rubric


@dataclass(frozen=True)
class RubricSet:
    champion: RubricFile
    challengers: tuple[RubricFile, ...] = ()

    def named(self, name: str) -> RubricFile | None:
        return next((r for r in (self.champion, *self.challengers) if r.name == name), None)


def rubric_files(directory: Path) -> dict[str, RubricFile]:
    """The directory's rubrics by name, each validated (a RubricError names the bad file)."""
    if not directory.is_dir():
        raise ConfigError(f"ICP_SYNC_RUBRIC_DIR: {directory} is not a directory")
    paths = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())
    found: dict[str, RubricFile] = {}
    for path in paths:
        if path.stem in found:
            raise ConfigError(
                f"ICP_SYNC_RUBRIC_DIR: two rubrics named {path.stem!r}: "
                f"{found[path.stem].path.name} and {path.name}; keep one"
            )
        if len(path.stem) > MAX_NAME:
            raise ConfigError(f"ICP_SYNC_RUBRIC_DIR: {path.name}: name longer than {MAX_NAME}")
        found[path.stem] = RubricFile(path.stem, path, load_rubric(path))
    if not found:
        raise ConfigError(f"ICP_SYNC_RUBRIC_DIR: {directory} holds no rubric (*.yaml, *.yml)")
    return found


def recorded_champion(session: Session) -> str | None:
    """The champion last recorded by `promote`, or None before the first."""
    from app.store.tables import RubricChampion

    return session.scalar(select(RubricChampion.name).order_by(RubricChampion.id.desc()).limit(1))


def record_champion(session: Session, name: str, now: datetime) -> None:
    from app.store.tables import RubricChampion

    session.add(RubricChampion(name=name, promoted_at=now))


def initial_champion(files: dict[str, RubricFile], setting: Path | None) -> str:
    """The champion before any promotion: `ICP_SYNC_RUBRIC`'s file, else champion.yaml."""
    choices = ", ".join(sorted(files))
    if setting is not None:
        if setting.stem not in files:
            raise ConfigError(
                f"ICP_SYNC_RUBRIC: {setting.name} is not in the rubric directory; "
                f"expected one of: {choices}"
            )
        return setting.stem
    if DEFAULT_CHAMPION in files:
        return DEFAULT_CHAMPION
    raise ConfigError(
        "no champion rubric: none was promoted yet (icp-sync promote NAME), ICP_SYNC_RUBRIC "
        f"is unset and the rubric directory has no {DEFAULT_CHAMPION}.yaml; "
        f"choose one of: {choices}"
    )


def choose(files: dict[str, RubricFile], recorded: str | None, setting: Path | None) -> RubricSet:
    """The champion (recorded, else the initial one) and the rest as challengers."""
    if recorded is not None and recorded not in files:
        raise ConfigError(
            f"the champion recorded in the store, {recorded!r}, has no file in the rubric "
            f"directory: restore {recorded}.yaml or promote one of: {', '.join(sorted(files))}"
        )
    name = recorded if recorded is not None else initial_champion(files, setting)
    return RubricSet(files[name], tuple(f for n, f in files.items() if n != name))


def single(path: Path | None) -> RubricSet:
    """No directory: the one rubric (the shipped default when `path` is None)."""
    chosen = path or DEFAULT_RUBRIC_PATH
    return RubricSet(RubricFile(chosen.stem, chosen, load_rubric(chosen)))


def resolve_rubric_set(
    directory: Path | None,
    setting: Path | None,
    session: Session | None,
    *,
    explicit: Path | None = None,
) -> RubricSet:
    """The rubrics to score with now. `session` reads the recorded champion (None: treat as
    none recorded, for callers without a store)."""
    if explicit is not None or directory is None:
        return single(explicit or setting)
    files = rubric_files(directory)
    return choose(files, recorded_champion(session) if session is not None else None, setting)
