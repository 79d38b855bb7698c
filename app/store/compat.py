"""Whether this code can run on a database's schema, including one a newer release migrated.

Rolling upgrades follow expand/contract. An expand migration only adds (nullable columns,
tables, indexes): the release before it runs on the new schema unchanged. A contract migration
removes what an earlier release stopped using, one release later. The table
`schema_compatibility` holds the oldest code revision (the migration head a release ships
with) that still runs on the schema: expand migrations leave it alone, a contract migration
raises it. Code that finds the database at a revision it does not know (a newer release
migrated it) runs on it when it knows that oldest revision, i.e. its own head is that revision
or a descendant of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, inspect, select

from app.store.tables import SchemaCompatibility

SchemaState = Literal["current", "compatible", "empty", "behind", "incompatible"]
UPGRADE_HINT = "run `icp-sync db upgrade`"


@dataclass(frozen=True)
class SchemaStatus:
    revision: str | None
    """The database's revision; None when no migration was ever applied."""
    head: str
    """This code's newest revision."""
    state: SchemaState
    oldest_compatible: str | None = None
    """Read only when the revision is one this code does not know."""

    @property
    def usable(self) -> bool:
        """This code can read and write the store as it is."""
        return self.state in ("current", "compatible")

    @property
    def pending(self) -> bool:
        """Migrations of this code are still to be applied."""
        return self.state in ("empty", "behind")

    def describe(self) -> str:
        """The state in a few words, after the revision (`db current`, `doctor`)."""
        if self.state == "current":
            return "at head"
        if self.state == "compatible":
            return f"newer than this version's head {self.head}, and compatible with it"
        if self.state == "incompatible":
            return (
                f"newer than this version's head {self.head}, and no longer compatible with it: "
                f"it runs code from revision {self.oldest_compatible or self.revision} on"
            )
        return f"head is {self.head}: {UPGRADE_HINT}"

    def problem(self, shown_url: str) -> str:
        """Why a command cannot use the store `shown_url` (password masked) and what to do."""
        if self.state == "empty":
            return f"the store {shown_url} has no tables yet: {UPGRADE_HINT}"
        if self.state == "behind":
            return (
                f"the store {shown_url} is at revision {self.revision} and this icp-sync needs "
                f"{self.head}: {UPGRADE_HINT}"
            )
        return (
            f"the store {shown_url} is at revision {self.revision}, which a newer icp-sync "
            f"migrated beyond what this version (head {self.head}) supports: run that newer "
            "version"
        )


def judge(
    revision: str | None, oldest_compatible: str | None, chain: Sequence[str]
) -> SchemaStatus:
    """The status of a database at `revision` for code whose migrations are `chain` (head
    first); `oldest_compatible` is the database's `schema_compatibility` row, if any."""
    head = chain[0]
    if revision == head:
        return SchemaStatus(revision, head, "current")
    if revision is None:
        return SchemaStatus(revision, head, "empty")
    if revision in chain:
        return SchemaStatus(revision, head, "behind")
    state: SchemaState = "compatible" if oldest_compatible in chain else "incompatible"
    return SchemaStatus(revision, head, state, oldest_compatible)


def read_oldest_compatible(connection: Connection) -> str | None:
    """The database's `schema_compatibility` row; None before the migration that made it."""
    if not inspect(connection).has_table(SchemaCompatibility.__tablename__):
        return None
    return connection.execute(select(SchemaCompatibility.oldest_code_revision)).scalar()
