"""customer search: normalised search text, trigram/FTS5 structures, list indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:33:27+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clientbase.search.ddl import install_statements, uninstall_statements

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("addresses") as batch_op:
        batch_op.create_index(
            "ix_addresses_organization_id_country", ["organization_id", "country"]
        )
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(
            "ix_customers_organization_id_name_id", ["organization_id", "name", "id"]
        )
        batch_op.create_index(
            "ix_customers_organization_id_updated_at_id", ["organization_id", "updated_at", "id"]
        )
    # Keyset pages by status need the id tiebreak in the index, or they sort.
    op.drop_index("ix_customers_organization_id_status_created_at", table_name="customers")
    op.create_index(
        "ix_customers_organization_id_status_created_at_id",
        "customers",
        ["organization_id", "status", "created_at", "id"],
    )
    op.create_index(
        "ix_customers_organization_id_industry_lower",
        "customers",
        ["organization_id", sa.text("lower(industry)")],
    )
    for statement in install_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in uninstall_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_customers_organization_id_industry_lower", table_name="customers")
    op.drop_index("ix_customers_organization_id_status_created_at_id", table_name="customers")
    op.create_index(
        "ix_customers_organization_id_status_created_at",
        "customers",
        ["organization_id", "status", "created_at"],
    )
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_index("ix_customers_organization_id_updated_at_id")
        batch_op.drop_index("ix_customers_organization_id_name_id")
        batch_op.drop_column("search_text")
    with op.batch_alter_table("addresses") as batch_op:
        batch_op.drop_index("ix_addresses_organization_id_country")
