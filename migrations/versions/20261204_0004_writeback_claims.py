"""writeback claims: which writer sends a record, since when

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 18:30:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("writeback_state") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("writeback_state") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
