"""validation_runs: the stored runs of `validate` and `plan`, for the dashboard

One row per run (from the command line, or `serve`'s nightly job): its figures and verdicts as
the JSON the command prints. An expand migration (a new table): the release before it runs on
this schema unchanged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 14:00:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "validation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("rubric_name", sa.String(length=128), nullable=True),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("challenger_name", sa.String(length=128), nullable=True),
        sa.Column("challenger_version", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=False),
        sa.Column("report", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_runs")),
    )
    op.create_index(
        op.f("ix_validation_runs_kind_finished_at"),
        "validation_runs",
        ["kind", "finished_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_validation_runs_kind_finished_at"), table_name="validation_runs")
    op.drop_table("validation_runs")
