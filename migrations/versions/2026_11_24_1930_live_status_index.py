"""customers by status: a partial index over live (not deleted) customers

Every list, count and segment reads live customers only; with `deleted_at` outside the
index each of a count's 2,001 rows was a table lookup (SQLite: 5 ms against 0.3 ms).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 19:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_customers_organization_id_status_created_at_id"
COLUMNS = ["organization_id", "status", "created_at", "id"]
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.drop_index(NAME, table_name="customers")
    op.create_index(NAME, "customers", COLUMNS, postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    op.drop_index(NAME, table_name="customers")
    op.create_index(NAME, "customers", COLUMNS)
