"""text_embeddings: the semantic rule's cached sentence embeddings

One row per model version and text hash (app.semantic.cache): rescoring a record whose text did
not change embeds nothing.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 11:30:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_embeddings",
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("sentences", sa.Integer(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_version", "text_hash", name="pk_text_embeddings"),
    )


def downgrade() -> None:
    op.drop_table("text_embeddings")
