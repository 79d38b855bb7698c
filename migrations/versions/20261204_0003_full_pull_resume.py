"""sync_state: where a full pull cut short goes on, and when its first run began

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:45:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code, so this file
keeps meaning the same schema change when the models move on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What app.store.types.UTCDateTime is made of.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("full_pull_started_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("full_pull_resume", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("full_pull_resume")
        batch.drop_column("full_pull_started_at")
