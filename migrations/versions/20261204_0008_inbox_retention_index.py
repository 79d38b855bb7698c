"""webhook_events: an index for retention's look-up of the events processed before a cutoff

Retention deletes processed events in batches, oldest first; without it, each batch (and each
run that finds nothing to delete) reads every processed event.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:10:00+00:00

Self-contained on purpose: imports alembic only, never app code.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_webhook_events_status_processed_at"


def upgrade() -> None:
    op.create_index(NAME, "webhook_events", ["status", "processed_at"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="webhook_events")
