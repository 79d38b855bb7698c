"""rubric_rollouts: per CRM, the rubric (fingerprint and written version) that scored the store

Recorded when a roll-out (`icp-sync rescore`, `serve` at start) completes; `serve` compares its
rubric with it at start, and rolls out a changed one once per deployment. An expand migration
(a new table): the release before it runs on this schema unchanged.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:30:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rubric_rollouts",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("completed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_rubric_rollouts")),
    )


def downgrade() -> None:
    op.drop_table("rubric_rollouts")
