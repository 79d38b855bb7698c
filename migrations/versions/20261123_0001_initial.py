"""initial: the canonical records

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:23:04.230649+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code, so this file
keeps meaning the same schema change when the models move on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What app.store.types.UTCDateTime and JSONDocument are made of.
TIMESTAMP = sa.DateTime(timezone=True)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric(precision=20, scale=2)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("crm_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", MONEY, nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("technologies", JSON_DOCUMENT, nullable=False),
        sa.Column("properties", JSON_DOCUMENT, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("crm_created_at", TIMESTAMP, nullable=True),
        sa.Column("crm_updated_at", TIMESTAMP, nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("deleted_at", TIMESTAMP, nullable=True),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint(
            "source", "object_type", "crm_id", name=op.f("uq_accounts_source_object_type_crm_id")
        ),
    )
    op.create_index(op.f("ix_accounts_domain"), "accounts", ["domain"])

    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("crm_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=255), nullable=True),
        sa.Column("pipeline", sa.String(length=255), nullable=True),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_won", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("crm_created_at", TIMESTAMP, nullable=True),
        sa.Column("crm_updated_at", TIMESTAMP, nullable=True),
        sa.Column("properties", JSON_DOCUMENT, nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("source", "crm_id", name=op.f("uq_deals_source_crm_id")),
    )

    # Links by CRM id (a deal may arrive before its company); joined on (source, crm_id).
    op.create_table(
        "deal_accounts",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("account_crm_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name=op.f("fk_deal_accounts_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deal_id", "account_crm_id", name=op.f("pk_deal_accounts")),
    )
    op.create_index(op.f("ix_deal_accounts_account_crm_id"), "deal_accounts", ["account_crm_id"])

    op.create_table(
        "scores",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
        sa.Column("criteria", JSON_DOCUMENT, nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        _account_fk("scores"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_scores")),
    )

    op.create_table(
        "score_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("disqualified", sa.Boolean(), nullable=False),
        sa.Column("flags", JSON_DOCUMENT, nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
        sa.Column("rubric_version", sa.String(length=64), nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        _account_fk("score_history"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_history")),
    )
    op.create_index(
        op.f("ix_score_history_account_id_scored_at"),
        "score_history",
        ["account_id", "scored_at"],
    )

    op.create_table(
        "writeback_state",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("values", JSON_DOCUMENT, nullable=False),
        sa.Column("values_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("written_at", TIMESTAMP, nullable=True),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _account_fk("writeback_state"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_writeback_state")),
    )
    op.create_index(
        op.f("ix_writeback_state_status_next_attempt_at"),
        "writeback_state",
        ["status", "next_attempt_at"],
    )

    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("cursor_updated_at", TIMESTAMP, nullable=True),
        sa.Column("cursor_id", sa.String(length=64), nullable=True),
        sa.Column("full_sync_completed_at", TIMESTAMP, nullable=True),
        sa.Column("last_run_started_at", TIMESTAMP, nullable=True),
        sa.Column("last_run_finished_at", TIMESTAMP, nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("stats", JSON_DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("source", "object_type", name=op.f("pk_sync_state")),
    )

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_webhook_events_source_event_id")),
    )
    op.create_index(
        op.f("ix_webhook_events_status_next_attempt_at"),
        "webhook_events",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes.
    for table in (
        "webhook_events",
        "sync_state",
        "writeback_state",
        "score_history",
        "scores",
        "deal_accounts",
        "deals",
        "accounts",
    ):
        op.drop_table(table)
