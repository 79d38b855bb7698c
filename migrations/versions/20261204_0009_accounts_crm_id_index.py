"""accounts: an index on (source, crm_id) for the look-ups by CRM id of any object type

The unique key is (source, object_type, crm_id); the sync's upsert, mark_deleted and
accounts_by_crm_ids name the source and the CRM ids but not the type, and PostgreSQL cannot
skip the type column: each look-up read every account of the source. At 100,000 HubSpot
companies one batch of 100 ids took ~0.45 s, and the first sync of the portal over 15 minutes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00+00:00

Self-contained on purpose: imports alembic only, never app code.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_accounts_source_crm_id"


def upgrade() -> None:
    op.create_index(NAME, "accounts", ["source", "crm_id"])


def downgrade() -> None:
    op.drop_index(NAME, table_name="accounts")
