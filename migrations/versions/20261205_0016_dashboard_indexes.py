"""accounts, scores, score_history: indexes for the dashboard's accounts list

The list (/ui/accounts) sorts live records by name, score, tier or CRM update time 50 at a
time, offers the stored tiers, and finds the records whose score changed since a day; the
overview counts live records per kind and tier, and scores per rubric version. Without
these indexes each page sorted or scanned the whole store (100,000 accounts: hundreds of
milliseconds a page); with them a page walks an index and stops after its rows. An expand
migration: the release before it runs on this schema unchanged.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 13:40:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_accounts_name", "accounts", ["name"]),
    ("ix_accounts_crm_updated_at", "accounts", ["crm_updated_at"]),
    # The overview's counts of live records per kind read this index, not the wide rows. Led
    # by the id, so that no query constraining the other columns (validate's join of deals to
    # contacts) is drawn to it instead of walking deals in order.
    (
        "ix_accounts_id_archived_deleted_at_source_object_type",
        "accounts",
        ["id", "archived", "deleted_at", "source", "object_type"],
    ),
    ("ix_scores_score", "scores", ["score"]),
    ("ix_scores_tier", "scores", ["tier"]),
    ("ix_scores_rubric_version", "scores", ["rubric_version"]),
    ("ix_score_history_scored_at", "score_history", ["scored_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
