"""fewer index entries and key checks for each purchase written

A 10,000-row bulk import spent most of PostgreSQL's time maintaining indexes and checking
foreign keys row by row. Three of them guarded or served nothing:
- transactions (organization_id, status, customer_id): no query reads it (a customer's
  open orders are found through (organization_id, customer_id, occurred_at)), and each
  purchase inserted into it at a random position;
- customer_metrics (organization_id, lifetime_value): lifetime_value always equals
  total_spent, whose index serves its filters, and every purchase rewrote both entries;
- transaction_items' key to organizations: an item's organization is its transaction's,
  whose own key and ON DELETE CASCADE already hold it; the check ran for every item.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 15:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from clientbase.db.migrate import batch_alter

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEMS_ORGANIZATION_KEY = "fk_transaction_items_organization_id_organizations"


def upgrade() -> None:
    op.drop_index("ix_transactions_organization_id_status_customer_id", "transactions")
    op.drop_index("ix_customer_metrics_organization_id_lifetime_value", "customer_metrics")
    with batch_alter("transaction_items") as batch_op:
        batch_op.drop_constraint(ITEMS_ORGANIZATION_KEY, type_="foreignkey")


def downgrade() -> None:
    with batch_alter("transaction_items") as batch_op:
        batch_op.create_foreign_key(
            ITEMS_ORGANIZATION_KEY, "organizations", ["organization_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index(
        "ix_customer_metrics_organization_id_lifetime_value",
        "customer_metrics",
        ["organization_id", "lifetime_value"],
    )
    op.create_index(
        "ix_transactions_organization_id_status_customer_id",
        "transactions",
        ["organization_id", "status", "customer_id"],
    )
