"""webhook_events: an index for the claim's look-up of a record's earlier events

Without it, claiming a batch scans the inbox once per candidate event: a backlog of a few
thousand echoes after a full write-back took seconds per claim, and a new lead waited behind it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:20:00+00:00

Self-contained on purpose: imports alembic only, never app code.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_webhook_events_source_object_type_object_id_id"


def upgrade() -> None:
    op.create_index(NAME, "webhook_events", ["source", "object_type", "object_id", "id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="webhook_events")
