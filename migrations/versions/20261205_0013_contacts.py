"""contacts: HubSpot contacts scored as prospects

`accounts.company_crm_id` holds a contact's primary company (indexed with the source, so a
company's rescore finds its contacts), and `deal_contacts` links deals to contacts apart from
`deal_accounts` (HubSpot ids are unique per object type only).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:00:00+00:00

Self-contained on purpose: imports alembic and sqlalchemy only, never app code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_accounts_source_company_crm_id"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("company_crm_id", sa.String(length=64), nullable=True))
    op.create_index(INDEX, "accounts", ["source", "company_crm_id"])
    op.create_table(
        "deal_contacts",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("contact_crm_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.id"],
            name="fk_deal_contacts_deal_id_deals",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deal_id", "contact_crm_id", name="pk_deal_contacts"),
    )
    op.create_index(
        "ix_deal_contacts_contact_crm_id", "deal_contacts", ["contact_crm_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_deal_contacts_contact_crm_id", table_name="deal_contacts")
    op.drop_table("deal_contacts")
    op.drop_index(INDEX, table_name="accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("company_crm_id")
