"""schema_compatibility: the oldest code revision that still runs on this schema

Read by a release that finds the database migrated past its own head (a newer replica of a
rolling upgrade migrated it): it keeps serving when it knows this revision. Expand migrations
(only nullable columns, tables, indexes) leave the row alone; a contract migration (removing
what the previous release stopped using) sets it, and its downgrade sets it back. See
docs/operations.md, "Upgrades".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:00:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every migration since 0005 only added: code at 0005 runs on this schema (it does not read
# this table, so it still wants its own head; releases from this one on read it).
OLDEST_CODE_REVISION = "0005"


def upgrade() -> None:
    table = op.create_table(
        "schema_compatibility",
        sa.Column("oldest_code_revision", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("oldest_code_revision", name=op.f("pk_schema_compatibility")),
    )
    op.bulk_insert(table, [{"oldest_code_revision": OLDEST_CODE_REVISION}])


def downgrade() -> None:
    op.drop_table("schema_compatibility")
