"""customer_metrics keeps half of each page free, so score updates stay on their page

The analytics recalculation rewrites every buyer's scores (p_alive, predicted CLV, RFM, ...),
none of which is indexed. With full pages each new row version went to another page and
into all five indexes (500,000 rows: 24-40 s); with room on the page PostgreSQL makes it a
heap-only (HOT) update that touches no index. Existing pages keep their packing until the
table is rewritten (VACUUM FULL customer_metrics). SQLite has no such setting.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 21:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLFACTOR = 50


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE customer_metrics SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_metrics RESET (fillfactor)")
