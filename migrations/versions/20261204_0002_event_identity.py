"""webhook_events: dedupe on what makes an event distinct, not the CRM's event id alone

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 18:20:00+00:00

HubSpot documents `eventId` as not guaranteed unique, so (source, event_id) dropped distinct
events as duplicates. The new `identity` column holds a digest of (source, event id, type,
object type, object id, and the source's distinguishing payload fields); rows already stored
get theirs computed here. Self-contained on purpose (alembic and sqlalchemy only, never app
code): `_identity` is a frozen copy of app.inbox.events.event_identity as of this revision.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EVENTS = sa.table(
    "webhook_events",
    sa.column("id", sa.Integer()),
    sa.column("source", sa.String()),
    sa.column("event_id", sa.String()),
    sa.column("identity", sa.String()),
    sa.column("event_type", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("payload", JSON_DOCUMENT),
)
_DISTINCT_FIELDS = {
    "hubspot": ("portalId", "propertyName", "occurredAt"),
    "salesforce": ("OrganizationId", "occurredAt"),
}


def _identity(row: Mapping[str, Any]) -> str:
    parts = [row[name] for name in ("source", "event_id", "event_type", "object_type")]
    payload = row["payload"] or {}
    distinct = [payload.get(name) for name in _DISTINCT_FIELDS.get(row["source"], ())]
    canonical = json.dumps([*parts, row["object_id"], *distinct], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade() -> None:
    op.add_column("webhook_events", sa.Column("identity", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(EVENTS)).mappings().all():
        connection.execute(
            EVENTS.update().where(EVENTS.c.id == row["id"]).values(identity=_identity(row))
        )
    with op.batch_alter_table("webhook_events") as batch:
        batch.alter_column("identity", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint("uq_webhook_events_source_event_id", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_events_source_identity", ["source", "identity"]
        )


def downgrade() -> None:
    # (source, event_id) becomes unique again: of the distinct events sharing an id, the first
    # stored is kept.
    earlier = sa.alias(EVENTS, "earlier")
    connection = op.get_bind()
    connection.execute(
        EVENTS.delete().where(
            sa.exists().where(
                earlier.c.source == EVENTS.c.source,
                earlier.c.event_id == EVENTS.c.event_id,
                earlier.c.id < EVENTS.c.id,
            )
        )
    )
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_constraint("uq_webhook_events_source_identity", type_="unique")
        batch.create_unique_constraint(
            "uq_webhook_events_source_event_id", ["source", "event_id"]
        )
        batch.drop_column("identity")
