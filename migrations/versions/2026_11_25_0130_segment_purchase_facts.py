"""segments' purchase facts: purchase windows, and items that know their buyer

- customer_purchase_windows: each customer's completed purchases of the last 30, 90 and
  365 days. Segments with a timeframe read these instead of grouping every transaction
  in the window (at 10,000,000 transactions the 365-day window alone was ~4.5 M rows);
  `customer_metrics.windows_stale` marks customers whose transactions changed since the
  last refresh, and segments read those customers' transactions directly.
- transaction_items repeat their transaction's customer, time and whether it counts
  (completed), so "who bought this category" is one index range without a join.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 01:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clientbase.db.migrate import batch_alter

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTED = sa.text("counted")
COUNTED_SQLITE = sa.text("counted = 1")
OLD_CATEGORY_INDEX = "ix_transaction_items_organization_id_category"
CATEGORY_INDEX = "ix_transaction_items_counted_category"
CATEGORY_COLUMNS = ["organization_id", "category", "occurred_at", "customer_id"]
STALE = sa.text("windows_stale")
STALE_SQLITE = sa.text("windows_stale = 1")  # how SQLAlchemy writes the test there


def upgrade() -> None:
    _items_know_their_purchase()
    op.create_table(
        "customer_purchase_windows",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_purchase_windows_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_customer_purchase_windows_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "days", name=op.f("pk_customer_purchase_windows")),
    )
    op.create_index(
        op.f("ix_customer_purchase_windows_organization_id_days_first_at"),
        "customer_purchase_windows",
        ["organization_id", "days", "first_at"],
    )
    op.create_table(
        "purchase_window_state",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_purchase_window_state_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_purchase_window_state")),
    )
    op.add_column(
        "customer_metrics",
        sa.Column("windows_stale", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_customer_metrics_windows_stale",
        "customer_metrics",
        ["organization_id", "customer_id"],
        postgresql_where=STALE,
        sqlite_where=STALE_SQLITE,
    )


def _items_know_their_purchase() -> None:
    for column in (
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=True),
    ):
        op.add_column("transaction_items", column)
    op.execute(
        """
        UPDATE transaction_items SET customer_id = t.customer_id,
            occurred_at = t.occurred_at, counted = (t.status = 'completed')
        FROM transactions t WHERE t.id = transaction_items.transaction_id
        """
    )
    op.drop_index(OLD_CATEGORY_INDEX, table_name="transaction_items")
    with batch_alter("transaction_items") as batch_op:
        for column in ("customer_id", "occurred_at", "counted"):
            batch_op.alter_column(column, nullable=False)
    op.create_index(
        CATEGORY_INDEX,
        "transaction_items",
        CATEGORY_COLUMNS,
        postgresql_where=COUNTED,
        sqlite_where=COUNTED_SQLITE,
    )


def downgrade() -> None:
    op.drop_index(CATEGORY_INDEX, table_name="transaction_items")
    op.create_index(OLD_CATEGORY_INDEX, "transaction_items", ["organization_id", "category"])
    with batch_alter("transaction_items") as batch_op:
        for column in ("counted", "occurred_at", "customer_id"):
            batch_op.drop_column(column)
    op.drop_index("ix_customer_metrics_windows_stale", table_name="customer_metrics")
    with batch_alter("customer_metrics") as batch_op:
        batch_op.drop_column("windows_stale")
    op.drop_table("purchase_window_state")
    op.drop_index(
        op.f("ix_customer_purchase_windows_organization_id_days_first_at"),
        table_name="customer_purchase_windows",
    )
    op.drop_table("customer_purchase_windows")
