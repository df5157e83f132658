"""customers by id within their organization

A list sorted by a purchase metric shows the customers without a value in id order
(customers.metric_order). With the primary key alone that order walks every tenant's
customers and filters them by organization: on SQLite a 300-customer organization beside
one of 200,000 took 95 ms a page, against 1.6 ms for a created_at page.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 16:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_organization_id_id", "customers", ["organization_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_customers_organization_id_id", "customers")
