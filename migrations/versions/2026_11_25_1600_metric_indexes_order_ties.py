"""the metric indexes order each value's customers by id

A customer list sorted by total_spent, order_count or last_order_at pages through
(value, customer id). With the value alone in the index, the customers sharing a value
(31,000 with 3 orders at 1,000,000 customers) came out unordered and every page touching
that group sorted all of it (36-40 ms); with the customer id as the last column a page is
one index range. The indexes are replaced, not added: filters on the value still lead
with it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 16:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("total_spent", "order_count", "last_order_at")


def upgrade() -> None:
    for metric in METRICS:
        op.drop_index(f"ix_customer_metrics_organization_id_{metric}", "customer_metrics")
        op.create_index(
            f"ix_customer_metrics_organization_id_{metric}_customer_id",
            "customer_metrics",
            ["organization_id", metric, "customer_id"],
        )


def downgrade() -> None:
    for metric in METRICS:
        op.drop_index(
            f"ix_customer_metrics_organization_id_{metric}_customer_id", "customer_metrics"
        )
        op.create_index(
            f"ix_customer_metrics_organization_id_{metric}",
            "customer_metrics",
            ["organization_id", metric],
        )
