"""Test-only migrations, standing in for what a newer release ships: written to a folder and
applied through Alembic with that folder as an extra version location, on top of this code's
head. The code under test (another process, or this one's `code_revisions`) never sees them."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command

from app.store.migrate import MIGRATIONS_DIR, alembic_config, head_revision

EXPAND = "test_expand"
"""Adds a nullable column to the inbox and a table: the previous release runs on it."""
CONTRACT = "test_contract"
"""Drops that table and marks the schema as no longer running code older than itself."""

_TEMPLATE = '''"""{doc}"""

import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
    pass
'''

_EXPAND_UPGRADE = """\
    op.add_column("webhook_events", sa.Column("test_note", sa.Text(), nullable=True))
    op.create_table("test_notes", sa.Column("id", sa.Integer(), primary_key=True))"""

_CONTRACT_UPGRADE = f"""\
    op.drop_table("test_notes")
    op.execute("UPDATE schema_compatibility SET oldest_code_revision = '{CONTRACT}'")"""


def write_newer_release(folder: Path) -> Path:
    """Writes the expand and the contract migration (in that order, after this code's head) to
    `folder`, and returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for revision, down, upgrade in (
        (EXPAND, head_revision(), _EXPAND_UPGRADE),
        (CONTRACT, EXPAND, _CONTRACT_UPGRADE),
    ):
        source = _TEMPLATE.format(doc=revision, revision=revision, down=down, upgrade=upgrade)
        (folder / f"{revision}.py").write_text(source)
    return folder


def apply_newer(url: str, folder: Path, revision: str) -> None:
    """Upgrades the database at `url` to `revision` of the migrations in `folder`."""
    config = alembic_config(url)
    locations = os.pathsep.join([str(MIGRATIONS_DIR / "versions"), str(folder)])
    config.set_main_option("version_locations", locations)
    command.upgrade(config, revision)
