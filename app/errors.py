"""The errors a user can fix. Each message names the field (or key path) and the offending value.

The CLI and API turn these into a clear message and a non-zero exit code or a 4xx answer;
anything else escaping is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


class IcpSyncError(Exception):
    """Base of every error caused by input or configuration rather than by a bug."""


class ConfigError(IcpSyncError):
    """A setting (environment variable or `.env` entry) is missing or invalid."""


class RubricError(IcpSyncError):
    """A rubric file cannot be read or does not validate; lists every problem found."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid rubric {source}:\n{listed}")


class InputFileError(IcpSyncError):
    """An accounts file (CSV or JSONL) cannot be read."""


class DatabaseUnavailableError(IcpSyncError):
    """The database cannot be reached or opened (server down, wrong credentials, bad file)."""


class SchemaError(IcpSyncError):
    """The database's schema is not one this version can use: not migrated yet, behind this
    version (`icp-sync db upgrade`), or migrated by a newer version beyond what this one
    supports."""
