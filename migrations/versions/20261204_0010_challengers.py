"""challengers: the recorded champion rubric, and the challenger rubrics' shadow scores

`rubric_champions` (append-only promotions: the latest is the champion every replica scores
with), `challenger_starts` (when each challenger began scoring), `challenger_scores` (current,
per challenger and account) and `challenger_score_history` (a row per change). Nothing in them
is written to a CRM.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 23:30:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def _score_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "rubric_champions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("promoted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_champions")),
    )
    op.create_table(
        "challenger_starts",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("first_scored_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_challenger_starts")),
    )
    op.create_table(
        "challenger_scores",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        *_score_columns(),
        sa.Column("criteria", JSON_DOCUMENT, nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        _account_fk("challenger_scores"),
        sa.PrimaryKeyConstraint("name", "account_id", name=op.f("pk_challenger_scores")),
    )
    op.create_index(op.f("ix_challenger_scores_account_id"), "challenger_scores", ["account_id"])
    op.create_table(
        "challenger_score_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        *_score_columns(),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        _account_fk("challenger_score_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenger_score_history")),
    )
    op.create_index(
        op.f("ix_challenger_score_history_account_id"),
        "challenger_score_history",
        ["account_id"],
    )
    op.create_index(
        op.f("ix_challenger_score_history_name_account_id_scored_at"),
        "challenger_score_history",
        ["name", "account_id", "scored_at"],
    )


def downgrade() -> None:
    for table in (
        "challenger_score_history",
        "challenger_scores",
        "challenger_starts",
        "rubric_champions",
    ):
        op.drop_table(table)
