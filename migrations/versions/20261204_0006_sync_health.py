"""sync_health: per CRM and stream, last success, consecutive failures and the last error

Written by every sync run (the scheduler's and `icp-sync sync`), read by `/metrics`,
`/healthz/sync` and `icp-sync status`, which may run in another process.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:10:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_health",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("last_success_at", TIMESTAMP, nullable=True),
        sa.Column("last_failure_at", TIMESTAMP, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"),
                  nullable=False),  # fmt: skip
        sa.Column("last_error_type", sa.String(length=128), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", "stream", name=op.f("pk_sync_health")),
    )


def downgrade() -> None:
    op.drop_table("sync_health")
