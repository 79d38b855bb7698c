"""writeback_state, webhook_events: partial indexes of the rows a claim wants

A write claim (a sync's batch, the idle worker's retry of failed writes) and an inbox claim
both pick the next rows of a rare status in id order. SQLite's statistics keep no per-value
counts, so a status index looked no better than the table and its planner walked the whole
table in id order (every written account, every processed event, on each claim): the claims
grew with the store. These indexes hold only the writes not `written` and the events not
`done`; the claims state that condition (app.store.partial) so that both databases use them.
An expand migration: the release before it runs on this schema unchanged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 02:15:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_writeback_state_owed", "writeback_state", "account_id", "status <> 'written'"),
    ("ix_webhook_events_unprocessed", "webhook_events", "id", "status <> 'done'"),
)


def upgrade() -> None:
    for name, table, column, condition in INDEXES:
        where = sa.text(condition)
        op.create_index(name, table, [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
